"""What a cell module states: a frozen Cell of facts, and its step forward and backward (NumPy, float64).

A cell's `steps(kernel, recurrent_kernel, bias, **options)` gives Steps for one direction of one layer:
    step(x_t, states) -> (new_states, cache)             the output of the step is new_states[0] (h)
    back(cache, d_new_states, grads) -> (dx_t, d_states) adds the step's weight gradients into grads
    zero_states(x_t) -> states                           what a layer starts from without initial_state
rnncheck.reference and rnncheck.gradients run these in one loop each, for every cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Steps:
    step: Callable
    back: Callable
    zero_states: Callable


@dataclass(frozen=True)
class Cell:
    name: str  # how rnncheck names it: "simple", "gru", "lstm", "convlstm2d"
    keras_class: str  # keras.layers.<keras_class>
    gates: tuple[str, ...]  # u-blocks of Keras's kernel, in order
    states: tuple[str, ...]  # what return_state gives after the output
    options: dict  # the cell's own Keras options and their defaults (a copy is handed out)
    bias_shape: Callable[..., tuple[int, ...]]  # (units, **options) -> Keras's bias shape
    steps: Callable[..., Steps] = field(repr=False)  # (kernel, recurrent_kernel, bias, **options) -> Steps
    torch_class: str | None = None  # torch.nn.<torch_class>, where PyTorch has the cell
    torch_gates: tuple[str, ...] | None = None  # u-blocks of PyTorch's weight_ih, in order
    rank: int = 0  # spatial dimensions of each step's input: 0 for a vector, n for ConvLSTMnD
    projects: bool = False  # its steps take projection= (u, p), PyTorch's proj_size: h = (its h) P, p wide

    @property
    def gate_count(self) -> int:
        return len(self.gates)

    def defaults(self, **given) -> dict:
        """The cell's options with `given` over its defaults; a ValueError names an option it does not take."""
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            takes = ", ".join(self.options) or "none"
            raise ValueError(f"{self.keras_class} takes no option {', '.join(unknown)} (its options: {takes})")
        return {**self.options, **given}

    def weight_shapes(self, *, input_size: int, units: int, use_bias: bool = True, **options) -> dict:
        """Keras's weights of one direction by name: kernel (..., d, G*u), recurrent_kernel (..., u, G*u), bias."""
        options = self.defaults(**options)
        kernel_size = tuple(options.get("kernel_size") or ())
        gu = self.gate_count * units
        shapes = {"kernel": (*kernel_size, input_size, gu), "recurrent_kernel": (*kernel_size, units, gu)}
        if use_bias:
            shapes["bias"] = self.bias_shape(units, **options)
        return shapes

    def param_count(self, *, input_size: int, units: int, use_bias: bool = True, **options) -> int:
        shapes = self.weight_shapes(input_size=input_size, units=units, use_bias=use_bias, **options)
        return sum(math.prod(shape) for shape in shapes.values())


def add_weight_gradients(grads: dict, x_t, h, d_inputs, d_recurrent) -> None:
    """kernel += x_t^T d_inputs, recurrent_kernel += h^T d_recurrent, bias += d_inputs' batch sum (a vector cell)."""
    grads["kernel"] += x_t.T @ d_inputs
    grads["recurrent_kernel"] += h.T @ d_recurrent
    if "bias" in grads:
        grads["bias"] += d_inputs.sum(axis=0)


def vector_zero_states(count: int, units: int) -> Callable:
    return lambda x_t: tuple(np.zeros((x_t.shape[0], units)) for _ in range(count))
