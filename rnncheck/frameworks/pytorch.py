"""PyTorch's own recurrent layers as a framework under test: nn.RNN / nn.GRU / nn.LSTM and their cells.

What it supports, how its weights map from Keras's layout (rnncheck.convert), and how it runs a stack of alike
layers: batch-first or time-first, batched or not, from given states or zeros, packed or padded, on any device.
Imports torch when it runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from rnncheck.cells import cell as cell_facts
from rnncheck.convert import keras_to_torch

DEVICE_ENV = "RNNCHECK_DEVICE"  # cuda: run PyTorch's layers (and so cuDNN's kernels) on the GPU


def device() -> str:
    """Where the suite runs PyTorch's layers: $RNNCHECK_DEVICE, cpu by default."""
    return os.environ.get(DEVICE_ENV, "cpu")


def supports(cell: str, *, reset_after: bool = True, activation: str = "tanh") -> str | None:
    """None if PyTorch has this layer, else the reason it has not."""
    facts = cell_facts(cell)
    if facts.torch_class is None:
        return f"{facts.keras_class} has no PyTorch module"
    if cell == "gru" and not reset_after:
        return "nn.GRU applies the reset gate after the recurrent matmul: Keras's reset_after=True only"
    allowed = ("tanh", "relu") if cell == "simple" else ("tanh",)
    if activation not in allowed:
        return f"{facts.torch_class} has activation {' or '.join(allowed)} only, not {activation}"
    return None


def state_dict(
    cell: str, layers: Sequence[Sequence[np.ndarray]], *, bidirectional: bool, projections=None
) -> dict[str, np.ndarray]:
    """The module's state_dict for Keras weights given per layer (forward, then backward); with `projections`
    (per layer, each direction's P (u, p)) an LSTM's with proj_size p, whose recurrent kernels are (p, 4u)."""
    if projections is not None:
        return _projected_lstm_state_dict(cell, layers, projections)
    state = {}
    for k, weights in enumerate(layers):
        state.update(keras_to_torch(cell, weights, bidirectional=bidirectional, layer=k))
    return state


def _projected_lstm_state_dict(cell: str, layers, projections) -> dict[str, np.ndarray]:
    # Keras's gates i, f, c, o are PyTorch's i, f, g, o, in the same order: transposes, bias_hh zero, weight_hr = P^T.
    facts = cell_facts(cell)
    if not facts.projects:
        raise ValueError(f"only an LSTM has a projection (proj_size), not {facts.torch_class}")
    state = {}
    for k, (weights, per_layer) in enumerate(zip(layers, projections, strict=True)):
        per = len(weights) // len(per_layer)
        for direction, projection in enumerate(per_layer):
            kernel, recurrent_kernel, *bias = weights[direction * per : (direction + 1) * per]
            suffix = f"_l{k}" + ("_reverse" if direction else "")
            state |= {f"weight_ih{suffix}": kernel.T, f"weight_hh{suffix}": recurrent_kernel.T}
            if bias:
                state |= {f"bias_ih{suffix}": bias[0], f"bias_hh{suffix}": np.zeros_like(bias[0])}
            state[f"weight_hr{suffix}"] = np.asarray(projection).T  # (p, u)
    return state


def initial_states(cell: str, per_layer, *, directions: int):
    """Keras's per-layer states [forward h, (c), backward h, (c)] as PyTorch's h0 (and c0):
    (layers * directions, batch, u) each; None for None."""
    if per_layer is None:
        return None
    n = len(cell_facts(cell).states)
    by_kind = [np.stack([layer[d * n + s] for layer in per_layer for d in range(directions)]) for s in range(n)]
    return by_kind


def final_states(cell: str, final, *, num_layers: int, directions: int) -> list[np.ndarray]:
    """PyTorch's h_n (and c_n) back in Keras's order: layer by layer, forward h[, c], then backward h[, c]."""
    n = len(cell_facts(cell).states)
    return [final[s][k * directions + d] for k in range(num_layers) for d in range(directions) for s in range(n)]


def to_numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()


def load(module, state: Mapping[str, np.ndarray], *, dtype) -> None:
    """Copy `state` into the module's parameters (every one, strictly), in `dtype`, on the module's device."""
    import torch

    tensors = {name: torch.as_tensor(np.asarray(value), dtype=dtype) for name, value in state.items()}
    module.load_state_dict(tensors, strict=True)
