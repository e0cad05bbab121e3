"""Check your own Keras recurrent cell against a NumPy step function you write (Keras, any backend; Hypothesis).

A cell is what keras.layers.RNN takes: a keras.layers.Layer with a `state_size` (an int, or a list of ints) and
`call(inputs, states) -> (output, new_states)`. Its author writes the same step in NumPy,

    step(x_t, states, weights) -> (output, new_states)

with x_t (batch, input_size), states a tuple of (batch, size) arrays, weights the cell's weights by name (float64),
and `check_custom_cell` draws sizes, weights, inputs and the RNN layer's options (return_sequences, go_backwards, a
mask, an initial state) with Hypothesis, runs keras.layers.RNN(cell) and the step's loop, and raises
CustomCellMismatch with the smallest failing case Hypothesis finds where they differ:

    check_custom_cell(lambda units: MinimalRNNCell(units), minimal_step, max_examples=50)

The loop is keras.layers.RNN's, as documented: steps in time order (from the end with go_backwards); a masked step
keeps every state and repeats the previous output (zeros before the first real step); with return_sequences the
output of every step, else the last; the states the layer starts from are the initial state drawn or, without one,
the layer's own (zeros, or the cell's get_initial_state). On jax the layer is called through one jitted call per
layer (rnncheck.compiled), as Keras's predict calls it: its lax.scan traces the cell either way. Hypothesis is the
`test` extra: pip install "rnncheck[test]".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # as rnncheck.model: quiet TensorFlow's C++ logs

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rnncheck import compiled  # noqa: E402
from rnncheck.checks import check_positive, check_size  # noqa: E402

OPTIONS = ("return_sequences", "go_backwards", "mask", "initial_state")  # what check_custom_cell draws by default

Step = Callable[[np.ndarray, tuple, Mapping[str, np.ndarray]], tuple]


class CustomCellMismatch(AssertionError):
    """keras.layers.RNN(cell) and the step function disagree (or one of them raised) on `case`."""

    def __init__(self, message: str, case: CustomCellCase):
        super().__init__(f"{message}\ncase: {case}")
        self.case = case


@dataclass(frozen=True, repr=False)
class CustomCellCase:
    """One drawn case: sizes, the cell's weights by name, the input, and the RNN layer's options."""

    input_size: int
    units: int
    x: np.ndarray  # (batch, time, input_size), float32
    weights: dict  # name -> float32 array, as the cell holds them
    return_sequences: bool = False
    go_backwards: bool = False
    mask: np.ndarray | None = None  # (batch, time) bool
    initial_state: tuple[np.ndarray, ...] | None = None  # each (batch, size)

    def __repr__(self) -> str:
        def show(a):
            return np.array2string(np.asarray(a), precision=4, separator=", ").replace("\n", "")

        weights = ", ".join(f"{name}={show(value)}" for name, value in self.weights.items())
        states = "None" if self.initial_state is None else "[" + ", ".join(map(show, self.initial_state)) + "]"
        mask = None if self.mask is None else show(self.mask)
        parts = [
            f"input_size={self.input_size}", f"units={self.units}", f"x={show(self.x)}", f"weights: {weights}",
            f"return_sequences={self.return_sequences}", f"go_backwards={self.go_backwards}", f"mask={mask}",
            f"initial_state={states}",
        ]  # fmt: skip
        return "CustomCellCase(" + ", ".join(parts) + ")"


def reference_loop(step: Step, x, weights: Mapping[str, np.ndarray], initial_state, *, mask=None,
                   go_backwards: bool = False, return_sequences: bool = False,
                   masked_output: str = "previous") -> list[np.ndarray]:  # fmt: skip
    """[output, *final_states] of keras.layers.RNN's documented loop over `step` (float64): a masked step keeps the
    states and repeats the previous output (zeros before the first). masked_output="state" is jax's lax.scan
    instead (rnncheck divergences: jax-scan-masked-output-h0): a masked step outputs the carried states[0]."""
    if masked_output not in ("previous", "state"):
        raise ValueError(f"masked_output must be 'previous' or 'state', got {masked_output!r}")
    x = np.asarray(x, np.float64)
    weights = {name: np.asarray(value, np.float64) for name, value in weights.items()}
    states = tuple(np.asarray(s, np.float64) for s in initial_state)
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    output, outputs = None, []
    for t in order:
        new_output, new_states = step(x[:, t], states, weights)
        new_output = np.asarray(new_output, np.float64)
        new_states = _as_states(new_states, count=len(states), t=t)
        if output is None:
            output = np.zeros_like(new_output)  # what a masked first step repeats
        if mask is None:
            output, states = new_output, new_states
        else:
            keep = np.asarray(mask, bool)[:, t]  # (batch,)
            masked = output if masked_output == "previous" else np.broadcast_to(states[0], new_output.shape)
            output = np.where(_along(keep, new_output), new_output, masked)
            states = tuple(np.where(_along(keep, s), new, s) for new, s in zip(new_states, states, strict=True))
        outputs.append(output)
    return [np.stack(outputs, axis=1) if return_sequences else output, *states]


def check_custom_cell(
    make_cell: Callable[[int], keras.layers.Layer],
    step: Step,
    *,
    input_size_range: tuple[int, int] = (1, 4),
    units_range: tuple[int, int] = (1, 4),
    batch_range: tuple[int, int] = (1, 3),
    time_range: tuple[int, int] = (1, 5),
    options: Collection[str] = OPTIONS,
    weight_scale: float = 1.0,
    input_scale: float = 2.0,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    max_examples: int = 50,
    seed: int | None = None,
) -> int:
    """Check that keras.layers.RNN(make_cell(units)) computes what `step` does, over cases Hypothesis draws.

    make_cell(units) returns a fresh cell; step(x_t, states, weights) -> (output, new_states) is the same step in
    NumPy (weights: the cell's weights by their names, e.g. "kernel"). Each case draws an input size and units from
    the (inclusive) ranges, a batch and a number of steps, weights in [-weight_scale, weight_scale], inputs in
    [-input_scale, input_scale], and each of `options` on or off: return_sequences, go_backwards, a mask (steps
    masked at random), an initial state (random states, else the layer's own). The output and every final state must
    agree within rtol and atol (float32 against float64).

    Returns the number of cases checked. Raises CustomCellMismatch (an AssertionError) on the smallest failing case
    Hypothesis finds, with the case attached as `.case`; TypeError or ValueError for arguments it cannot use.
    """
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import seed as seeded
        from hypothesis import strategies as st
        from hypothesis.extra import numpy as hnp
    except ImportError as error:  # the test extra
        raise ImportError('check_custom_cell needs Hypothesis: pip install "rnncheck[test]"') from error

    ranges = {name: _check_range(name, value) for name, value in dict(
        input_size_range=input_size_range, units_range=units_range, batch_range=batch_range, time_range=time_range,
    ).items()}  # fmt: skip
    unknown = sorted(set(options) - set(OPTIONS))
    if isinstance(options, str) or unknown:
        raise ValueError(f"options must be a collection of {', '.join(OPTIONS)}; got {options!r}")
    options = frozenset(options)
    weight_scale, input_scale = check_positive("weight_scale", weight_scale), check_positive("input_scale", input_scale)
    rtol, atol = _check_tolerance("rtol", rtol), _check_tolerance("atol", atol)
    max_examples = check_size("max_examples", max_examples)
    if not callable(make_cell) or not callable(step):
        raise TypeError("make_cell and step must be callables: make_cell(units) -> cell, step(x_t, states, weights)")
    _check_cell(make_cell(ranges["units_range"][0]))
    _check_step(make_cell, step, input_size=ranges["input_size_range"][0], units=ranges["units_range"][0])

    layers: dict[tuple, keras.layers.RNN] = {}  # one built layer per structure, given each case's weights
    checked = [0]

    def rnn(input_size: int, units: int, return_sequences: bool, go_backwards: bool) -> keras.layers.RNN:
        key = (input_size, units, return_sequences, go_backwards)
        if key not in layers:
            layer = keras.layers.RNN(make_cell(units), return_sequences=return_sequences, go_backwards=go_backwards,
                                     return_state=True)  # fmt: skip
            layer.build((None, None, input_size))
            _weight_names(layer.cell)  # duplicate names would make `weights` ambiguous
            layers[key] = layer
        return layers[key]

    def draw_case(data) -> tuple[CustomCellCase, keras.layers.RNN]:
        def draw(strategy, label):
            return data.draw(strategy, label=label)

        def floats(shape, scale, label):
            return draw(hnp.arrays(np.float32, shape, elements=st.floats(-scale, scale, width=32)), label)

        def flag(name):
            return name in options and draw(st.booleans(), name)

        d = draw(st.integers(*ranges["input_size_range"]), "input_size")
        u = draw(st.integers(*ranges["units_range"]), "units")
        batch = draw(st.integers(*ranges["batch_range"]), "batch")
        time = draw(st.integers(*ranges["time_range"]), "time")
        return_sequences, go_backwards = flag("return_sequences"), flag("go_backwards")
        layer = rnn(d, u, return_sequences, go_backwards)
        weights = {v.name: floats(tuple(v.shape), weight_scale, v.name) for v in layer.cell.weights}
        x = floats((batch, time, d), input_scale, "x")
        mask = draw(hnp.arrays(np.bool_, (batch, time)), "mask") if flag("mask") else None
        initial_state = None
        if flag("initial_state"):
            initial_state = tuple(floats((batch, size), 1.0, f"initial_state[{i}]")
                                  for i, size in enumerate(_state_sizes(layer)))  # fmt: skip
        case = CustomCellCase(d, u, x, weights, return_sequences, go_backwards, mask, initial_state)
        return case, layer

    @settings(max_examples=max_examples, deadline=None, database=None, report_multiple_bugs=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(data=st.data())
    def run(data):
        case, layer = draw_case(data)
        _check_case(layer, step, case, rtol=rtol, atol=atol)
        checked[0] += 1

    if seed is not None:
        run = seeded(seed)(run)
    run()
    return checked[0]


def _check_case(layer: keras.layers.RNN, step: Step, case: CustomCellCase, *, rtol: float, atol: float) -> None:
    for variable in layer.cell.weights:
        variable.assign(case.weights[variable.name])
    call = {}
    if case.mask is not None:
        call["mask"] = case.mask
    if case.initial_state is not None:
        call["initial_state"] = list(case.initial_state)
    try:
        returned = [np.asarray(keras.ops.convert_to_numpy(keras.ops.stop_gradient(t)))
                    for t in compiled.call(layer, case.x, **call)]  # fmt: skip
    except Exception as error:
        raise CustomCellMismatch(f"keras.layers.RNN(cell) raised {type(error).__name__}: {error}", case) from error
    if case.initial_state is not None:
        initial_state = case.initial_state
    else:
        initial_state = [keras.ops.convert_to_numpy(s) for s in layer.get_initial_state(case.x.shape[0])]
    try:
        expected = reference_loop(step, case.x, case.weights, initial_state, mask=case.mask,
                                  go_backwards=case.go_backwards, return_sequences=case.return_sequences)  # fmt: skip
    except CustomCellMismatch:
        raise
    except Exception as error:
        raise CustomCellMismatch(f"the step function raised {type(error).__name__}: {error}", case) from error
    if len(returned) != len(expected):
        raise CustomCellMismatch(f"keras returned {len(returned)} arrays (output and states), the step's loop "
                                 f"{len(expected)}", case)  # fmt: skip
    difference = _difference(returned, expected, case, rtol=rtol, atol=atol)
    if difference is None:
        return
    if case.mask is not None and keras.backend.backend() == "jax":  # a known Keras divergence, not the cell's
        as_jax = reference_loop(step, case.x, case.weights, initial_state, mask=case.mask, masked_output="state",
                                go_backwards=case.go_backwards, return_sequences=case.return_sequences)  # fmt: skip
        if _difference(returned, as_jax, case, rtol=rtol, atol=atol) is None:
            difference += (
                "; this is Keras's jax-scan-masked-output-h0, not the cell: on jax a masked step outputs the "
                "carried states[0], which the step's loop with masked_output='state' gives (rnncheck divergences)"
            )
    raise CustomCellMismatch(difference, case)


def _difference(returned, expected, case: CustomCellCase, *, rtol: float, atol: float) -> str | None:
    """How Keras's [output, *states] differ from the step's loop's, or None where they agree."""
    names = ["output"] + [f"state {i}" for i in range(len(expected) - 1)]
    for name, actual, want in zip(names, returned, expected, strict=True):
        if actual.shape != want.shape:
            return f"{name}: keras's shape {actual.shape}, the step's {want.shape}"
        error = np.abs(actual - want)
        bad = ~(error <= atol + rtol * np.abs(want))  # NaN is bad
        if bad.any():
            index = np.unravel_index(int(np.argmax(np.where(np.isnan(error), np.inf, error))), error.shape)
            at = f" (time step {index[1]})" if case.return_sequences and name == "output" and error.ndim >= 3 else ""
            return (
                f"{name} differs in {int(bad.sum())} of {error.size} values (rtol {rtol:g}, atol {atol:g}); largest "
                f"at index {tuple(int(i) for i in index)}{at}: keras {actual[index]!r}, the step {want[index]!r}"
            )
    return None


def _along(keep: np.ndarray, like: np.ndarray) -> np.ndarray:
    return keep.reshape(-1, *(1,) * (like.ndim - 1))  # (batch, 1, ...): broadcasts against like


def _as_states(new_states, *, count: int, t: int) -> tuple[np.ndarray, ...]:
    states = tuple(new_states) if isinstance(new_states, (list, tuple)) else (new_states,)
    if len(states) != count:
        raise ValueError(f"the step returned {len(states)} state(s) at time step {t}; the cell has {count} "
                         "(its state_size)")  # fmt: skip
    return tuple(np.asarray(s, np.float64) for s in states)


def _state_sizes(layer: keras.layers.RNN) -> list[int]:
    return [int(size) for size in layer.state_size]


def _weight_names(cell) -> list[str]:
    names = [v.name for v in cell.weights]
    if len(set(names)) != len(names):
        raise ValueError(f"the cell's weights need distinct names for step's `weights` (got {names})")
    return names


def _check_cell(cell) -> None:
    if not isinstance(cell, keras.layers.Layer):
        raise TypeError(f"make_cell(units) must return a keras.layers.Layer, got {type(cell).__name__}")
    size = getattr(cell, "state_size", None)
    sizes = [size] if isinstance(size, int) else size
    if not isinstance(sizes, (list, tuple)) or not sizes or not all(isinstance(s, int) and s > 0 for s in sizes):
        raise TypeError(f"the cell's state_size must be a positive int or a list of them, got {size!r}")


def _check_step(make_cell, step: Step, *, input_size: int, units: int) -> None:
    """One step from zeros, before any case: a step that returns other than (output, one array per state) is a
    ValueError that names what it returned, not a mismatch to shrink."""
    layer = keras.layers.RNN(make_cell(units), return_state=True)
    layer.build((None, None, input_size))
    states = tuple(np.zeros((1, size)) for size in _state_sizes(layer))
    weights = {v.name: np.zeros(tuple(v.shape)) for v in layer.cell.weights}
    returned = step(np.zeros((1, input_size)), states, weights)
    if not isinstance(returned, (list, tuple)) or len(returned) != 2:
        raise ValueError(f"step must return (output, new_states), got {type(returned).__name__}")
    _as_states(returned[1], count=len(states), t=0)


def _check_range(name: str, value) -> tuple[int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be (min, max), got {value!r}")
    low, high = check_size(f"{name}[0]", value[0]), check_size(f"{name}[1]", value[1])
    if low > high:
        raise ValueError(f"{name} must have min <= max, got {value!r}")
    return low, high


def _check_tolerance(name: str, value) -> float:
    if value == 0:
        return 0.0
    return check_positive(name, value)
