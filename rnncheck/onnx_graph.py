"""ONNX graphs of recurrent layers, built with onnx.helper alone (onnx is imported inside the functions that use it).

`recurrent_model` is one ONNX RNN / GRU / LSTM operator whose weights are graph inputs, so that one runtime
session serves every example of a structure (the conformance suite's); `keras_model_to_onnx` turns a Keras model
(recurrent layers, then an optional Dense head) into a graph whose weights are initializers, and
`convert_keras_to_onnx` does it from a .keras file to a .onnx file, whole or not at all. No converter package
(tf2onnx, keras2onnx) and no pickle: the file is the ModelProto's protobuf.

Layout. The converted graph takes "input" (batch, time, features) float32, batch and time dynamic, and gives
"output", the model's predictions. Its operators keep ONNX's default layout=0 (time, batch, features), with a
Transpose before the first and, where a sequence reaches the head, after the last: onnxruntime's CPU kernels refuse
layout=1 ("Batchwise recurrent operations (layout == 1) are not supported", onnxruntime 1.32), which the spec has
had since opset 14.

Direction. ONNX's direction="reverse" reads the sequence from its last step, as Keras's go_backwards does, but
its Y holds step t's hidden state at index t (original time order), where a Keras layer going backwards returns
its outputs in the order it computed them. A plain layer with go_backwards=True is therefore a reverse operator
whose Y is flipped along time when the layer returns sequences; its last output is Y_h either way. A
Bidirectional layer's backward half is already flipped back to time order by Keras, as ONNX's Y has it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rnncheck.cells import MERGE_MODES
from rnncheck.cells import cell as cell_facts
from rnncheck.checks import check_choice, check_size
from rnncheck.files import atomic_write
from rnncheck.onnx_layout import (
    DIRECTIONS,
    activation_attributes,
    keras_activations,
    keras_to_onnx,
    linear_before_reset,
    onnx_activation,
    operator,
)

OPSET = 17  # the default ONNX domain's opset: layout (14), Split/Squeeze with inputs (13), onnxruntime >= 1.11
IR_VERSION = 8  # the IR that opset 17 came with; onnx.helper would otherwise write its newest

INPUT, OUTPUT = "input", "output"
_SUPPORTED = (
    "recurrent layers (SimpleRNN, GRU, LSTM, or Bidirectional of one with merge_mode concat, sum, ave or mul), "
    "then an optional Dense head with softmax or linear activation"
)
_ORDER = [-(2**63)]  # Slice's end for "through the first element" when stepping backwards


# One operator, weights as inputs (the conformance suite's graphs).


def recurrent_model(
    cell: str,
    *,
    units: int,
    direction: str = "forward",
    layout: int = 0,
    transpose_layout: bool = False,
    bias: bool = True,
    sequence_lens: bool = False,
    initial_state: bool = False,
    reset_after: bool = True,
    activations: Sequence[dict] | None = None,
    opset: int = OPSET,
):
    """A ModelProto of one ONNX RNN / GRU / LSTM operator (cell "simple", "gru", "lstm") of `units` hidden units.

    Graph inputs: X, W, R, then B (bias=True), sequence_lens (int32), initial_h and initial_c (LSTM) where asked
    for; outputs Y, Y_h (and Y_c). Shapes are ONNX's for `layout`: 0 time-major, 1 batch-major. With
    transpose_layout=True a layout-1 graph is a layout-0 operator between Transposes (what a runtime without
    layout=1 runs). `activations` is one Keras options dict per direction (activation, recurrent_activation);
    reset_after=False is a GRU with linear_before_reset=0.
    """
    from onnx import TensorProto, helper

    op = operator(cell)
    u = check_size("units", units)
    check_choice("direction", direction, DIRECTIONS)
    check_choice("layout", layout, (0, 1))
    nd = 2 if direction == "bidirectional" else 1
    gu = cell_facts(cell).gate_count * u
    batch_first = layout == 1
    x_dims = ["batch", "time", "input_size"] if batch_first else ["time", "batch", "input_size"]
    state_dims = ["batch", nd, u] if batch_first else [nd, "batch", u]
    y_dims = ["batch", "time", nd, u] if batch_first else ["time", nd, "batch", u]

    def tensor(name, dims, dtype=TensorProto.FLOAT):
        return helper.make_tensor_value_info(name, dtype, dims)

    inputs = [tensor("X", x_dims), tensor("W", [nd, gu, "input_size"]), tensor("R", [nd, gu, u])]
    node_inputs = ["X", "W", "R", "", "", "", ""]  # X W R B sequence_lens initial_h initial_c
    if bias:
        inputs.append(tensor("B", [nd, 2 * gu]))
        node_inputs[3] = "B"
    if sequence_lens:
        inputs.append(tensor("sequence_lens", ["batch"], TensorProto.INT32))
        node_inputs[4] = "sequence_lens"
    states = ["initial_h", "initial_c"] if op == "LSTM" else ["initial_h"]
    if initial_state:
        inputs += [tensor(name, state_dims) for name in states]
        node_inputs[5 : 5 + len(states)] = states
    outputs = ["Y", "Y_h", "Y_c"] if op == "LSTM" else ["Y", "Y_h"]

    nodes = []
    native = batch_first and not transpose_layout
    if batch_first and transpose_layout:  # layout 1 outside, 0 inside
        nodes.append(helper.make_node("Transpose", ["X"], ["X_time_major"], perm=[1, 0, 2]))
        node_inputs[0] = "X_time_major"
        for name in states if initial_state else []:
            nodes.append(helper.make_node("Transpose", [name], [f"{name}_time_major"], perm=[1, 0, 2]))
            node_inputs[node_inputs.index(name)] = f"{name}_time_major"
    while node_inputs[-1] == "":
        node_inputs.pop()
    attributes = dict(hidden_size=u, direction=direction)
    attributes.update(activation_attributes(cell, list(activations) if activations is not None else [{}] * nd))
    if op == "GRU":
        attributes["linear_before_reset"] = linear_before_reset(reset_after)
    if native:
        attributes["layout"] = 1
    inner = [f"{name}_time_major" for name in outputs] if batch_first and transpose_layout else outputs
    nodes.append(helper.make_node(op, node_inputs, inner, name=op.lower(), **attributes))
    if batch_first and transpose_layout:
        nodes.append(helper.make_node("Transpose", [inner[0]], ["Y"], perm=[2, 0, 1, 3]))
        states = zip(inner[1:], outputs[1:], strict=True)
        nodes += [helper.make_node("Transpose", [i], [o], perm=[1, 0, 2]) for i, o in states]
    graph = helper.make_graph(
        nodes, f"{op.lower()}_{direction}", inputs, [tensor("Y", y_dims)] + [tensor(o, state_dims) for o in outputs[1:]]
    )
    return _model(graph, opset=opset)


def _model(graph, *, opset: int):
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="rnncheck")
    model.ir_version = IR_VERSION
    return model


# A Keras model.


@dataclass(frozen=True)
class OnnxLayer:
    """One Keras layer as the converted graph computes it."""

    name: str  # the Keras layer's name
    keras_class: str  # "LSTM", "Bidirectional(GRU)", "Dense"
    operator: str  # "RNN", "GRU", "LSTM", or "MatMul" (Dense)
    direction: str | None  # forward, reverse (go_backwards) or bidirectional; None for Dense
    units: int
    return_sequences: bool
    merge_mode: str | None = None  # a Bidirectional layer's
    activations: tuple[str, ...] = ()  # the ONNX functions (Dense: "Softmax" or none)
    linear_before_reset: int | None = None  # GRU's


@dataclass(frozen=True)
class OnnxConversion:
    """What convert_keras_to_onnx wrote: the layers, the weights' count as Keras counts them, the opset."""

    model_path: str
    out_path: str
    opset: int
    layers: tuple[OnnxLayer, ...]
    parameters: int  # Keras's count_params() of the converted layers
    onnx_values: int  # values in the graph's initializers (ONNX keeps two biases where SimpleRNN / LSTM have one)
    input_size: int

    def to_dict(self) -> dict:
        return {
            "model": self.model_path,
            "out": self.out_path,
            "opset": self.opset,
            "input": {"name": INPUT, "shape": ["batch", "time", self.input_size]},
            "output": OUTPUT,
            "layers": [asdict(layer) for layer in self.layers],
            "parameters": self.parameters,
            "onnx_values": self.onnx_values,
        }


