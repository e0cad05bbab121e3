"""A saved Keras recurrent model as a safetensors file that the equivalent PyTorch model loads (Keras, any backend).

The model must be a chain: recurrent layers of one cell and size (SimpleRNN, GRU with reset_after=True,
LSTM, or Bidirectional(concat) of one), then optionally a Dense head; Dropout-like layers, which do
nothing at inference, may sit anywhere. The tensors are named for a torch.nn.ModuleDict holding "rnn"
(nn.RNN / nn.GRU / nn.LSTM with num_layers = the number of recurrent layers) and "head" (nn.Linear),
the names of rnncheck.torch_model.MnistTorch too. No torch is needed and nothing is pickled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from safetensors.numpy import save_file

from rnncheck.cells import CELLS
from rnncheck.convert import dense_to_linear, keras_to_torch
from rnncheck.files import atomic_write
from rnncheck.model import load_keras_model

# Layers that compute nothing at inference, so the PyTorch model needs nothing for them.
_INFERENCE_IDENTITY = (
    keras.layers.InputLayer,
    keras.layers.Dropout,
    keras.layers.GaussianDropout,
    keras.layers.GaussianNoise,
    keras.layers.AlphaDropout,
)
_SUPPORTED = (
    "recurrent layers of one cell and size (SimpleRNN, GRU, LSTM, or Bidirectional with merge_mode='concat'), "
    "then an optional Dense head"
)


@dataclass(frozen=True)
class Conversion:
    """What convert_keras_file wrote: the equivalent PyTorch model's options and each tensor's name and shape."""

    model_path: str
    out_path: str
    cell: str
    input_size: int
    units: int
    num_layers: int
    bias: bool
    bidirectional: bool
    nonlinearity: str  # nn.RNN's; "tanh" for GRU and LSTM
    return_sequences: bool  # the head sees every step (True) or the last hidden state (False)
    num_classes: int | None  # the Dense head's units; None without a head
    head_bias: bool
    softmax: bool  # the head's activation: softmax (True) or linear
    tensors: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def total(self) -> int:
        return sum(int(np.prod(shape)) for _, shape in self.tensors)

    @property
    def module_options(self) -> dict:
        """Keyword arguments of rnncheck.torch_model.MnistTorch for the equivalent model."""
        return dict(
            cell=self.cell,
            input_size=self.input_size,
            units=self.units,
            num_classes=self.num_classes,
            num_layers=self.num_layers,
            bias=self.bias,
            bidirectional=self.bidirectional,
            nonlinearity=self.nonlinearity,
            head_bias=self.head_bias,
            softmax=self.softmax,
            return_sequences=self.return_sequences,
        )

    def torch_code(self) -> str:
        """The equivalent PyTorch model, loaded from the file, as a few lines of plain PyTorch."""
        torch_class = CELLS[self.cell].torch_class
        options = [f"num_layers={self.num_layers}"] if self.num_layers > 1 else []
        options += [] if self.bias else ["bias=False"]
        options += ["batch_first=True"] + (["bidirectional=True"] if self.bidirectional else [])
        options += [f"nonlinearity={self.nonlinearity!r}"] if self.nonlinearity != "tanh" else []
        rnn = f"torch.nn.{torch_class}({self.input_size}, {self.units}, {', '.join(options)})"
        lines = ["import torch", "from safetensors.torch import load_file", "", "model = torch.nn.ModuleDict({"]
        lines.append(f'    "rnn": {rnn},')
        features = self.units * (2 if self.bidirectional else 1)
        if self.num_classes is not None:
            head_bias = "" if self.head_bias else ", bias=False"
            lines.append(f'    "head": torch.nn.Linear({features}, {self.num_classes}{head_bias}),')
        lines += ["})", f"model.load_state_dict(load_file({self.out_path!r}))", "model.eval()"]
        state = "(h_n, c_n)" if self.cell == "lstm" else "h_n"
        lines.append(f'output, {state} = model["rnn"](x)  # x: (batch, time, {self.input_size}) float32')
        if self.return_sequences:
            last = "output"
        else:
            last = "torch.cat([h_n[-2], h_n[-1]], dim=-1)" if self.bidirectional else "h_n[-1]"
        if self.num_classes is None:
            lines.append(f"features = {last}  # Keras's output")
        elif self.softmax:
            lines.append(f'probabilities = torch.softmax(model["head"]({last}), dim=-1)  # Keras\'s predict()')
        else:
            lines.append(f'outputs = model["head"]({last})  # Keras\'s predict()')
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "model": self.model_path,
            "out": self.out_path,
            "module": self.module_options,
            "total": self.total,
            "tensors": [{"name": name, "shape": list(shape)} for name, shape in self.tensors],
            "torch_code": self.torch_code(),
        }


def convert_keras_file(model_path: str | os.PathLike, out_path: str | os.PathLike) -> Conversion:
    """Read a saved Keras model, convert its recurrent layers and Dense head, and write them to `out_path`.

    The file is written whole or not at all (safetensors, through a temporary file beside it). Raises
    ValueError for a file that is not a Keras model or a model with no PyTorch equivalent, OSError when
    the model cannot be read or the output cannot be written.
    """
    model_path, out_path = Path(model_path), Path(out_path)
    if out_path.is_dir():
        raise IsADirectoryError(f"{out_path}: is a folder; name the file to write, such as model.safetensors")
    model = load_keras_model(model_path)
    tensors, options = keras_model_tensors(model, name=str(model_path))
    try:
        atomic_write(out_path, lambda temporary: save_file(tensors, temporary, metadata={"format": "pt"}))
    except OSError as error:  # its message would name the temporary file
        raise OSError(f"{out_path}: cannot write it: {error.strerror or error}") from error
    return Conversion(
        model_path=str(model_path),
        out_path=str(out_path),
        tensors=tuple((name, tuple(array.shape)) for name, array in tensors.items()),
        **options,
    )


def keras_model_tensors(model: keras.Model, *, name: str = "model") -> tuple[dict[str, np.ndarray], dict]:
    """The model's weights named for ModuleDict(rnn=..., head=...), and Conversion's module options."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"{name}: a model with {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
                         f"supported: one input, {_SUPPORTED}")
    recurrent, head = [], None
    for layer in model.layers:
        if isinstance(layer, _INFERENCE_IDENTITY):
            continue
        if head is not None:
            raise ValueError(f"{name}: layer {layer.name!r} ({type(layer).__name__}) follows the Dense head; "
                             f"supported: {_SUPPORTED}")
        facts = _recurrent_layer(layer, name=name)
        if facts is not None:
            recurrent.append((layer, *facts))
        elif isinstance(layer, keras.layers.Dense):
            if not recurrent:
                raise ValueError(f"{name}: no recurrent layer before Dense {layer.name!r}; supported: {_SUPPORTED}")
            head = layer
        else:
            raise ValueError(f"{name}: layer {layer.name!r} ({type(layer).__name__}) has no PyTorch counterpart here; "
                             f"supported: {_SUPPORTED}")
    if not recurrent:
        raise ValueError(f"{name}: no recurrent layer; supported: {_SUPPORTED}")

    _, cell, config, bidirectional = recurrent[0]
    tensors = {}
    for k, (layer, layer_cell, layer_config, layer_bidirectional) in enumerate(recurrent):
        signature = (layer_cell, layer_config["units"], layer_config["use_bias"], layer_bidirectional,
                     layer_config.get("activation"))
        if signature != (cell, config["units"], config["use_bias"], bidirectional, config.get("activation")):
            raise ValueError(
                f"{name}: layer {layer.name!r} differs from {recurrent[0][0].name!r} in cell, units, use_bias, "
                f"activation or Bidirectional; one PyTorch module stacks layers that are all alike"
            )
        tensors.update(keras_to_torch(cell, _weights(layer), bidirectional=bidirectional, layer=k, prefix="rnn."))
    last_config = recurrent[-1][2]
    options = dict(
        cell=cell,
        input_size=int(tensors["rnn.weight_ih_l0"].shape[1]),
        units=int(config["units"]),
        num_layers=len(recurrent),
        bias=bool(config["use_bias"]),
        bidirectional=bidirectional,
        nonlinearity=config["activation"] if cell == "simple" else "tanh",
        return_sequences=bool(last_config["return_sequences"]),
        num_classes=None,
        head_bias=False,
        softmax=False,
    )
    if head is not None:
        head_config = head.get_config()
        if head_config["activation"] not in ("softmax", "linear"):
            raise ValueError(f"{name}: Dense head {head.name!r} has activation {head_config['activation']!r}; "
                             "supported: 'softmax' or 'linear'")
        tensors.update(dense_to_linear(_weights(head), prefix="head."))
        options.update(num_classes=int(head_config["units"]), head_bias=bool(head_config["use_bias"]),
                       softmax=head_config["activation"] == "softmax")
    return tensors, options


