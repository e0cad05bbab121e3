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
    LOOP_OPTIONS,
    cell_steps,
    check_weights,
    loop_inputs,
    simple_rnn,
    step_mask,
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
    projection: np.ndarray | None = None  # (u, p), an LSTM's with projection= (PyTorch's weight_hr, transposed)


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
    projection=None,
    **cell_options,
) -> Gradients:
    """Gradients of L = sum(output * d_output), output being what rnncheck.reference returns with these options.

    d_output is dL/d(output): (batch, time, *u) with return_sequences (in processing order, as the outputs), else
    (batch, *u). Options as the reference's (zero_output_for_mask and the cell's own included); the forward pass is
    run again here, keeping what each step's backward needs. One loop for every cell: each cell's Steps.back.
    """
    facts = cell_facts(cell)
    if "return_state" in cell_options:
        raise ValueError("bptt differentiates the output only; return_state is not an option here")
    cell_options = facts.defaults(**{k: v for k, v in cell_options.items() if k not in LOOP_OPTIONS})
    kernel, recurrent_kernel, bias = check_weights(
        facts, x, kernel, recurrent_kernel, bias, projection=projection, **cell_options
    )
    steps = cell_steps(facts, kernel, recurrent_kernel, bias, projection=projection, **cell_options)
    x, states, mask = loop_inputs(facts, steps, x, initial_state=initial_state, mask=mask)
    batch, time = x.shape[:2]
    keeps = np.ones((batch, time)) if mask is None else mask.astype(np.float64)  # (batch, time)
    state_shape = states[0].shape  # (batch, *u)
    output_shape = (batch, time, *state_shape[1:]) if return_sequences else state_shape
    d_output = np.asarray(d_output, dtype=np.float64)
    if d_output.shape != output_shape:
        raise ValueError(f"d_output must have the output's shape {output_shape}, got {d_output.shape}")

    order = range(time - 1, -1, -1) if go_backwards else range(time)
    caches = []
    for t in order:  # forward, as reference._run: a masked step keeps the old states
        new_states, cache = steps.step(x[:, t], states)
        keep = step_mask(keeps, t, states[0])  # (batch, 1, ...)
        states = tuple(keep * new + (1.0 - keep) * old for new, old in zip(new_states, states, strict=True))
        caches.append(cache)

    grads = {"kernel": np.zeros_like(kernel), "recurrent_kernel": np.zeros_like(recurrent_kernel)}
    if bias is not None:
        grads["bias"] = np.zeros_like(bias)
    if projection is not None:
        grads["projection"] = np.zeros(np.shape(projection))
    dx = np.zeros_like(x)
    d_states = tuple(np.zeros_like(s) for s in states)  # dL/d(states after step k)
    d_carried = np.zeros(state_shape)  # dL/d(output after step k) from the masked steps that repeat it
    for k, t in reversed(list(enumerate(order))):
        d_out = d_carried + (d_output[:, k] if return_sequences else d_output * (k == time - 1))
        keep = step_mask(keeps, t, d_out)  # 1 where step t ran, 0 where it was masked
        # A step that ran gives its h as both output and first state; a masked one passes both on untouched.
        d_new = (keep * (d_out + d_states[0]),) + tuple(keep * d for d in d_states[1:])
        dx[:, t], d_previous = steps.back(caches[k], d_new, grads)
        d_carried = 0.0 if zero_output_for_mask else (1.0 - keep) * d_out  # zeros carry nothing back
        d_states = tuple(dp + (1.0 - keep) * d for dp, d in zip(d_previous, d_states, strict=True))
    return Gradients(
        x=dx,
        kernel=grads["kernel"],
        recurrent_kernel=grads["recurrent_kernel"],
        bias=grads.get("bias"),
        initial_state=d_states,
        projection=grads.get("projection"),
    )


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
    facts = cell_facts("lstm")
    kernel, recurrent_kernel, bias = check_weights(facts, x, kernel, recurrent_kernel, bias)
    steps = facts.steps(kernel, recurrent_kernel, bias)
    x, states, _ = loop_inputs(facts, steps, x, initial_state=initial_state)
    batch, time = x.shape[:2]
    u = recurrent_kernel.shape[0]
    products = np.ones((batch, time + 1, u))
    forget = []
    for t in range(time):
        states, (_, _, gates) = steps.step(x[:, t], states)
        forget.append(gates[3])  # f_{t+1}, (batch, u): rnncheck.cells.lstm.gates_forward's cache (a, c, i, f, ...)
    for t in range(time - 1, -1, -1):
        products[:, t] = products[:, t + 1] * forget[t]
    return products
