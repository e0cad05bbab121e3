"""The suite's one way to compare a framework's outputs with the reference, as array-api-tests' pytest_helpers.

Tolerances are named for what they compare. A failure says which framework, which output (`output`, `h`, `c`,
a direction, a layer, a gradient), where it is worst (its index and time step, for a sequence; its error and
allowance) and the case.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

TOLERANCES = {
    # A float64 framework against the float64 reference: the same sums in another order.
    "float64": dict(rtol=1e-9, atol=1e-11),
    # The framework in float32 against the float64 reference, at most 6 units over 6 steps.
    "float32": dict(rtol=1e-5, atol=1e-5),
    # A float32 gradient sums batch * time * units products: under fuzz (TensorFlow, 2000 cases per unroll mode)
    # the largest difference from bptt was 1.3e-5, never more than 0.1 of this tolerance.
    "float32 gradient": dict(rtol=1e-4, atol=1e-5),
}


def framework_name() -> str:
    """The framework under test in this process: the active Keras backend."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def output_names(states: Sequence[str], *, count: int, directions: int = 1, merged: bool = True) -> list[str]:
    """Names of what a layer returned, in order: output (or output_forward, output_backward), then each state of
    each direction (h, c; h_forward, ..., h_backward). `count` is how many arrays there are."""
    suffixes = ["_forward", "_backward"] if directions == 2 else [""]
    outputs = ["output"] if merged else [f"output{s}" for s in suffixes]
    names = outputs + [f"{state}{s}" for s in suffixes for state in states]
    return names[:count] if count <= len(names) else names + [f"[{i}]" for i in range(len(names), count)]


def where(error: np.ndarray, *, sequence_axis: int | None) -> str:
    """The index of `error`'s largest value, naming the time step when `sequence_axis` is the time axis."""
    index = np.unravel_index(int(np.argmax(error)), error.shape)
    text = f"at index {tuple(int(i) for i in index)}"
    if sequence_axis is not None and error.ndim > sequence_axis:
        text += f" (time step {int(index[sequence_axis])})"
    return text


def assert_outputs_close(
    actual: Sequence[np.ndarray],
    expected: Sequence[np.ndarray],
    *,
    names: Sequence[str],
    tolerance: str = "float32",
    case: object = None,
    sequences: Sequence[str] = ("output", "output_forward", "output_backward"),
    framework: str | None = None,
    slack: Sequence[np.ndarray] = (),
) -> None:
    """Each actual array equals its expected one within TOLERANCES[tolerance]; shapes and counts must agree.

    `names` name the arrays in order; those in `sequences` have time on axis 1 when they are 3-D or more.
    `framework` names what is under test (default: the active Keras backend). `slack`, where given, is each
    array's own absolute tolerance on top (elementwise, as its array): what the case's conditioning allows.
    """
    tol = TOLERANCES[tolerance]
    label = f"{framework or framework_name()}: "

    def context() -> str:  # on failure only: a case's repr prints its arrays, ~1.7 ms an example on success
        return "" if case is None else f"\ncase: {case!r}"

    if len(actual) != len(expected):
        raise AssertionError(f"{label}returned {len(actual)} arrays, the reference {len(expected)}{context()}")
    slack = list(slack) or [0.0] * len(expected)
    if len(slack) != len(expected):
        raise ValueError(f"slack: {len(slack)} arrays for {len(expected)} outputs")
    for name, a, e, extra in zip(names, actual, expected, slack, strict=False):
        a, e = np.asarray(a), np.asarray(e)
        if a.shape != e.shape:
            raise AssertionError(f"{label}{name} has shape {a.shape}, the reference {e.shape}{context()}")
        allowed = tol["atol"] + tol["rtol"] * np.abs(e) + extra
        excess = np.abs(a - e) - allowed
        bad = ~(excess <= 0)  # NaN counts as bad
        if bad.any():
            # the element furthest past what it is allowed (with slack, not always the largest error)
            worst = np.where(np.isnan(excess), np.inf, excess)
            at = where(worst, sequence_axis=1 if name in sequences and a.ndim >= 3 else None)
            index = np.unravel_index(int(np.argmax(worst)), worst.shape)
            extra_here = f", slack {float(np.broadcast_to(extra, e.shape)[index]):.3g} here" if np.any(extra) else ""
            raise AssertionError(
                f"{label}{name} differs from the reference ({tolerance}: rtol {tol['rtol']:g}, atol {tol['atol']:g}"
                f"{extra_here}) in {int(bad.sum())} of {a.size} values; worst {at}: error "
                f"{float(np.abs(a - e)[index]):.3g}, allowed {float(np.broadcast_to(allowed, e.shape)[index]):.3g}: "
                f"{a[index]!r} vs {e[index]!r}{context()}"
            )
