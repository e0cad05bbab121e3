"""NumPy reference of Keras's recurrent layers (every cell in rnncheck.cells), fed the layers' own weights.

x is (batch, time, *features); weights are in Keras's layout (rnncheck.cells.Cell.weight_shapes): kernel
(..., d, G*u), recurrent_kernel (..., u, G*u), bias (G*u,) or None (GRU with reset_after: (2, 3u)).
Options follow Keras: return_sequences, return_state, go_backwards, initial_state, mask, zero_output_for_mask,
and the cell's own (activation, reset_after, ...); an LSTM also takes projection= P (u, p), PyTorch's proj_size
(h = (o tanh(c)) P, recurrent_kernel (p, 4u)). A masked step carries the state forward and repeats the
previous output (zeros before the first), or outputs zeros with zero_output_for_mask. `bidirectional` and
`stack` compose these as keras.layers.Bidirectional and a stack of layers do.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence

import numpy as np

from rnncheck.activations import sigmoid  # noqa: F401  (the reference's sigmoid, kept where it was)
from rnncheck.cells import MERGE_MODES, Cell
from rnncheck.cells import cell as cell_facts
from rnncheck.cells.cell import Steps

LOOP_OPTIONS = ("return_sequences", "return_state", "go_backwards", "initial_state", "mask", "zero_output_for_mask")


def layer(cell: str, x, kernel, recurrent_kernel, bias=None, projection=None, **options):
    """What Keras's layer of `cell` returns on x: the output, or [output, *states] with return_state; an LSTM
    with a projection (u, p) is PyTorch's LSTM with proj_size p.

    `options` are the loop's (LOOP_OPTIONS) and the cell's own (rnncheck.cells.cell(cell).options).
    """
    facts, steps, loop = _layer_steps(cell, x, kernel, recurrent_kernel, bias, projection=projection, **options)
    return _run(facts, steps, x, **loop)


def _layer_steps(cell: str, x, kernel, recurrent_kernel, bias, projection=None, **options) -> tuple:
    facts = cell_facts(cell)
    loop = {key: options.pop(key) for key in LOOP_OPTIONS if key in options}
    cell_options = facts.defaults(**options)
    kernel, recurrent_kernel, bias = check_weights(
        facts, x, kernel, recurrent_kernel, bias, projection=projection, **cell_options
    )
    return facts, cell_steps(facts, kernel, recurrent_kernel, bias, projection=projection, **cell_options), loop


def cell_steps(facts: Cell, kernel, recurrent_kernel, bias, *, projection=None, **cell_options) -> Steps:
    """The cell's Steps on checked weights; with a projection (u, p) as a float64 array (only a cell that projects)."""
    if projection is None:
        return facts.steps(kernel, recurrent_kernel, bias, **cell_options)
    projection = np.asarray(projection, dtype=np.float64)
    return facts.steps(kernel, recurrent_kernel, bias, projection=projection, **cell_options)


def largest_magnitude(cell: str, x, kernel, recurrent_kernel, bias=None, **options) -> float:
    """The largest |value| layer(cell, ...) computes: every step's states and intermediates (pre-activations,
    gates), masked steps included, as Keras computes them too; inf where one overflows or is NaN."""
    facts, steps, loop = _layer_steps(cell, x, kernel, recurrent_kernel, bias, **options)
    largest = 0.0

    def step(x_t, states):
        nonlocal largest
        new_states, cache = steps.step(x_t, states)
        for value in _arrays((new_states, cache)):
            magnitude = float(np.max(np.abs(value))) if value.size else 0.0
            largest = max(largest, magnitude if np.isfinite(magnitude) else np.inf)
        return new_states, cache

    with np.errstate(over="ignore", invalid="ignore"):
        _run(facts, dataclasses.replace(steps, step=step), x, **loop)
    return largest


def perturbed_layer(cell: str, x, kernel, recurrent_kernel, bias=None, *, relative: float, rng, **options):
    """layer(cell, ...) with each step's new states multiplied elementwise by 1 +- relative, the signs drawn from
    rng (a numpy Generator): how far rounding a step's elementwise operations can move what the layer returns."""
    facts, steps, loop = _layer_steps(cell, x, kernel, recurrent_kernel, bias, **options)

    def step(x_t, states):
        new_states, cache = steps.step(x_t, states)
        moved = tuple(s * (1.0 + relative * rng.choice([-1.0, 1.0], size=s.shape)) for s in new_states)
        return moved, cache

    return _run(facts, dataclasses.replace(steps, step=step), x, **loop)


