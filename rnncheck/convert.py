"""Recurrent-layer weights between Keras and PyTorch, NumPy in and out (imports no framework).

For a cell with G gates and u units on d inputs, layer k of a PyTorch module holds

    Keras (set_weights)                           PyTorch (state_dict)
    kernel            (d, G*u)        transposed  weight_ih_lk  (G*u, d)
    recurrent_kernel  (u, G*u)        transposed  weight_hh_lk  (G*u, u)
    bias SimpleRNN, LSTM  (G*u,)      the sum of  bias_ih_lk + bias_hh_lk  (each (G*u,))
    bias GRU          (2, G*u)        rows        bias_ih_lk, bias_hh_lk

Every G*u axis is one u-block per gate, in each framework's gate order (rnncheck.cells): GRU z, r, h
(Keras) against r, z, n (PyTorch); LSTM i, f, c, o against i, f, g, o (the same order). A
Bidirectional layer's backward weights are PyTorch's *_lk_reverse. Only a GRU with reset_after=True
(Keras's default) has a PyTorch equivalent, and only an LSTM without proj_size has a Keras one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rnncheck.cells import Cell
from rnncheck.cells import cell as cell_facts
from rnncheck.cells.gru import split_bias
from rnncheck.checks import check_non_negative

# The candidate gate is called n (GRU) and g (LSTM) by PyTorch, h and c by Keras; the other gates share their names.
_KERAS_NAME = {"n": "h", "g": "c"}

_RESET_AFTER = (
    "a Keras GRU with reset_after=False has no PyTorch equivalent: nn.GRU applies the reset gate after "
    "the recurrent matmul, which is Keras's reset_after=True"
)


def keras_to_torch(
    cell: str,
    weights: Sequence,
    *,
    reset_after: bool = True,
    bidirectional: bool = False,
    layer: int = 0,
    prefix: str = "",
) -> dict[str, np.ndarray]:
    """A Keras layer's get_weights() as layer `layer` of the PyTorch module's state_dict (keys start with `prefix`).

    `weights` is [kernel, recurrent_kernel, bias] (no bias when use_bias=False; Bidirectional: the forward
    layer's, then the backward's). The LSTM and SimpleRNN bias goes to bias_ih; bias_hh is zero.
    """
    facts = cell_facts(cell)
    if cell == "gru" and not reset_after:
        raise ValueError(_RESET_AFTER)
    k = check_non_negative("layer", layer)
    directions = 2 if bidirectional else 1
    weights = list(weights)
    per_direction, rest = divmod(len(weights), directions)
    if rest or per_direction not in (2, 3):
        what = "forward then backward " if bidirectional else ""
        raise ValueError(
            f"weights must be {what}[kernel, recurrent_kernel, bias] or [kernel, recurrent_kernel] "
            f"({directions * 3} or {directions * 2} arrays), got {len(weights)}"
        )
    order = _keras_to_torch_order(facts)
    state = {}
    for direction in range(directions):
        kernel, recurrent_kernel, *bias = (np.asarray(w) for w in weights[direction * per_direction :][:per_direction])
        where = ("backward " if direction else "forward ") if bidirectional else ""
        _check_keras_shapes(facts, kernel, recurrent_kernel, bias[0] if bias else None, where=where)
        suffix = f"_l{k}" + ("_reverse" if direction else "")
        state[f"{prefix}weight_ih{suffix}"] = _reorder(kernel.T, order)  # (G*u, d)
        state[f"{prefix}weight_hh{suffix}"] = _reorder(recurrent_kernel.T, order)  # (G*u, u)
        if bias:
            (bias,) = bias
            both = _input_and_recurrent_bias(cell, bias)
            input_bias, recurrent_bias = (np.broadcast_to(b, bias.shape[-1:]) for b in both)
            state[f"{prefix}bias_ih{suffix}"] = _reorder(input_bias, order)
            state[f"{prefix}bias_hh{suffix}"] = _reorder(recurrent_bias, order)
    return state


def torch_to_keras(
    cell: str,
    state_dict: Mapping,
    *,
    bidirectional: bool = False,
    layer: int = 0,
    prefix: str = "",
) -> list[np.ndarray]:
    """Layer `layer` of a PyTorch state_dict (keys starting with `prefix`) as the list Keras's set_weights takes.

    Values are arrays or CPU tensors. A GRU comes back with Keras's reset_after=True bias (2, 3u). PyTorch's two
    LSTM / SimpleRNN biases are added into Keras's one, so torch -> Keras -> torch gives other tensors
    (bias_ih = the sum, bias_hh = 0) that compute the same outputs.
    """
    facts = cell_facts(cell)
    k = check_non_negative("layer", layer)
    if not bidirectional and f"{prefix}weight_ih_l{k}_reverse" in state_dict:
        raise ValueError(f"state_dict holds {prefix}weight_ih_l{k}_reverse: pass bidirectional=True")
    order = _torch_to_keras_order(facts)
    weights = []
    for direction in range(2 if bidirectional else 1):
        suffix = f"_l{k}" + ("_reverse" if direction else "")
        if f"{prefix}weight_hr{suffix}" in state_dict:
            raise ValueError(
                f"{prefix}weight_hr{suffix}: an LSTM with proj_size > 0 has no Keras equivalent (Keras's LSTM has no "
                "projection)"
            )
        names = [f"{prefix}{name}{suffix}" for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        for name in names[:2]:
            if name not in state_dict:
                raise ValueError(f"state_dict has no {name}")
        if (names[2] in state_dict) != (names[3] in state_dict):
            present, missing = (names[2], names[3]) if names[2] in state_dict else (names[3], names[2])
            raise ValueError(f"state_dict has {present} but no {missing}: PyTorch has both biases or neither")
        w_ih, w_hh, *biases = (np.asarray(state_dict[name]) for name in names if name in state_dict)
        _check_torch_shapes(facts, dict(zip(names, [w_ih, w_hh, *biases], strict=False)))
        weights += [np.ascontiguousarray(_reorder(w, order).T) for w in (w_ih, w_hh)]  # (d, G*u), (u, G*u)
        if biases:
            input_bias, recurrent_bias = (_reorder(b, order) for b in biases)
            weights.append(np.stack([input_bias, recurrent_bias]) if cell == "gru" else input_bias + recurrent_bias)
    return weights


def dense_to_linear(weights: Sequence, *, prefix: str = "") -> dict[str, np.ndarray]:
    """A Keras Dense's [kernel (d, k), bias (k,)] (or [kernel]) as nn.Linear's state_dict: weight (k, d), bias."""
    kernel, *bias = (np.asarray(w) for w in weights)
    if kernel.ndim != 2 or len(bias) > 1 or (bias and bias[0].shape != kernel.shape[1:]):
        shapes = [np.shape(w) for w in weights]
        raise ValueError(f"Dense weights must be [kernel (d, k), bias (k,)] or [kernel], got shapes {shapes}")
    state = {f"{prefix}weight": np.ascontiguousarray(kernel.T)}
    if bias:
        state[f"{prefix}bias"] = bias[0].copy()
    return state


def _input_and_recurrent_bias(cell: str, bias: np.ndarray) -> tuple:
    """(input bias, recurrent bias) of a Keras bias: GRU's reset_after rows (rnncheck.cells.gru), else (bias, 0)."""
    return split_bias(bias, reset_after=True) if cell == "gru" else (bias, np.zeros(bias.shape[-1:], bias.dtype))