def _weights(layer) -> list[np.ndarray]:
    """layer.get_weights(), read so that no backend warns: under NumPy 2.4 get_weights() raises a DeprecationWarning
    on jax and torch (Keras's Variable.__array__ takes no `copy`); detaching the value first avoids it everywhere."""
    return [np.asarray(keras.ops.stop_gradient(variable.value)) for variable in layer.weights]


def _recurrent_layer(layer, *, name: str) -> tuple[str, dict, bool] | None:
    """(cell, config of the (forward) layer, bidirectional) for a recurrent layer PyTorch can hold; None if not one."""
    bidirectional = isinstance(layer, keras.layers.Bidirectional)
    inner = layer.forward_layer if bidirectional else layer
    cell = _cell_of(inner)
    if cell is None:
        return None
    where = f"{name}: layer {layer.name!r} ({type(inner).__name__})"
    config = _check_convertible(inner, cell, where=where)
    if bidirectional:
        if layer.merge_mode != "concat":
            raise ValueError(f"{where}: Bidirectional merge_mode={layer.merge_mode!r}; PyTorch concatenates")
        backward = layer.backward_layer
        if _cell_of(backward) != cell:
            raise ValueError(f"{where}: the backward layer is a {type(backward).__name__}; PyTorch's are alike")
        backward_config = _check_convertible(backward, cell, where=f"{where}, backward layer", backwards=True)
        if any(backward_config[key] != config[key] for key in ("units", "use_bias", "activation")):
            raise ValueError(f"{where}: the backward layer differs from the forward one; PyTorch's are alike")
    return cell, config, bidirectional


def _cell_of(layer) -> str | None:
    return next((c.name for c in CELLS.values() if isinstance(layer, getattr(keras.layers, c.keras_class))), None)


def _check_convertible(layer, cell: str, *, where: str, backwards: bool = False) -> dict:
    """The layer's config, if PyTorch's module computes what it computes (going backwards only inside Bidirectional)."""
    config = layer.get_config()
    if config["go_backwards"] != backwards:
        raise ValueError(f"{where}: go_backwards={config['go_backwards']} has no PyTorch option (flip the input)")
    if config["stateful"]:
        raise ValueError(f"{where}: stateful=True carries state between batches; PyTorch's module does not")
    allowed = ("tanh", "relu") if cell == "simple" else ("tanh",)
    if config["activation"] not in allowed:
        raise ValueError(f"{where}: activation={config['activation']!r}; PyTorch has {' or '.join(allowed)}")
    if cell != "simple" and config["recurrent_activation"] != "sigmoid":
        raise ValueError(f"{where}: recurrent_activation={config['recurrent_activation']!r}; PyTorch has sigmoid")
    if cell == "gru" and not config["reset_after"]:
        raise ValueError(f"{where}: reset_after=False has no PyTorch equivalent (nn.GRU is reset_after=True)")
    return config