@functools.cache
def function(cell: str) -> Callable:
    """layer(cell, ...) as a function of (x, kernel, recurrent_kernel, bias=None, **options), named for the cell."""
    run = functools.partial(layer, cell)
    functools.update_wrapper(run, layer)
    run.__name__ = run.__qualname__ = f"reference_{cell}"
    return run


def simple_rnn(x, kernel, recurrent_kernel, bias=None, **options):
    """h_t = activation(x_t W + h_{t-1} U + b), tanh by default."""
    return layer("simple", x, kernel, recurrent_kernel, bias, **options)


def gru(x, kernel, recurrent_kernel, bias=None, **options):
    """z, r = sigmoid(...); h~ = tanh(x W_h + r * (h U_h + b_h') or (r * h) U_h); h = z h_{t-1} + (1 - z) h~."""
    return layer("gru", x, kernel, recurrent_kernel, bias, **options)


def lstm(x, kernel, recurrent_kernel, bias=None, projection=None, **options):
    """i, f, o = sigmoid(...); c = f c_{t-1} + i tanh(...); h = o tanh(c), or (o tanh(c)) P with a projection P
    (u, p), PyTorch's proj_size. States are (h, c)."""
    return layer("lstm", x, kernel, recurrent_kernel, bias, projection, **options)


def unrolled_simple_rnn(x, kernel, recurrent_kernel, bias=None):
    """SimpleRNN written as T dense layers that share one weight matrix [[W], [U]] of shape (d+u, u).

    Layer t maps [x_t, h_{t-1}] -> h_t = tanh([x_t, h_{t-1}] @ [[W], [U]] + b): one Dense(d+u -> u),
    whence the parameter count u*(d+u+1). The U rows connect the units of one layer to each other.
    Returns every layer's output, (batch, time, u).
    """
    kernel, recurrent_kernel, bias = check_weights(cell_facts("simple"), x, kernel, recurrent_kernel, bias)
    u = recurrent_kernel.shape[0]
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
    """What keras.layers.Bidirectional(layer) returns, layer being function(cell) (or simple_rnn, ...); forward and
    backward are (kernel, recurrent_kernel, bias or None), or for a projected LSTM (..., projection), initial_state
    the forward states then the backward ones.

    As in Keras: the backward sequence comes back in time order, with return_sequences masked steps output zeros,
    merge_mode None gives [forward, backward], and return_state appends forward, then backward states.
    """
    if not callable(layer):
        raise TypeError(f"layer must be a reference layer function (function(cell)), got {type(layer).__name__}")
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
    )  # a 4th weight, projection, goes positionally after the bias: layer(x, kernel, recurrent_kernel, bias, P)
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


def check_weights(facts: Cell, x, kernel, recurrent_kernel, bias, *, projection=None, **cell_options) -> tuple:
    """The weights as float64 arrays if their shapes fit x and each other (Keras's layout), else a ValueError.

    With a projection (u, p) (a cell that projects: LSTM), recurrent_kernel is (p, G*u)."""
    name, rank, gates = facts.name, facts.rank, facts.gate_count
    x, kernel, recurrent_kernel = (np.asarray(a, dtype=np.float64) for a in (x, kernel, recurrent_kernel))
    if x.ndim != 3 + rank:
        axes = "features" if rank == 0 else f"{rank} spatial axes and channels"
        raise ValueError(f"{name}: x must be (batch, time, {axes}), got shape {x.shape}")
    kernel_size = recurrent_kernel.shape[:rank]
    if projection is not None:
        u = _check_projection(facts, projection, recurrent_kernel)
    elif recurrent_kernel.ndim != 2 + rank or recurrent_kernel.shape[-1] != gates * recurrent_kernel.shape[-2]:
        inner = "units" if rank == 0 else "*kernel_size, filters"
        raise ValueError(f"{name}: recurrent_kernel must be ({inner}, {gates} * units), got {recurrent_kernel.shape}")
    else:
        u = recurrent_kernel.shape[-2]
    first = cell_options.get("data_format") == "channels_first"
    features = x.shape[2] if first else x.shape[-1]
    expected = facts.weight_shapes(input_size=features, units=u, use_bias=bias is not None, **cell_options)
    if rank:
        expected["kernel"] = (*kernel_size, features, gates * u)  # the kernel_size the weights have
    if kernel.shape != expected["kernel"]:
        inner = "features" if rank == 0 else "*kernel_size, channels"
        raise ValueError(
            f"{name}: kernel must be ({inner}, {gates} * units) = {expected['kernel']}, got {kernel.shape}"
        )
    if bias is not None:
        bias = np.asarray(bias, dtype=np.float64)
        if bias.shape != expected["bias"]:
            raise ValueError(f"{name}: bias must be {expected['bias']}, got {bias.shape}")
    return kernel, recurrent_kernel, bias


