"""NumPy reference of Keras's SimpleRNN, GRU and LSTM, fed the layers' own weights.

x is (batch, time, d); weights are in Keras's layout: kernel (d, G*u), recurrent_kernel (u, G*u),
bias (G*u,) or None (GRU with reset_after: (2, 3u)). Gate order: LSTM i, f, c, o; GRU z, r, h.
Options follow Keras: return_sequences, return_state, go_backwards, initial_state, mask,
zero_output_for_mask. A masked step carries the state forward and repeats the previous output (zeros
before the first), or outputs zeros with zero_output_for_mask. `bidirectional` and `stack` compose
these as keras.layers.Bidirectional and a stack of layers do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rnncheck.cells import MERGE_MODES


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def simple_rnn(x, kernel, recurrent_kernel, bias=None, **options):
    """h_t = tanh(x_t W + h_{t-1} U + b)."""

    def step(x_t, h):
        (h,) = h
        h = np.tanh(x_t @ kernel + h @ recurrent_kernel + b)
        return h, (h,)

    u = _check_weights("simple_rnn", x, kernel, recurrent_kernel, bias, gates=1)
    b = 0.0 if bias is None else bias
    return _run(step, x, u, n_states=1, **options)


def gru_biases(bias, *, reset_after: bool):
    """(input bias, recurrent bias) of a GRU: bias (2, 3u) holds both with reset_after, (3u,) the input one only."""
    if bias is None:
        return 0.0, 0.0
    return (bias[0], bias[1]) if reset_after else (bias, 0.0)


def gru(x, kernel, recurrent_kernel, bias=None, *, reset_after: bool = True, **options):
    """z, r = sigmoid(...); h~ = tanh(x W_h + r * (h U_h + b_h') or (r * h) U_h); h = z h_{t-1} + (1 - z) h~."""
    u = _check_weights("gru", x, kernel, recurrent_kernel, bias, gates=3, reset_after=reset_after)
    input_bias, recurrent_bias = gru_biases(bias, reset_after=reset_after)

    def step(x_t, h):
        (h,) = h
        x_z, x_r, x_h = np.split(x_t @ kernel + input_bias, 3, axis=-1)
        if reset_after:
            h_z, h_r, h_h = np.split(h @ recurrent_kernel + recurrent_bias, 3, axis=-1)
            z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
            candidate = np.tanh(x_h + r * h_h)
        else:
            h_z, h_r = np.split(h @ recurrent_kernel[:, : 2 * u], 2, axis=-1)
            z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
            candidate = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2 * u :])
        h = z * h + (1.0 - z) * candidate
        return h, (h,)

    return _run(step, x, u, n_states=1, **options)


def lstm(x, kernel, recurrent_kernel, bias=None, **options):
    """i, f, o = sigmoid(...); c = f c_{t-1} + i tanh(...); h = o tanh(c). States are (h, c)."""
    u = _check_weights("lstm", x, kernel, recurrent_kernel, bias, gates=4)
    b = 0.0 if bias is None else bias

    def step(x_t, states):
        h, c = states
        i, f, g, o = np.split(x_t @ kernel + h @ recurrent_kernel + b, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, (h, c)

    return _run(step, x, u, n_states=2, **options)


def unrolled_simple_rnn(x, kernel, recurrent_kernel, bias=None):
    """SimpleRNN written as T dense layers that share one weight matrix [[W], [U]] of shape (d+u, u).

    Layer t maps [x_t, h_{t-1}] -> h_t = tanh([x_t, h_{t-1}] @ [[W], [U]] + b): one Dense(d+u -> u),
    whence the parameter count u*(d+u+1). The U rows connect the units of one layer to each other.
    Returns every layer's output, (batch, time, u).
    """
    u = _check_weights("unrolled_simple_rnn", x, kernel, recurrent_kernel, bias, gates=1)
    shared = np.concatenate([kernel, recurrent_kernel], axis=0)  # (d+u, u)
    b = np.zeros(u) if bias is None else bias
    layers = [lambda inputs: np.tanh(inputs @ shared + b)] * x.shape[1]  # T layers, one set of weights
    h = np.zeros((x.shape[0], u))  # (batch, u)
    outputs = []
    for t, dense in enumerate(layers):
        h = dense(np.concatenate([x[:, t], h], axis=-1))  # (batch, d+u) -> (batch, u)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def bidirectional(
    layer,
    x,
    forward,
    backward,
    *,
    merge_mode: str | None = "concat",
    return_sequences: bool = False,
    return_state: bool = False,
    initial_state=None,
    **options,
):
    """What keras.layers.Bidirectional(layer) returns, layer being simple_rnn, gru or lstm; forward and backward
    are (kernel, recurrent_kernel, bias or None), initial_state the forward states then the backward ones.

    As in Keras: the backward sequence comes back in time order, with return_sequences masked steps output zeros,
    merge_mode None gives [forward, backward], and return_state appends forward, then backward states.
    """
    if not callable(layer):
        raise TypeError(f"layer must be simple_rnn, gru or lstm (a function), got {type(layer).__name__}")
    if merge_mode not in MERGE_MODES + (None,):
        raise ValueError(f"merge_mode must be one of {MERGE_MODES + (None,)}, got {merge_mode!r}")
    for name in ("go_backwards", "zero_output_for_mask"):
        if name in options:
            raise ValueError(f"{name}: Bidirectional sets it on each direction itself")
    forward_state, backward_state = _split_initial_state(initial_state)
    run = dict(return_sequences=return_sequences, return_state=True, zero_output_for_mask=return_sequences, **options)
    y, *forward_states = layer(x, *_direction("forward", forward), initial_state=forward_state, **run)
    y_back, *backward_states = layer(
        x, *_direction("backward", backward), initial_state=backward_state, go_backwards=True, **run
    )
    if return_sequences:
        y_back = y_back[:, ::-1]  # (batch, time, u), back in time order
    outputs = [y, y_back] if merge_mode is None else [_MERGE[merge_mode](y, y_back)]
    if return_state:
        return [*outputs, *forward_states, *backward_states]
    return outputs if merge_mode is None else outputs[0]


