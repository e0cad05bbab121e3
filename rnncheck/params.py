"""Parameter counts of Keras and PyTorch recurrent layers, by formula (pure Python, no framework).

Keras: with input size d and u units, a cell with G gates (SimpleRNN 1, GRU 3, LSTM 4) holds
    kernel            (d, G*u)   input -> units
    recurrent_kernel  (u, G*u)   units -> units: the weights that make it recurrent
    bias              (G*u,)     (GRU with reset_after=True: (2, G*u), a second bias)
so SimpleRNN has u*(d+u+1) parameters: 28 inputs and 10 units give 280 + 100 + 10 = 390.

PyTorch (framework="torch") stores the transposed matrices and two bias vectors, per layer k:
    weight_ih_lk (G*u, d), weight_hh_lk (G*u, p), bias_ih_lk and bias_hh_lk (G*u,),
    and for an LSTM with proj_size p > 0 also weight_hr_lk (p, u); without a projection p = u.
So one direction of one layer holds G*u*(d+p+2) (+ p*u). A bidirectional layer holds it twice
(the second set named *_reverse) and passes 2p features to the layer above.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from rnncheck.cells import MERGE_MODES
from rnncheck.cells import cell as cell_facts
from rnncheck.checks import check_choice, check_non_negative, check_size
from rnncheck.frameworks import LAYOUTS


@dataclass(frozen=True)
class Weight:
    """One weight tensor, named as its framework names it."""

    name: str
    shape: tuple[int, ...]

    @property
    def count(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class LayerParams:
    """The weights of one layer; a bidirectional layer holds them once per direction."""

    kind: str  # "simple", "gru", "lstm" or "dense"
    input_size: int
    units: int
    weights: tuple[Weight, ...]  # one direction's (PyTorch: the forward names)
    output_size: int  # the size the next layer sees
    directions: int = 1
    framework: str = "keras"

    @property
    def total(self) -> int:
        return self.directions * sum(w.count for w in self.weights)

    @property
    def breakdown(self) -> str:
        """The total as a sum of weight shapes: '28x10 + 10x10 + 10'."""
        terms = " + ".join("x".join(map(str, w.shape)) for w in self.weights)
        return terms if self.directions == 1 else f"{self.directions} x ({terms})"

    def named_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every weight of every direction by name; PyTorch's backward direction adds '_reverse'."""
        shapes = {w.name: w.shape for w in self.weights}
        if self.directions == 2 and self.framework == "torch":
            shapes.update({f"{w.name}_reverse": w.shape for w in self.weights})
        return shapes

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "framework": self.framework,
            "input_size": self.input_size,
            "units": self.units,
            "directions": self.directions,
            "output_size": self.output_size,
            "total": self.total,
            "breakdown": self.breakdown,
            "weights": [{"name": w.name, "shape": list(w.shape), "count": w.count} for w in self.weights],
        }


@dataclass(frozen=True)
class ModelParams:
    """A model as a sequence of layers; `total` is what Keras's `count_params()` reports."""

    layers: tuple[LayerParams, ...]

    @property
    def total(self) -> int:
        return sum(layer.total for layer in self.layers)

    @property
    def recurrent(self) -> int:
        """The recurrent layers' share of the total (all but a Dense head)."""
        return sum(layer.total for layer in self.layers if layer.kind != "dense")

    def named_shapes(self) -> dict[str, tuple[int, ...]]:
        """PyTorch: the names and shapes of the module's state_dict (layers are numbered in the names)."""
        return {name: shape for layer in self.layers for name, shape in layer.named_shapes().items()}

    def to_dict(self) -> dict:
        return {"recurrent": self.recurrent, "total": self.total, "layers": [layer.to_dict() for layer in self.layers]}