def _check_projection(facts: Cell, projection, recurrent_kernel) -> int:
    """The units u of a projected layer, if projection is (u, p) with 0 < p < u and recurrent_kernel (p, G*u)."""
    if not facts.projects:
        raise ValueError(f"{facts.name}: only an LSTM takes a projection (proj_size), not {facts.keras_class}")
    shape = np.shape(projection)
    if len(shape) != 2 or not 0 < shape[1] < shape[0]:
        raise ValueError(f"{facts.name}: projection must be (units, p) with 0 < p < units (proj_size), got {shape}")
    u, p = shape
    if recurrent_kernel.shape != (p, facts.gate_count * u):
        raise ValueError(
            f"{facts.name}: with a ({u}, {p}) projection recurrent_kernel must be (p, {facts.gate_count} * units) = "
            f"{(p, facts.gate_count * u)}, got {recurrent_kernel.shape}"
        )
    return u


def loop_inputs(facts: Cell, steps, x, *, initial_state=None, mask=None) -> tuple:
    """x (float64), the initial states (zeros by default) and the mask (bool or None), checked as Keras takes them."""
    x = np.asarray(x, dtype=np.float64)
    batch, time = x.shape[:2]
    if time == 0:
        raise ValueError("x must have at least one time step (Keras refuses time = 0 on every backend)")
    zeros = steps.zero_states(x[:, 0])
    if initial_state is None:
        states = zeros
    else:
        states = check_initial_state(initial_state, names=facts.states, shapes=tuple(z.shape for z in zeros))
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (batch, time):
            raise ValueError(f"mask must be (batch, time) = {(batch, time)}, got {mask.shape}")
    return x, states, mask


def step_mask(mask, t: int, like: np.ndarray):
    """mask[:, t] shaped to broadcast against a state like `like`: (batch, 1, ...)."""
    return mask[:, t].reshape(mask.shape[0], *(1,) * (like.ndim - 1))


def _run(
    facts: Cell,
    steps,
    x,
    *,
    return_sequences=False,
    return_state=False,
    go_backwards=False,
    initial_state=None,
    mask=None,
    zero_output_for_mask=False,
):
    """Scan the cell's step over time like keras.layers.RNN: the output, or [output, *states] with return_state."""
    x, states, mask = loop_inputs(facts, steps, x, initial_state=initial_state, mask=mask)
    time = x.shape[1]
    order = range(time - 1, -1, -1) if go_backwards else range(time)
    output = np.zeros_like(states[0])  # what a masked first step repeats
    outputs = []
    for t in order:
        new_states, _ = steps.step(x[:, t], states)
        if mask is None:
            output, states = new_states[0], new_states
        else:
            keep = step_mask(mask, t, output)  # (batch, 1, ...)
            output = np.where(keep, new_states[0], 0.0 if zero_output_for_mask else output)
            states = tuple(np.where(keep, new, old) for new, old in zip(new_states, states, strict=True))
        outputs.append(output)
    result = np.stack(outputs, axis=1) if return_sequences else output  # (batch, time, *u) or (batch, *u)
    return [result, *states] if return_state else result


def _arrays(nest) -> list[np.ndarray]:
    """The arrays in a nest of tuples and lists (a step's cache)."""
    if isinstance(nest, (tuple, list)):
        return [array for item in nest for array in _arrays(item)]
    return [nest] if isinstance(nest, np.ndarray) else []


def check_initial_state(initial_state, *, names: tuple[str, ...], shapes: tuple[tuple[int, ...], ...]) -> tuple:
    """As Keras takes it: a list of one array per state (names, each of its shape), or (one state only) an array."""
    n_states = len(names)
    shape = shapes[0] if len(set(shapes)) == 1 else shapes  # as the messages name them
    if isinstance(initial_state, (list, tuple)):
        given = list(initial_state)
    elif n_states == 1:
        given = [initial_state]
    else:
        raise ValueError(
            f"initial_state must be a list of {n_states} arrays of shape {shape} ({', '.join(names)}), "
            f"got a single {type(initial_state).__name__} of shape {np.shape(initial_state)}"
        )
    states = tuple(np.asarray(s, dtype=np.float64) for s in given)
    if len(states) != n_states or any(s.shape != want for s, want in zip(states, shapes, strict=True)):
        got = [s.shape for s in states]
        raise ValueError(f"initial_state must be {n_states} array(s) of shape {shape}, got {len(states)}: {got}")
    return states


def _direction(name: str, weights) -> tuple:
    if not isinstance(weights, (list, tuple)) or len(weights) not in (3, 4):
        raise ValueError(
            f"{name} must be (kernel, recurrent_kernel, bias or None) or, projected, (..., projection), "
            f"got {type(weights).__name__}"
        )
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