def keras_model_to_onnx(model, *, name: str = "model", opset: int = OPSET):
    """A ModelProto that computes `model`'s predictions: input "input" (batch, time, features), output "output".

    `model` is a Keras Sequential or functional chain of recurrent layers (SimpleRNN, GRU in either reset_after
    mode, LSTM, Bidirectional of one with any merge_mode but None, go_backwards on a plain layer too), then an
    optional Dense head (softmax or linear); layers that do nothing at inference (Dropout, ...) may sit anywhere.
    Anything else raises a one-line ValueError that starts with `name`.
    """
    return _convert(model, name=name, opset=opset)[0]


def convert_keras_to_onnx(model_path: str | os.PathLike, out_path: str | os.PathLike, *, opset: int = OPSET):
    """Read a saved Keras model (rnncheck.model.load_keras_model, safe mode) and write its ONNX graph to `out_path`.

    Written whole or not at all (rnncheck.files.atomic_write). Raises ValueError, its one line naming the file,
    for a file that is not a Keras model or a model ONNX's operators cannot express (no recurrent layer, a mask,
    an activation without equivalent, ...), OSError when the output cannot be written. Returns an OnnxConversion.
    """
    from rnncheck.model import load_keras_model

    model_path, out_path = Path(model_path), Path(out_path)
    if out_path.is_dir():
        raise IsADirectoryError(f"{out_path}: is a folder; name the file to write, such as model.onnx")
    model = load_keras_model(model_path)
    proto, layers, parameters = _convert(model, name=str(model_path), opset=opset)
    import onnx

    onnx.checker.check_model(proto)
    content = proto.SerializeToString()
    try:
        atomic_write(out_path, lambda temporary: temporary.write_bytes(content))
    except OSError as error:  # its message would name the temporary file
        raise OSError(f"{out_path}: cannot write it: {error.strerror or error}") from error
    values = sum(int(np.prod(t.dims)) for t in proto.graph.initializer)
    input_size = proto.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    return OnnxConversion(str(model_path), str(out_path), opset, layers, parameters, values, int(input_size))


