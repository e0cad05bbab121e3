"""Backpropagation through time in NumPy (float64): the mirror image of rnncheck.reference.

For a SimpleRNN, in the notation of the unrolled view (row vectors, h_0 the initial state):

    a_t = x_t W + h_{t-1} U + b,    h_t = tanh(a_t),    t = 1..T

Given g_t = dL/dh_t from the loss directly (d_output), backprop runs t = T..1 with a carry from the future:

    dh_t   = g_t + da_{t+1} U^T             (dh_T = g_T)
    da_t   = dh_t * (1 - h_t^2)             (tanh' = 1 - tanh^2, elementwise)
    dx_t   = da_t W^T
    dW     = sum_t x_t^T da_t,   dU = sum_t h_{t-1}^T da_t,   db = sum_t da_t     (one W, U, b shared by all T steps)
    dh_0   = da_1 U^T

Each term of the sums is the gradient of one of the T dense layers of the unrolled network
(unrolled_dense_gradients). Chaining dh_t/dh_{t-1} = diag(1 - h_t^2) U^T, with |tanh'| <= 1:

    ||dh_T/dh_t||_2 <= prod_{s=t+1..T} ||diag(1 - h_s^2)||_2 ||U||_2 <= ||U||_2^(T-t)

so the gradient reaching step t vanishes geometrically when ||U||_2 < 1 (and may explode above 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncheck.cells import cell as cell_facts
from rnncheck.reference import (
    _check_initial_state,
    _check_weights,
    gru_biases,
    sigmoid,
    simple_rnn,
    unrolled_simple_rnn,
)


@dataclass(frozen=True)
class Gradients:
    """dL/d(each argument of the forward reference), each of its argument's shape."""

    x: np.ndarray  # (batch, time, d)
    kernel: np.ndarray  # (d, G*u)
    recurrent_kernel: np.ndarray  # (u, G*u)
    bias: np.ndarray | None  # bias's shape; None when the layer has no bias
    initial_state: tuple[np.ndarray, ...]  # one (batch, u) per state: (h,), or (h, c) for LSTM


def bptt(
    cell: str,
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    d_output,
    return_sequences: bool = False,
    go_backwards: bool = False,
    initial_state=None,
    mask=None,
    zero_output_for_mask: bool = False,
    reset_after: bool = True,
) -> Gradients:
    """Gradients of L = sum(output * d_output), output being what rnncheck.reference returns with these options.

    d_output is dL/d(output): (batch, time, u) with return_sequences (in processing order, as the outputs), else
    (batch, u). Options as the reference's (zero_output_for_mask included); the forward pass is run again here,
    keeping what each step's backward needs.
    """
    facts = cell_facts(cell)
    reset_after = cell == "gru" and reset_after  # only GRU reads it
    u = _check_weights(f"bptt({cell})", x, kernel, recurrent_kernel, bias, gates=facts.gates, reset_after=reset_after)
    x, kernel, recurrent_kernel = (np.asarray(a, dtype=np.float64) for a in (x, kernel, recurrent_kernel))
    bias = None if bias is None else np.asarray(bias, dtype=np.float64)
    batch, time = x.shape[:2]
    if time == 0:
        raise ValueError("x must have at least one time step (Keras refuses time = 0 on every backend)")
    n_states = len(facts.states)
    if initial_state is None:
        states = tuple(np.zeros((batch, u)) for _ in range(n_states))
    else:
        states = _check_initial_state(initial_state, n_states=n_states, shape=(batch, u))
    if mask is None:
        keeps = np.ones((batch, time, 1))
    else:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (batch, time):
            raise ValueError(f"mask must be (batch, time) = {(batch, time)}, got {mask.shape}")
        keeps = mask[:, :, None].astype(np.float64)  # (batch, time, 1)
    output_shape = (batch, time, u) if return_sequences else (batch, u)
    d_output = np.asarray(d_output, dtype=np.float64)
    if d_output.shape != output_shape:
        raise ValueError(f"d_output must have the output's shape {output_shape}, got {d_output.shape}")

    step, step_back = _STEPS[cell](kernel, recurrent_kernel, bias, u, reset_after)
    order = range(time - 1, -1, -1) if go_backwards else range(time)
    caches = []
    for t in order:  # forward, as reference._run: a masked step keeps the old states
        new_states, cache = step(x[:, t], states)
        keep = keeps[:, t]  # (batch, 1)
        states = tuple(keep * new + (1.0 - keep) * old for new, old in zip(new_states, states, strict=True))
        caches.append(cache)

    grads = {"kernel": np.zeros_like(kernel), "recurrent_kernel": np.zeros_like(recurrent_kernel)}
    if bias is not None:
        grads["bias"] = np.zeros_like(bias)
    dx = np.zeros_like(x)
    d_states = tuple(np.zeros((batch, u)) for _ in range(n_states))  # dL/d(states after step k)
    d_carried = np.zeros((batch, u))  # dL/d(output after step k) from the masked steps that repeat it
    for k, t in reversed(list(enumerate(order))):
        d_out = d_carried + (d_output[:, k] if return_sequences else d_output * (k == time - 1))
        keep = keeps[:, t]  # (batch, 1): 1 where step t ran, 0 where it was masked
        # A step that ran gives its h as both output and first state; a masked one passes both on untouched.
        d_new = (keep * (d_out + d_states[0]),) + tuple(keep * d for d in d_states[1:])
        dx[:, t], d_previous = step_back(caches[k], d_new, grads)
        d_carried = 0.0 if zero_output_for_mask else (1.0 - keep) * d_out  # zeros carry nothing back
        d_states = tuple(dp + (1.0 - keep) * d for dp, d in zip(d_previous, d_states, strict=True))
    return Gradients(
        x=dx,
        kernel=grads["kernel"],
        recurrent_kernel=grads["recurrent_kernel"],
        bias=grads.get("bias"),
        initial_state=d_states,
    )


