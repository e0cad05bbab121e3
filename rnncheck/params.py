"""Parameter counts of Keras recurrent layers, by formula (pure Python, no TensorFlow).

With input size d and u units, a cell with G gates (SimpleRNN 1, GRU 3, LSTM 4) holds
    kernel            (d, G*u)   input -> units
    recurrent_kernel  (u, G*u)   units -> units: the weights that make it recurrent
    bias              (G*u,)     (GRU with reset_after=True: (2, G*u), a second bias)
so SimpleRNN has u*(d+u+1) parameters: 28 inputs and 10 units give 280 + 100 + 10 = 390.

PyTorch (framework="torch") stores the transposed matrices and always two bias vectors,
weight_ih (G*u, d), weight_hh (G*u, u), bias_ih and bias_hh (G*u,): G*u*(d+u+2).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

CELLS = ("simple", "gru", "lstm")
GATES = {"simple": 1, "gru": 3, "lstm": 4}
KERAS_CLASS = {"simple": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}
FRAMEWORKS = ("keras", "torch")
MERGE_MODES = ("concat", "sum", "ave", "mul")


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
    weights: tuple[Weight, ...]
    output_size: int  # the size the next layer sees
    directions: int = 1

    @property
    def total(self) -> int:
        return self.directions * sum(w.count for w in self.weights)

    @property
    def breakdown(self) -> str:
        """The total as a sum of weight shapes: '28x10 + 10x10 + 10'."""
        terms = " + ".join("x".join(map(str, w.shape)) for w in self.weights)
        return terms if self.directions == 1 else f"{self.directions} x ({terms})"


@dataclass(frozen=True)
class ModelParams:
    """A model as a sequence of layers; `total` is what Keras's `count_params()` reports."""

    layers: tuple[LayerParams, ...]

    @property
    def total(self) -> int:
        return sum(layer.total for layer in self.layers)


def check_size(name: str, value: object) -> int:
    """Return `value` if it is a positive integer, else raise an error that names `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r} ({type(value).__name__})")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value  # type: ignore[return-value]


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
) -> LayerParams:
    """Weights of one recurrent layer: G*u*(d+u+1) in Keras (GRU reset_after: G*u*(d+u+2))."""
    check_choice("cell", cell, CELLS)
    check_choice("framework", framework, FRAMEWORKS)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    d = check_size("input_size", input_size)
    u = check_size("units", units)
    gu = GATES[cell] * u
    if framework == "keras":
        weights = [Weight("kernel", (d, gu)), Weight("recurrent_kernel", (u, gu))]
        if use_bias:
            two_biases = cell == "gru" and reset_after
            weights.append(Weight("bias", (2, gu) if two_biases else (gu,)))
    else:
        if cell == "gru" and not reset_after:
            raise ValueError(
                "reset_after=False has no PyTorch equivalent: nn.GRU applies the reset gate after the matmul"
            )
        weights = [Weight("weight_ih", (gu, d)), Weight("weight_hh", (gu, u))]
        if use_bias:
            weights += [Weight("bias_ih", (gu,)), Weight("bias_hh", (gu,))]
    directions = 2 if bidirectional else 1
    output_size = 2 * u if bidirectional and merge_mode == "concat" else u
    return LayerParams(cell, d, u, tuple(weights), output_size, directions)


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
    for u in units:
        layer = recurrent_params(cell, input_size=size, units=u, **options)
        layers.append(layer)
        size = layer.output_size
    return ModelParams(tuple(layers))


def model_params(
    cell: str = "simple",
    *,
    input_size: int = 28,
    units: int | Sequence[int] = 10,
    num_classes: int = 10,
    **options,
) -> ModelParams:
    """The MNIST model: recurrent layer(s) then Dense(num_classes); the classic one is 390 + 110 = 500."""
    stack = stack_params(
        cell, input_size=input_size, units=[units] if isinstance(units, numbers.Integral) else units, **options
    )
    head = dense_params(input_size=stack.layers[-1].output_size, units=check_size("num_classes", num_classes))
    return ModelParams(stack.layers + (head,))
