"""GRU, gates z, r, h: z, r = ra(x W_z + h U_z + b_z), ra(...); h_t = z h_{t-1} + (1 - z) act(candidate), where

    reset_after=True  (Keras's default, PyTorch's and cuDNN's)   candidate = x W_h + b_h + r * (h U_h + b'_h)
    reset_after=False                                             candidate = x W_h + b_h + (r * h) U_h

ra is the recurrent_activation (sigmoid), act the activation (tanh). With reset_after the bias is (2, 3u): row 0
the input bias, row 1 the recurrent one (b'); without it (3u,), the input bias only.
"""

from __future__ import annotations

import numpy as np

from rnncheck.activations import activation as activation_of
from rnncheck.cells.cell import Cell, Steps, vector_zero_states


def bias_shape(units: int, *, reset_after: bool = True, **_) -> tuple[int, ...]:
    return (2, 3 * units) if reset_after else (3 * units,)


def split_bias(bias, *, reset_after: bool):
    """(input bias, recurrent bias): bias (2, 3u) holds both with reset_after, (3u,) the input one only."""
    if bias is None:
        return 0.0, 0.0
    return (bias[0], bias[1]) if reset_after else (bias, 0.0)


def steps(
    kernel, recurrent_kernel, bias, *, reset_after=True, activation="tanh", recurrent_activation="sigmoid"
) -> Steps:
    act, ract = activation_of(activation), activation_of(recurrent_activation)
    u = recurrent_kernel.shape[0]
    input_bias, recurrent_bias = split_bias(bias, reset_after=reset_after)
    gate_kernel, candidate_kernel = recurrent_kernel[:, : 2 * u], recurrent_kernel[:, 2 * u :]

    def step(x_t, states):
        (h,) = states
        x_z, x_r, x_h = np.split(x_t @ kernel + input_bias, 3, axis=-1)
        if reset_after:
            h_z, h_r, h_h = np.split(h @ recurrent_kernel + recurrent_bias, 3, axis=-1)
            recurrent_part = h_h  # what r multiplies
            a_z, a_r = x_z + h_z, x_r + h_r
            r = ract[0](a_r)
            a_h = x_h + r * h_h
        else:
            h_z, h_r = np.split(h @ gate_kernel, 2, axis=-1)
            a_z, a_r = x_z + h_z, x_r + h_r
            r = ract[0](a_r)
            recurrent_part = r * h
            a_h = x_h + recurrent_part @ candidate_kernel
        z, candidate = ract[0](a_z), act[0](a_h)
        return (z * h + (1.0 - z) * candidate,), (x_t, h, a_z, a_r, a_h, z, r, candidate, recurrent_part)

    def back(cache, d_states, grads):
        (x_t, h, a_z, a_r, a_h, z, r, candidate, recurrent_part), (dh_new,) = cache, d_states
        dh = dh_new * z
        da_z = dh_new * (h - candidate) * ract[1](a_z)
        da_h = dh_new * (1.0 - z) * act[1](a_h)  # pre-activation of the candidate
        if reset_after:
            da_r = da_h * recurrent_part * ract[1](a_r)
            d_inputs = np.concatenate([da_z, da_r, da_h], axis=-1)  # d(x W + b_input)
            d_recurrent = np.concatenate([da_z, da_r, da_h * r], axis=-1)  # d(h U + b_recurrent)
            grads["kernel"] += x_t.T @ d_inputs
            grads["recurrent_kernel"] += h.T @ d_recurrent
            if "bias" in grads:
                grads["bias"][0] += d_inputs.sum(axis=0)
                grads["bias"][1] += d_recurrent.sum(axis=0)
            dh = dh + d_recurrent @ recurrent_kernel.T
        else:
            d_reset_h = da_h @ candidate_kernel.T  # d(r * h)
            da_r = d_reset_h * h * ract[1](a_r)
            d_gates = np.concatenate([da_z, da_r], axis=-1)
            d_inputs = np.concatenate([d_gates, da_h], axis=-1)
            grads["kernel"] += x_t.T @ d_inputs
            grads["recurrent_kernel"][:, : 2 * u] += h.T @ d_gates
            grads["recurrent_kernel"][:, 2 * u :] += recurrent_part.T @ da_h
            if "bias" in grads:
                grads["bias"] += d_inputs.sum(axis=0)
            dh = dh + d_reset_h * r + d_gates @ gate_kernel.T
        return d_inputs @ kernel.T, (dh,)

    return Steps(step, back, vector_zero_states(1, u))


CELLS = [
    Cell(
        name="gru",
        keras_class="GRU",
        gates=("z", "r", "h"),
        states=("h",),
        options={"reset_after": True, "activation": "tanh", "recurrent_activation": "sigmoid"},
        bias_shape=bias_shape,
        steps=steps,
        torch_class="GRU",
        torch_gates=("r", "z", "n"),
    )
]