# One step forward (x_t, states) -> (new states, cache) and back (cache, d new states, grads) -> (dx_t, d states),
# per cell; the backward adds the step's weight gradients into `grads`.


def _simple_rnn_step(kernel, recurrent_kernel, bias, u, reset_after):
    b = 0.0 if bias is None else bias

    def step(x_t, states):
        (h,) = states
        h_new = np.tanh(x_t @ kernel + h @ recurrent_kernel + b)
        return (h_new,), (x_t, h, h_new)

    def step_back(cache, d_states, grads):
        (x_t, h, h_new), (dh,) = cache, d_states
        da = dh * (1.0 - h_new**2)  # (batch, u)
        _add_weight_gradients(grads, x_t, h, da, da)
        return da @ kernel.T, (da @ recurrent_kernel.T,)

    return step, step_back


def _gru_step(kernel, recurrent_kernel, bias, u, reset_after):
    input_bias, recurrent_bias = gru_biases(bias, reset_after=reset_after)
    gate_kernel, candidate_kernel = recurrent_kernel[:, : 2 * u], recurrent_kernel[:, 2 * u :]

    def step(x_t, states):
        (h,) = states
        x_z, x_r, x_h = np.split(x_t @ kernel + input_bias, 3, axis=-1)
        if reset_after:
            h_z, h_r, h_h = np.split(h @ recurrent_kernel + recurrent_bias, 3, axis=-1)
            z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
            candidate = np.tanh(x_h + r * h_h)
            recurrent_part = h_h  # what r multiplies
        else:
            h_z, h_r = np.split(h @ gate_kernel, 2, axis=-1)
            z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
            recurrent_part = r * h
            candidate = np.tanh(x_h + recurrent_part @ candidate_kernel)
        return (z * h + (1.0 - z) * candidate,), (x_t, h, z, r, candidate, recurrent_part)

    def step_back(cache, d_states, grads):
        (x_t, h, z, r, candidate, recurrent_part), (dh_new,) = cache, d_states
        dh = dh_new * z
        da_z = dh_new * (h - candidate) * z * (1.0 - z)
        da_h = dh_new * (1.0 - z) * (1.0 - candidate**2)  # pre-activation of the candidate
        if reset_after:
            da_r = da_h * recurrent_part * r * (1.0 - r)
            d_inputs = np.concatenate([da_z, da_r, da_h], axis=-1)  # d(x W + b_input)
            d_recurrent = np.concatenate([da_z, da_r, da_h * r], axis=-1)  # d(h U + b_recurrent)
            _add_weight_gradients(grads, x_t, h, d_inputs, d_recurrent, reset_after=True)
            dh = dh + d_recurrent @ recurrent_kernel.T
        else:
            d_reset_h = da_h @ candidate_kernel.T  # d(r * h)
            da_r = d_reset_h * h * r * (1.0 - r)
            d_gates = np.concatenate([da_z, da_r], axis=-1)
            d_inputs = np.concatenate([d_gates, da_h], axis=-1)
            grads["kernel"] += x_t.T @ d_inputs
            grads["recurrent_kernel"][:, : 2 * u] += h.T @ d_gates
            grads["recurrent_kernel"][:, 2 * u :] += recurrent_part.T @ da_h
            if "bias" in grads:
                grads["bias"] += d_inputs.sum(axis=0)
            dh = dh + d_reset_h * r + d_gates @ gate_kernel.T
        return d_inputs @ kernel.T, (dh,)

    return step, step_back