def recurrent_params(
    cell: str,
    *,
    input_size: int,
    units: int,
    use_bias: bool = True,
    reset_after: bool = True,
    bidirectional: bool = False,
    merge_mode: str = "concat",
    framework: str = "keras",
    proj_size: int = 0,
    layer: int = 0,
    kernel_size: Sequence[int] | int | None = None,
) -> LayerParams:
    """Weights of one recurrent layer: G*u*(d+u+1) in Keras (GRU reset_after: G*u*(d+u+2)), G*u*(d+u+2) in PyTorch.

    Keras's shapes are the cell's (rnncheck.cells.Cell.weight_shapes): ConvLSTMnD's kernels are
    (*kernel_size, d, 4u) and (*kernel_size, u, 4u), 4u(k(d+u)+1) with k = prod(kernel_size), d the channels.
    `proj_size` (PyTorch LSTM only) and `layer` (the k of PyTorch's names *_lk) matter only for framework="torch".
    """
    facts = cell_facts(cell)
    gates = facts.gate_count
    check_choice("framework", framework, LAYOUTS)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    d, u = check_size("input_size", input_size), check_size("units", units)
    directions = 2 if bidirectional else 1
    gu = gates * u
    if facts.rank and kernel_size is None:
        raise ValueError(f"{facts.keras_class} needs kernel_size ({facts.rank} positive integers, or one for all)")
    if kernel_size is not None and not facts.rank:
        raise ValueError(f"kernel_size is for the convolutional cells (ConvLSTM1D/2D/3D); got cell={cell!r}")
    if framework == "keras":
        if proj_size:
            raise ValueError("proj_size is PyTorch's (nn.LSTM); Keras's recurrent layers have no projection")
        options = {"reset_after": reset_after} if "reset_after" in facts.options else {}
        if facts.rank:
            sizes = [kernel_size] * facts.rank if isinstance(kernel_size, numbers.Integral) else list(kernel_size)
            if len(sizes) != facts.rank:
                raise ValueError(f"kernel_size must be {facts.rank} sizes for {facts.keras_class}, got {len(sizes)}")
            options["kernel_size"] = tuple(check_size("kernel_size", k) for k in sizes)
        shapes = facts.weight_shapes(input_size=d, units=u, use_bias=use_bias, **options)
        weights = tuple(Weight(name, shape) for name, shape in shapes.items())
        output_size = directions * u if merge_mode == "concat" else u
        return LayerParams(cell, d, u, weights, output_size, directions, framework)

    if facts.torch_class is None:
        raise ValueError(f"{facts.keras_class} has no PyTorch module (framework='torch')")
    if cell == "gru" and not reset_after:
        raise ValueError("reset_after=False has no PyTorch equivalent: nn.GRU applies the reset gate after the matmul")
    if bidirectional and merge_mode != "concat":
        raise ValueError(f"PyTorch's bidirectional layers always concatenate; merge_mode={merge_mode!r} is Keras's")
    if isinstance(proj_size, bool) or not isinstance(proj_size, numbers.Integral) or not 0 <= proj_size < u:
        raise ValueError(
            f"proj_size must be an integer from 0 to units - 1 = {u - 1} (smaller than hidden_size), got {proj_size!r}"
        )
    if proj_size and cell != "lstm":
        raise ValueError(f"proj_size is for LSTM only (nn.LSTM); got cell={cell!r}")
    k = check_non_negative("layer", layer)
    p = proj_size or u
    weights = [Weight(f"weight_ih_l{k}", (gu, d)), Weight(f"weight_hh_l{k}", (gu, p))]
    if use_bias:
        weights += [Weight(f"bias_ih_l{k}", (gu,)), Weight(f"bias_hh_l{k}", (gu,))]
    if proj_size:
        weights.append(Weight(f"weight_hr_l{k}", (p, u)))
    return LayerParams(cell, d, u, tuple(weights), directions * p, directions, framework)


def dense_params(*, input_size: int, units: int, use_bias: bool = True) -> LayerParams:
    """A Dense layer: kernel (d, k) and bias (k,), (d+1)*k parameters."""
    d = check_size("input_size", input_size)
    k = check_size("units", units)
    weights = (Weight("kernel", (d, k)),) + ((Weight("bias", (k,)),) if use_bias else ())
    return LayerParams("dense", d, k, weights, output_size=k)


def stack_params(cell: str, *, input_size: int, units: Sequence[int], **options) -> ModelParams:
    """Stacked recurrent layers: each layer's input size is the previous layer's output size."""
    if isinstance(units, (str, bytes)) or not isinstance(units, Sequence) or not units:
        raise ValueError(f"units must be a non-empty sequence of layer sizes, got {units!r}")
    layers = []
    size = input_size
    for k, u in enumerate(units):
        layers.append(recurrent_params(cell, input_size=size, units=u, layer=k, **options))
        size = layers[-1].output_size
    return ModelParams(tuple(layers))


def torch_params(
    cell: str,
    *,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> ModelParams:
    """What nn.RNN / nn.GRU / nn.LSTM(input_size, hidden_size, num_layers, ...) holds, layer by layer."""
    layers = check_size("num_layers", num_layers)
    return stack_params(
        cell,
        input_size=input_size,
        units=[check_size("hidden_size", hidden_size)] * layers,
        use_bias=bias,
        bidirectional=bidirectional,
        proj_size=proj_size,
        framework="torch",
    )


def model_params(
    cell: str = "simple",
    *,
    input_size: int = 28,
    units: int | Sequence[int] = 10,
    num_layers: int = 1,
    num_classes: int = 10,
    **options,
) -> ModelParams:
    """The MNIST model: recurrent layer(s) then Dense(num_classes); the classic one is 390 + 110 = 500.

    An integer `units` is repeated `num_layers` times; a sequence gives each layer's size.
    """
    if isinstance(units, numbers.Integral):
        units = [units] * check_size("num_layers", num_layers)
    stack = stack_params(cell, input_size=input_size, units=units, **options)
    head = dense_params(input_size=stack.layers[-1].output_size, units=check_size("num_classes", num_classes))
    return ModelParams(stack.layers + (head,))