# The conversion.


class _Graph:
    """Nodes and initializers, with fresh names."""

    def __init__(self):
        self.nodes, self.initializers, self._count = [], [], 0

    def fresh(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def constant(self, stem: str, array) -> str:
        from onnx import numpy_helper

        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], *, outputs: int = 1, stem: str | None = None, **attributes):
        from onnx import helper

        names = [self.fresh(stem or op.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name=self.fresh(f"{op}_node"), **attributes))
        return names if outputs > 1 else names[0]


def _convert(model, *, name: str, opset: int):
    import keras
    from onnx import TensorProto, helper

    layers = _chain(model, name=name)
    recurrent, head = [], None
    for layer in layers:
        if isinstance(layer, _identity_layers(keras)):
            continue
        where = f"{name}: layer {layer.name!r} ({type(layer).__name__})"
        if head is not None:
            raise ValueError(f"{where} follows the Dense head; supported: {_SUPPORTED}")
        if isinstance(layer, keras.layers.Masking) or _makes_mask(layer):
            raise ValueError(
                f"{where} produces a mask, which the graph has no input for (ONNX's sequence_lens zero-fills the "
                "steps past a length where Keras repeats the last output); supported: " + _SUPPORTED
            )
        plan = _recurrent_plan(keras, layer, where=where)
        if plan is not None:
            recurrent.append(plan)
        elif isinstance(layer, keras.layers.Dense):
            if not recurrent:
                raise ValueError(f"{name}: no recurrent layer before Dense {layer.name!r}; supported: {_SUPPORTED}")
            head = layer
        else:
            raise ValueError(f"{where} has no ONNX counterpart here; supported: {_SUPPORTED}")
    if not recurrent:
        raise ValueError(f"{name}: no recurrent layer; supported: {_SUPPORTED}")

    shape = tuple(model.inputs[0].shape)
    first_kernel = recurrent[0]["weights"][0][0]
    features = int(first_kernel.shape[0])
    if len(shape) != 3 or shape[-1] not in (None, features):
        raise ValueError(f"{name}: the input must be (batch, time, {features}), got {shape}")

    graph = _Graph()
    x = graph.node("Transpose", [INPUT], perm=[1, 0, 2], stem="time_major")  # (time, batch, features)
    described, parameters, sequence = [], 0, True
    for plan in recurrent:
        x, sequence = _recurrent_nodes(graph, plan, x)
        described.append(plan["described"])
        parameters += plan["layer"].count_params()
    if sequence:
        x = graph.node("Transpose", [x], perm=[1, 0, 2], stem="batch_major")  # (batch, time, features)
    if head is not None:
        x, head_described = _dense_nodes(graph, head, x, where=f"{name}: Dense head {head.name!r}")
        described.append(head_described)
        parameters += head.count_params()
    graph.nodes.append(helper.make_node("Identity", [x], [OUTPUT], name="output"))

    width = described[-1].units * (2 if described[-1].merge_mode == "concat" else 1)
    out_dims = ["batch", "time", width] if sequence else ["batch", width]
    proto = helper.make_graph(
        graph.nodes,
        model.name or "keras_model",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["batch", "time", features])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, out_dims)],
        initializer=graph.initializers,
    )
    return _model(proto, opset=opset), tuple(described), parameters


