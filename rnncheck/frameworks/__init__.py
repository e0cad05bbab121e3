"""The frameworks under test, one adapter module each; this registry is the one list of them (pure Python).

A framework is either a Keras backend (KERAS_BACKEND=name: the Keras layers on that library) or a library with
recurrent layers of its own (PyTorch's nn.RNN / nn.GRU / nn.LSTM). The CLI's choices, conform's columns, the
extras' install hints and the list of Keras backends come from here; an adapter imports its library only when
it is used. A new framework is a new module here and one entry in FRAMEWORKS.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from rnncheck.checks import check_choice


@dataclass(frozen=True)
class Framework:
    name: str  # as the CLI, conform and the divergence table name it
    library: str  # the module it imports
    install: str  # how to install it
    keras_backend: bool  # True: a KERAS_BACKEND value, the Keras layers run on `library`
    layout: str  # whose weight layout and names its layers use: "keras" or "torch"
    adapter: str  # rnncheck.frameworks.<adapter>
    suite: tuple[str, ...] = ()  # the conformance files that judge it; a Keras backend: every file no other claims

    def installed(self) -> bool:
        return importlib.util.find_spec(self.library) is not None

    def load(self):
        """The adapter module (which imports the library when it runs a case)."""
        return importlib.import_module(f"rnncheck.frameworks.{self.adapter}")


FRAMEWORKS = {
    "tensorflow": Framework("tensorflow", "tensorflow", 'pip install "rnncheck"', True, "keras", "keras"),
    "jax": Framework("jax", "jax", 'pip install "rnncheck[backends]"', True, "keras", "keras"),
    "torch": Framework("torch", "torch", 'pip install "rnncheck[backends]"', True, "keras", "keras"),
    # PyTorch's own nn.RNN / nn.GRU / nn.LSTM, its column of conform: its properties and its parameter names.
    "pytorch": Framework(
        "pytorch", "torch", 'pip install "rnncheck[backends]"', False, "torch", "pytorch",
        ("test_pytorch.py", "test_torch.py"),
    ),
    # ONNX's RNN / GRU / LSTM operators in onnxruntime (conformance/test_onnx.py), the converter's graphs, and the
    # graphs torch.onnx.export writes of PyTorch's modules (test_torch_export.py).
    "onnxruntime": Framework(
        "onnxruntime", "onnxruntime", 'pip install "rnncheck[onnx]"', False, "onnx", "onnxruntime",
        ("test_onnx.py", "test_torch_export.py"),
    ),
}
KERAS_BACKENDS = tuple(name for name, f in FRAMEWORKS.items() if f.keras_backend)
CLAIMED = tuple(file for f in FRAMEWORKS.values() for file in f.suite)  # files a Keras backend's column leaves out
LAYOUTS = ("keras", "torch")  # the weight layouts rnncheck.params and rnncheck.convert name weights in
EXPORTERS = ("onnxscript", "tf2onnx", "jax2onnx")  # the ONNX exporters' libraries: rnncheck[export]
INSTALL = {f.library: f.install for f in FRAMEWORKS.values()} | {"onnx": 'pip install "rnncheck[onnx]"'} | {
    library: 'pip install "rnncheck[export]"' for library in EXPORTERS
}  # by library: what a skip for a missing one says


def framework(name: str) -> Framework:
    """The framework `name`, or a ValueError naming those there are."""
    return FRAMEWORKS[check_choice("framework", name, tuple(FRAMEWORKS))]