def _lstm_step(kernel, recurrent_kernel, bias, u, reset_after):
    b = 0.0 if bias is None else bias

    def step(x_t, states):
        h, c = states
        a_i, a_f, a_g, a_o = np.split(x_t @ kernel + h @ recurrent_kernel + b, 4, axis=-1)
        i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
        c_new = f * c + i * g
        tanh_c = np.tanh(c_new)
        return (o * tanh_c, c_new), (x_t, h, c, i, f, g, o, tanh_c)

    def step_back(cache, d_states, grads):
        (x_t, h, c, i, f, g, o, tanh_c), (dh_new, dc_new) = cache, d_states
        dc = dc_new + dh_new * o * (1.0 - tanh_c**2)
        da = np.concatenate(
            [dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g**2), dh_new * tanh_c * o * (1.0 - o)],
            axis=-1,
        )  # (batch, 4u), gates i, f, c, o
        _add_weight_gradients(grads, x_t, h, da, da)
        return da @ kernel.T, (da @ recurrent_kernel.T, dc * f)

    return step, step_back


def _add_weight_gradients(grads, x_t, h, d_inputs, d_recurrent, *, reset_after=False) -> None:
    """kernel += x_t^T d_inputs, recurrent_kernel += h^T d_recurrent, bias += the batch sums."""
    grads["kernel"] += x_t.T @ d_inputs
    grads["recurrent_kernel"] += h.T @ d_recurrent
    if "bias" in grads:
        if reset_after:
            grads["bias"][0] += d_inputs.sum(axis=0)
            grads["bias"][1] += d_recurrent.sum(axis=0)
        else:
            grads["bias"] += d_inputs.sum(axis=0)


_STEPS = {"simple": _simple_rnn_step, "gru": _gru_step, "lstm": _lstm_step}


