"""LSTM, gates i, f, c, o: i, f, o = ra(a_i), ra(a_f), ra(a_o); c_t = f c_{t-1} + i act(a_c); h_t = o act(c_t).

a = x_t W + h_{t-1} U + b (4u wide), ra the recurrent_activation (sigmoid), act the activation (tanh).
With a projection P (u, p), PyTorch's proj_size: h_t = (o act(c_t)) P, so h is p wide and U is (p, 4u).
"""

from __future__ import annotations

import numpy as np

from rnncheck.activations import activation as activation_of
from rnncheck.cells.cell import Cell, Steps, add_weight_gradients


def gates_forward(a, c, act, ract):
    """(h, c) and the cache of one LSTM step from its pre-activations a (..., 4u) and the old cell state c."""
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=-1)
    i, f, g, o = ract[0](a_i), ract[0](a_f), act[0](a_g), ract[0](a_o)
    c_new = f * c + i * g
    act_c = act[0](c_new)
    return (o * act_c, c_new), (a, c, i, f, g, o, c_new, act_c)


def gates_back(cache, dh_new, dc_new, act, ract):
    """d(pre-activations) (..., 4u, gates i, f, c, o) and d(old c) of one LSTM step."""
    a, c, i, f, g, o, c_new, act_c = cache
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=-1)
    dc = dc_new + dh_new * o * act[1](c_new)
    da = np.concatenate(
        [dc * g * ract[1](a_i), dc * c * ract[1](a_f), dc * i * act[1](a_g), dh_new * act_c * ract[1](a_o)], axis=-1
    )
    return da, dc * f


def steps(kernel, recurrent_kernel, bias, *, activation="tanh", recurrent_activation="sigmoid", projection=None):
    act, ract = activation_of(activation), activation_of(recurrent_activation)
    b = 0.0 if bias is None else bias
    units = kernel.shape[-1] // 4

    def step(x_t, states):
        h, c = states
        (h_new, c_new), cache = gates_forward(x_t @ kernel + h @ recurrent_kernel + b, c, act, ract)
        if projection is not None:
            h_new = h_new @ projection  # (batch, p)
        return (h_new, c_new), (x_t, h, cache)

    def back(cache, d_states, grads):
        x_t, h, gates = cache
        dh_new, dc_new = d_states
        if projection is not None:
            o, act_c = gates[5], gates[7]
            grads["projection"] += (o * act_c).T @ dh_new
            dh_new = dh_new @ projection.T  # (batch, u)
        da, dc = gates_back(gates, dh_new, dc_new, act, ract)
        add_weight_gradients(grads, x_t, h, da, da)
        return da @ kernel.T, (da @ recurrent_kernel.T, dc)

    def zero_states(x_t):  # h (batch, p or u), c (batch, u)
        return np.zeros((x_t.shape[0], recurrent_kernel.shape[0])), np.zeros((x_t.shape[0], units))

    return Steps(step, back, zero_states)


CELLS = [
    Cell(
        name="lstm",
        keras_class="LSTM",
        gates=("i", "f", "c", "o"),
        states=("h", "c"),
        options={"activation": "tanh", "recurrent_activation": "sigmoid"},
        bias_shape=lambda units, **_: (4 * units,),
        steps=steps,
        torch_class="LSTM",
        torch_gates=("i", "f", "g", "o"),
        projects=True,
    )
]