def _keras_to_torch_order(facts: Cell) -> list[int]:
    """For each gate in PyTorch's order, where its block is in Keras's order."""
    return [facts.gates.index(_KERAS_NAME.get(gate, gate)) for gate in facts.torch_gates]


def _torch_to_keras_order(facts: Cell) -> list[int]:
    """For each gate in Keras's order, where its block is in PyTorch's order."""
    torch_as_keras = [_KERAS_NAME.get(gate, gate) for gate in facts.torch_gates]
    return [torch_as_keras.index(gate) for gate in facts.gates]


def _reorder(array: np.ndarray, order: list[int]) -> np.ndarray:
    """A new C-contiguous array whose gate blocks (along axis 0) come in `order`."""
    blocks = np.split(array, len(order), axis=0)
    # concatenate keeps a transposed input's Fortran order; safetensors writes the raw buffer, so force C order.
    return np.ascontiguousarray(np.concatenate([blocks[i] for i in order], axis=0))


def _check_keras_shapes(facts: Cell, kernel, recurrent_kernel, bias, *, where: str) -> None:
    g = facts.gate_count
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != g * recurrent_kernel.shape[0]:
        raise ValueError(f"{where}recurrent_kernel must be (units, {g} * units), got {recurrent_kernel.shape}")
    u = recurrent_kernel.shape[0]
    if kernel.ndim != 2 or kernel.shape[1] != g * u:
        raise ValueError(f"{where}kernel must be (input_size, {g} * units) = (d, {g * u}), got {kernel.shape}")
    expected = (2, g * u) if facts.name == "gru" else (g * u,)
    if bias is not None and bias.shape != expected:
        hint = ""
        if facts.name == "gru" and bias.shape == (g * u,):
            hint = ": a (3u,) bias is a GRU with reset_after=False, which has no PyTorch equivalent"
        raise ValueError(f"{where}bias must be {expected}, got {bias.shape}{hint}")


def _check_torch_shapes(facts: Cell, tensors: dict[str, np.ndarray]) -> None:
    (ih_name, w_ih), (hh_name, w_hh), *biases = tensors.items()
    g = facts.gate_count
    if w_hh.ndim != 2 or w_hh.shape[0] != g * w_hh.shape[1]:
        raise ValueError(f"{hh_name} must be ({g} * hidden_size, hidden_size), got {w_hh.shape}")
    gu = w_hh.shape[0]
    if w_ih.ndim != 2 or w_ih.shape[0] != gu:
        raise ValueError(f"{ih_name} must be ({gu}, input_size), got {w_ih.shape}")
    for name, bias in biases:
        if bias.shape != (gu,):
            raise ValueError(f"{name} must be ({gu},), got {bias.shape}")