def unrolled_dense_gradients(x, kernel, recurrent_kernel, bias=None, *, d_output) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer gradients of reference.unrolled_simple_rnn's T dense layers, as if each held its own weights.

    d_output (batch, T, u) is dL/d(each layer's output). Returns d[[W], [U]] (T, d+u, u) and db (T, u):
    layer t's are [x_t, h_{t-1}]^T da_t and sum(da_t). Their sums over t are bptt's dW, dU and db.
    """
    outputs = unrolled_simple_rnn(x, kernel, recurrent_kernel, bias)  # (batch, T, u), checks the weights
    batch, time, u = outputs.shape
    d_output = np.asarray(d_output, dtype=np.float64)
    if d_output.shape != outputs.shape:
        raise ValueError(f"d_output must have the outputs' shape {outputs.shape}, got {d_output.shape}")
    x = np.asarray(x, dtype=np.float64)
    shared = np.concatenate([kernel, recurrent_kernel], axis=0).astype(np.float64)  # (d+u, u)
    previous = np.concatenate([np.zeros((batch, 1, u)), outputs[:, :-1]], axis=1)  # h_{t-1}, (batch, T, u)
    d_shared, d_bias = np.zeros((time, *shared.shape)), np.zeros((time, u))
    d_h = np.zeros((batch, u))  # what layer t+1 sends back to layer t's output
    for t in reversed(range(time)):
        inputs = np.concatenate([x[:, t], previous[:, t]], axis=-1)  # layer t's input, (batch, d+u)
        da = (d_output[:, t] + d_h) * (1.0 - outputs[:, t] ** 2)  # dense backward through tanh
        d_shared[t], d_bias[t] = inputs.T @ da, da.sum(axis=0)
        d_h = (da @ shared.T)[:, x.shape[2] :]  # the h_{t-1} part of d(inputs)
    return d_shared, d_bias


# The vanishing and exploding gradient.


def simple_rnn_jacobians(x, kernel, recurrent_kernel, bias=None, *, initial_state=None) -> np.ndarray:
    """dh_T/dh_t for t = 0..T (h_0 the initial state), (batch, T+1, u, u): [b, t, i, j] = dh_T[i] / dh_t[j].

    From the reference's h_t: dh_T/dh_{t-1} = dh_T/dh_t diag(1 - h_t^2) U^T, starting from dh_T/dh_T = I.
    """
    hs = simple_rnn(x, kernel, recurrent_kernel, bias, return_sequences=True, initial_state=initial_state)
    batch, time, u = hs.shape
    recurrent_kernel = np.asarray(recurrent_kernel, dtype=np.float64)
    jacobians = np.zeros((batch, time + 1, u, u))
    jacobians[:, time] = np.eye(u)
    for t in range(time, 0, -1):
        tanh_slope = 1.0 - hs[:, t - 1] ** 2  # tanh'(a_t), (batch, u)
        jacobians[:, t - 1] = (jacobians[:, t] * tanh_slope[:, None, :]) @ recurrent_kernel.T
    return jacobians


def spectral_norms(matrices) -> np.ndarray:
    """||M||_2, the largest singular value, of each matrix in the last two axes."""
    return np.linalg.norm(np.asarray(matrices, dtype=np.float64), ord=2, axis=(-2, -1))


def recurrent_bound(recurrent_kernel, time: int) -> np.ndarray:
    """||U||_2^(T-t) for t = 0..T, (T+1,): the SimpleRNN bound on ||dh_T/dh_t||_2."""
    norm = spectral_norms(recurrent_kernel)
    return norm ** np.arange(time, -1, -1, dtype=np.float64)


def lstm_forget_products(x, kernel, recurrent_kernel, bias=None, *, initial_state=None) -> np.ndarray:
    """prod_{s=t+1..T} f_s for t = 0..T, (batch, T+1, u): the diagonal of the direct cell-state path dc_T/dc_t.

    c_s = f_s c_{s-1} + i_s g_s, and the gates of step s read h_{s-1} = o_{s-1} tanh(c_{s-1}) through U. So
    dc_T/dc_t = prod_s (diag(f_s) + terms through U), and it equals diag(prod_s f_s) exactly when U = 0.
    For U != 0 there is no clean bound like ||U||^(T-t): the terms through U add to diag(f_s) rather than
    multiply it, and the f_s themselves can sit near 1 (the gradient then neither vanishes nor explodes,
    which is the point of the forget gate). What holds in general is the direct path, checked with U = 0.
    """
    u = _check_weights("lstm_forget_products", x, kernel, recurrent_kernel, bias, gates=4)
    x, kernel, recurrent_kernel = (np.asarray(a, dtype=np.float64) for a in (x, kernel, recurrent_kernel))
    bias = None if bias is None else np.asarray(bias, dtype=np.float64)
    batch, time = x.shape[:2]
    if initial_state is None:
        states = (np.zeros((batch, u)), np.zeros((batch, u)))
    else:
        states = _check_initial_state(initial_state, n_states=2, shape=(batch, u))
    step, _ = _lstm_step(kernel, recurrent_kernel, bias, u, False)
    products = np.ones((batch, time + 1, u))
    forget = []
    for t in range(time):
        states, cache = step(x[:, t], states)
        forget.append(cache[4])  # f_{t+1}, (batch, u)
    for t in range(time - 1, -1, -1):
        products[:, t] = products[:, t + 1] * forget[t]
    return products