def stack(x, layers: Sequence[Callable], *, mask=None):
    """What `layers` return stacked (as in a Keras Sequential): each is called as layer(x, mask=mask), every one
    but the top with return_sequences=True; e.g. partial(gru, kernel=k, ...) or partial(bidirectional, lstm, ...).
    """
    if not layers:
        raise ValueError("layers must hold at least one layer")
    *below, top = layers
    for depth, layer in enumerate(below):
        x = layer(x, mask=mask, return_sequences=True)  # (batch, time, width)
        if isinstance(x, list):
            raise ValueError(f"layers[{depth}] returns a list (return_state or merge_mode=None): only the top may")
    return top(x, mask=mask)


def _check_weights(name, x, kernel, recurrent_kernel, bias, *, gates, reset_after=False) -> int:
    x, kernel, recurrent_kernel = np.asarray(x), np.asarray(kernel), np.asarray(recurrent_kernel)
    if x.ndim != 3:
        raise ValueError(f"{name}: x must be (batch, time, features), got shape {x.shape}")
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != gates * recurrent_kernel.shape[0]:
        raise ValueError(f"{name}: recurrent_kernel must be (units, {gates} * units), got {recurrent_kernel.shape}")
    u = recurrent_kernel.shape[0]
    if kernel.shape != (x.shape[2], gates * u):
        raise ValueError(
            f"{name}: kernel must be (features, {gates} * units) = {(x.shape[2], gates * u)}, got {kernel.shape}"
        )
    if bias is not None:
        expected = (2, gates * u) if reset_after else (gates * u,)
        if np.shape(bias) != expected:
            raise ValueError(f"{name}: bias must be {expected}, got {np.shape(bias)}")
    return u


def _run(
    step,
    x,
    u,
    *,
    n_states,
    return_sequences=False,
    return_state=False,
    go_backwards=False,
    initial_state=None,
    mask=None,
    zero_output_for_mask=False,
):
    """Scan `step` over time like keras.layers.RNN: the output, or [output, *states] with return_state."""
    x = np.asarray(x, dtype=np.float64)
    batch, time = x.shape[:2]
    if time == 0:
        raise ValueError("x must have at least one time step (Keras refuses time = 0 on every backend)")
    if initial_state is None:
        states = tuple(np.zeros((batch, u)) for _ in range(n_states))
    else:
        states = _check_initial_state(initial_state, n_states=n_states, shape=(batch, u))
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (batch, time):
            raise ValueError(f"mask must be (batch, time) = {(batch, time)}, got {mask.shape}")
    steps = range(time - 1, -1, -1) if go_backwards else range(time)
    output = np.zeros((batch, u))  # what a masked first step repeats
    outputs = []
    for t in steps:
        new_output, new_states = step(x[:, t], states)
        if mask is None:
            output, states = new_output, new_states
        else:
            keep = mask[:, t, None]  # (batch, 1)
            output = np.where(keep, new_output, 0.0 if zero_output_for_mask else output)
            states = tuple(np.where(keep, new, old) for new, old in zip(new_states, states, strict=True))
        outputs.append(output)
    result = np.stack(outputs, axis=1) if return_sequences else output  # (batch, time, u) or (batch, u)
    return [result, *states] if return_state else result


def _check_initial_state(initial_state, *, n_states: int, shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """As Keras takes it: a list of n_states arrays, or (one state only) a single array."""
    if isinstance(initial_state, (list, tuple)):
        given = list(initial_state)
    elif n_states == 1:
        given = [initial_state]
    else:
        raise ValueError(
            f"initial_state must be a list of {n_states} arrays of shape {shape} (h, c), "
            f"got a single {type(initial_state).__name__} of shape {np.shape(initial_state)}"
        )
    states = tuple(np.asarray(s, dtype=np.float64) for s in given)
    if len(states) != n_states or any(s.shape != shape for s in states):
        got = [s.shape for s in states]
        raise ValueError(f"initial_state must be {n_states} array(s) of shape {shape}, got {len(states)}: {got}")
    return states


def _direction(name: str, weights) -> tuple:
    if not isinstance(weights, (list, tuple)) or len(weights) != 3:
        raise ValueError(f"{name} must be (kernel, recurrent_kernel, bias or None), got {type(weights).__name__}")
    return tuple(weights)


def _split_initial_state(initial_state) -> tuple[list | None, list | None]:
    """As Bidirectional splits it: the first half goes to the forward layer, the second to the backward one."""
    if initial_state is None:
        return None, None
    if not isinstance(initial_state, (list, tuple)) or len(initial_state) % 2:
        raise ValueError("initial_state must be a list of forward states then as many backward states")
    half = len(initial_state) // 2
    return list(initial_state[:half]), list(initial_state[half:])


_MERGE = {  # Bidirectional's merge modes: concat is 2u wide, the others u
    "concat": lambda y, y_back: np.concatenate([y, y_back], axis=-1),
    "sum": lambda y, y_back: y + y_back,
    "ave": lambda y, y_back: (y + y_back) / 2,
    "mul": lambda y, y_back: y * y_back,
}
