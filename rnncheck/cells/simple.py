"""SimpleRNN: a_t = x_t W + h_{t-1} U + b, h_t = activation(a_t) (tanh by default)."""

from __future__ import annotations

from rnncheck.activations import activation as activation_of
from rnncheck.cells.cell import Cell, Steps, add_weight_gradients, vector_zero_states


def steps(kernel, recurrent_kernel, bias, *, activation="tanh") -> Steps:
    f, df = activation_of(activation)
    b = 0.0 if bias is None else bias

    def step(x_t, states):
        (h,) = states
        a = x_t @ kernel + h @ recurrent_kernel + b  # (batch, u)
        h_new = f(a)
        return (h_new,), (x_t, h, a)

    def back(cache, d_states, grads):
        (x_t, h, a), (dh,) = cache, d_states
        da = dh * df(a)
        add_weight_gradients(grads, x_t, h, da, da)
        return da @ kernel.T, (da @ recurrent_kernel.T,)

    return Steps(step, back, vector_zero_states(1, recurrent_kernel.shape[0]))


CELLS = [
    Cell(
        name="simple",
        keras_class="SimpleRNN",
        gates=("h",),
        states=("h",),
        options={"activation": "tanh"},
        bias_shape=lambda units, **_: (units,),
        steps=steps,
        torch_class="RNN",
        torch_gates=("h",),
    )
]