def _identity_layers(keras) -> tuple:
    """Layers that compute nothing at inference."""
    return (
        keras.layers.InputLayer,
        keras.layers.Dropout,
        keras.layers.SpatialDropout1D,
        keras.layers.GaussianDropout,
        keras.layers.GaussianNoise,
        keras.layers.AlphaDropout,
    )


def _makes_mask(layer) -> bool:
    """True for a layer that produces a mask of its own (Embedding(mask_zero=True), ...)."""
    return bool(getattr(layer, "mask_zero", False))


def _chain(model, *, name: str) -> list:
    """The model's layers in order, if each takes the one before's output and nothing else (a chain)."""
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"{name}: not a Keras model ({type(model).__name__})")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"{name}: a model with {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            f"supported: one input, {_SUPPORTED}"
        )
    if isinstance(model, keras.Sequential):
        return list(model.layers)
    try:
        config = model.get_config()
        entries = config["layers"]
    except Exception as error:  # a subclassed model has no graph to read
        raise ValueError(f"{name}: a {type(model).__name__} is not a Sequential or functional model") from error
    previous, layers = None, []
    for entry in entries:
        nodes = entry.get("inbound_nodes") or []
        layer = model.get_layer(entry["name"])
        if not nodes:
            previous = entry["name"]  # the input
            layers.append(layer)
            continue
        tensors = _keras_tensors(nodes)
        if len(nodes) != 1 or len(tensors) != 1 or tensors[0][0] != previous or tensors[0][2] != 0:
            raise ValueError(
                f"{name}: layer {entry['name']!r} does not take the previous layer's output alone; supported: a "
                f"chain of {_SUPPORTED}"
            )
        previous = entry["name"]
        layers.append(layer)
    output = config.get("output_layers") or [[previous]]
    output = output if isinstance(output[0], str) else output[0]  # one output: [name, node, tensor]
    if output[0] != previous:
        raise ValueError(f"{name}: the output is not the last layer's; supported: a chain of {_SUPPORTED}")
    return layers


