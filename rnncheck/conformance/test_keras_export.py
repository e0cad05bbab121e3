"""Keras's model.export(path, format="onnx") of a model holding one recurrent layer, run in onnxruntime, computes
what rnncheck.reference computes, on each Keras backend: tf2onnx writes the graph on tensorflow, jax2onnx on jax,
torch.onnx's TorchScript exporter on torch (keras/src/export/onnx.py:262 picks it for a dynamic batch, which a
keras.Input gives). The exported graph's one input is x, so the drawn case's mask and initial state, which a call
would take, are not part of it; unroll, which changes the loop Keras traces, is drawn.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncheck import reference
from rnncheck.conformance import divergences
from rnncheck.conformance.backends import keep_triton_out, require
from rnncheck.conformance.harness import assert_outputs_close
from rnncheck.conformance.layers import keras_layer
from rnncheck.conformance.strategies import SequenceCase, sequence_cases

EXPORTER = {"tensorflow": "tf2onnx", "jax": "jax2onnx", "torch": "torch.onnx"}  # what writes the graph on each
NEEDS = {"tensorflow": ("tf2onnx",), "jax": ("jax2onnx",), "torch": ()}  # beyond the backend: rnncheck[export]


@pytest.fixture(scope="module")
def ort():
    for library in NEEDS[keras.backend.backend()]:
        require(library)
    keep_triton_out()
    return require("onnxruntime")


def exported(case: SequenceCase, *, unroll: bool) -> bytes:
    """The ONNX graph model.export writes of Sequential([Input, the case's layer])."""
    layer = keras_layer(case.cell, **case.layer_options, unroll=unroll, fresh=True)
    model = keras.Sequential([keras.Input(case.x.shape[1:]), layer])
    model(case.x)  # jax's exporter traces a model that has been called
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        # The exporters' notes on how they trace, not on the numbers: tf2onnx on NumPy 2's np.object, torch.onnx's
        # tracer on Python values that become constants (the layer's static sizes).
        warnings.filterwarnings("ignore", message="In the future `np.object`", category=FutureWarning)
        warnings.filterwarnings("ignore", message="Converting a tensor to a Python")
        warnings.filterwarnings("ignore", message="The tensor attributes self._flat_weights", category=UserWarning)
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
        # On torch, keras/src/export/onnx.py:262 calls torch's deprecated TorchScript exporter (dynamo=False) for a
        # model whose batch is dynamic, which is every model with a keras.Input: Keras's call, not ours.
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message="The feature will be removed", category=DeprecationWarning)
        if keras.backend.backend() == "torch":
            import torch

            # The tracer's cautions that its graph may not fit inputs of other shapes (a Python loop over time,
            # len() of a tensor): the property runs the graph on the drawn case and checks its numbers.
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        path = Path(folder) / "model.onnx"
        model.export(str(path), format="onnx", verbose=False)
        return path.read_bytes()


def onnx_outputs(case: SequenceCase, *, unroll: bool) -> list[np.ndarray]:
    """[output] of the exported graph, run in onnxruntime on the case's x."""
    import onnxruntime

    session = onnxruntime.InferenceSession(exported(case, unroll=unroll), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: case.x})


def reference_outputs(loop, case: SequenceCase) -> list[np.ndarray]:
    return [loop(reference.function(case.cell))(case.x, case.kernel, case.recurrent_kernel, case.bias,
                                                **case.reference_options)]  # fmt: skip


def assert_export_close(actual, expected, arguments) -> None:
    backend = keras.backend.backend()
    assert_outputs_close(actual, expected, names=["output"], case=arguments,
                         framework=f"model.export on {backend} ({EXPORTER[backend]}), onnxruntime")  # fmt: skip


EXPORT_MATCHES_REFERENCE = divergences.Property(
    "test_keras_onnx_export_matches_reference",
    actual=lambda case, unroll: onnx_outputs(case, unroll=unroll),
    expected=lambda loop, case, unroll: reference_outputs(loop, case),
    compare=assert_export_close,
)


@given(case=sequence_cases(), unroll=st.booleans())
def test_keras_onnx_export_matches_reference(ort, case, unroll):
    # x is the graph's one input: the case without its mask and initial state
    EXPORT_MATCHES_REFERENCE.check(case=dataclasses.replace(case, initial_state=None, mask=None), unroll=unroll)


test_keras_onnx_export_matches_reference_on_recorded_examples = pytest.mark.usefixtures("ort")(
    EXPORT_MATCHES_REFERENCE.replay_test()
)