def _keras_tensors(value) -> list[tuple]:
    """Every keras_history (layer, node, tensor) in a serialized inbound node."""
    found = []
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            found.append(tuple(value["config"]["keras_history"]))
        else:
            for item in value.values():
                found += _keras_tensors(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found += _keras_tensors(item)
    return found


def _cell_of(keras, layer) -> str | None:
    classes = {"simple": keras.layers.SimpleRNN, "gru": keras.layers.GRU, "lstm": keras.layers.LSTM}
    return next((cell for cell, cls in classes.items() if isinstance(layer, cls)), None)


def _weights(keras, layer) -> list[np.ndarray]:
    """layer's variables as NumPy (read as rnncheck.export reads them: no backend warns)."""
    return [np.asarray(keras.ops.stop_gradient(variable.value)) for variable in layer.weights]


def _recurrent_plan(keras, layer, *, where: str) -> dict | None:
    """What one recurrent layer becomes, or None for a layer that is not one."""
    bidirectional = isinstance(layer, keras.layers.Bidirectional)
    inner = layer.forward_layer if bidirectional else layer
    cell = _cell_of(keras, inner)
    if cell is None:
        return None
    config = _check_recurrent(inner, cell, where=where)
    halves = [(inner, config)]
    if bidirectional:
        if layer.merge_mode not in MERGE_MODES:
            raise ValueError(
                f"{where}: Bidirectional merge_mode={layer.merge_mode!r} returns two outputs; supported: "
                f"{', '.join(MERGE_MODES)}"
            )
        if config["go_backwards"]:
            raise ValueError(f"{where}: Bidirectional around a layer with go_backwards=True; supported: its default")
        backward = layer.backward_layer
        if _cell_of(keras, backward) != cell:
            kind = type(backward).__name__
            raise ValueError(f"{where}: the backward layer is a {kind}; one ONNX operator holds both directions")
        backward_config = _check_recurrent(backward, cell, where=f"{where}, backward layer")
        for key in ("units", "use_bias", "reset_after", "return_sequences"):
            if backward_config.get(key) != config.get(key):
                raise ValueError(f"{where}: the backward layer's {key} differs from the forward one's")
        halves.append((backward, backward_config))
    weights = []
    for half, _ in halves:
        kernel, recurrent_kernel, *bias = _weights(keras, half)
        weights.append((kernel, recurrent_kernel, bias[0] if bias else None))
    reset_after = bool(config.get("reset_after", True))
    direction = "bidirectional" if bidirectional else ("reverse" if config["go_backwards"] else "forward")
    described = OnnxLayer(
        name=layer.name,
        keras_class=f"Bidirectional({type(inner).__name__})" if bidirectional else type(inner).__name__,
        operator=operator(cell),
        direction=direction,
        units=int(config["units"]),
        return_sequences=bool(config["return_sequences"]),
        merge_mode=layer.merge_mode if bidirectional else None,
        activations=_function_names(cell, [c for _, c in halves]),
        linear_before_reset=linear_before_reset(reset_after) if cell == "gru" else None,
    )
    return dict(layer=layer, cell=cell, configs=[c for _, c in halves], weights=weights, reset_after=reset_after,
                direction=direction, described=described)  # fmt: skip


def _function_names(cell: str, configs: list[dict]) -> tuple[str, ...]:
    """The ONNX activation functions of each direction, in the operator's order (f; f, g; f, g, h)."""
    return tuple(onnx_activation(c[key]).name for c in configs for key in keras_activations(cell))


def _check_recurrent(layer, cell: str, *, where: str) -> dict:
    """The layer's config, if one ONNX operator computes what it computes at inference."""
    config = layer.get_config()
    if config.get("stateful"):
        raise ValueError(f"{where}: stateful=True carries state between batches; an ONNX graph does not")
    if config.get("return_state"):
        raise ValueError(f"{where}: return_state=True returns states besides the output; supported: one output")
    onnx_activation(config["activation"], argument=f"{where}: activation")
    if cell != "simple":
        onnx_activation(config["recurrent_activation"], argument=f"{where}: recurrent_activation")
    return config


def _recurrent_nodes(graph: _Graph, plan: dict, x: str) -> tuple[str, bool]:
    """The operator and what turns its Y / Y_h into the Keras layer's output; returns (output, is a sequence)."""
    cell, direction, config = plan["cell"], plan["direction"], plan["configs"][0]
    onnx_weights = keras_to_onnx(cell, plan["weights"], reset_after=plan["reset_after"])
    stem = plan["layer"].name
    inputs = [x, graph.constant(f"{stem}_W", onnx_weights["W"]), graph.constant(f"{stem}_R", onnx_weights["R"])]
    if config["use_bias"]:
        inputs.append(graph.constant(f"{stem}_B", onnx_weights["B"]))
    attributes = dict(hidden_size=int(config["units"]), direction=direction)
    attributes.update(activation_attributes(cell, plan["configs"]))
    if cell == "gru":
        attributes["linear_before_reset"] = linear_before_reset(plan["reset_after"])
    op = operator(cell)
    y, y_h = graph.node(op, inputs, outputs=2, stem=stem, **attributes)  # Y (time, nd, batch, u), Y_h (nd, batch, u)
    sequence = bool(config["return_sequences"])
    if direction != "bidirectional":
        if not sequence:
            return graph.node("Squeeze", [y_h, graph.constant("axis", np.array([0], np.int64))]), False
        y = graph.node("Squeeze", [y, graph.constant("axis", np.array([1], np.int64))])  # (time, batch, u)
        if direction == "reverse":  # Keras returns the steps in the order it computed them
            bounds = (("start", [-1]), ("end", _ORDER), ("axes", [0]), ("steps", [-1]))
            y = graph.node("Slice", [y, *(graph.constant(n, np.array(v, np.int64)) for n, v in bounds)])
        return y, True
    merge = plan["layer"].merge_mode
    axis = 1 if sequence else 0  # the direction axis of Y or Y_h
    source = y if sequence else y_h
    if merge == "concat":
        perm = [0, 2, 1, 3] if sequence else [1, 0, 2]
        moved = graph.node("Transpose", [source], perm=perm)  # (..., batch, 2, u)
        shape = [0, 0, -1] if sequence else [0, -1]
        return graph.node("Reshape", [moved, graph.constant("shape", np.array(shape, np.int64))]), sequence
    forward, backward = graph.node("Split", [source], outputs=2, axis=axis)
    squeeze_axis = graph.constant("axis", np.array([axis], np.int64))
    forward, backward = (graph.node("Squeeze", [half, squeeze_axis]) for half in (forward, backward))
    if merge == "sum":
        return graph.node("Add", [forward, backward]), sequence
    if merge == "mul":
        return graph.node("Mul", [forward, backward]), sequence
    total = graph.node("Add", [forward, backward])  # ave: (y + y_back) / 2, as Keras computes it
    return graph.node("Div", [total, graph.constant("two", np.array(2.0, np.float32))]), sequence


def _dense_nodes(graph: _Graph, layer, x: str, *, where: str) -> tuple[str, OnnxLayer]:
    import keras

    config = layer.get_config()
    if config["activation"] not in ("softmax", "linear"):
        raise ValueError(f"{where} has activation {config['activation']!r}; supported: 'softmax' or 'linear'")
    kernel, *bias = _weights(keras, layer)
    x = graph.node("MatMul", [x, graph.constant(f"{layer.name}_kernel", kernel.astype(np.float32))])
    if bias:
        x = graph.node("Add", [x, graph.constant(f"{layer.name}_bias", bias[0].astype(np.float32))])
    if config["activation"] == "softmax":
        x = graph.node("Softmax", [x], axis=-1)
    described = OnnxLayer(
        name=layer.name,
        keras_class="Dense",
        operator="MatMul",
        direction=None,
        units=int(config["units"]),
        return_sequences=False,
        activations=("Softmax",) if config["activation"] == "softmax" else (),
    )
    return x, described
