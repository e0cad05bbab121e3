"""Known divergences: where a framework returns something other than rnncheck.reference. Reviewed.

Two tables. rnncheck.conformance.causes holds each cause once (its backend, its loop model or error, the documented
side, the line upstream, the releases it was seen in). DIVERGENCES below holds each occurrence of a cause in one
property: the minimal example Hypothesis shrank to (the property's own arguments), what each side returns on it,
and the region of drawn arguments the cause concerns. Like array-api-tests' xfails file, with the evidence beside it.

A property is defined once, as a Property; from it come
- `check(**arguments)`: what the property asserts for every drawn case on every backend. The framework agrees with
  the reference, except in an occurrence's region, where it must still do what its cause records: raise its error,
  or return what the cause's loop model computes (for a gradient, which is then the gradient of that loop, its
  forward does: `diverged`). A region narrows no strategy; it only says which answer is expected.
- `replay_test()`: each occurrence's example as its own test case, a strict xfail on the cause's backend (a fix
  upstream shows as XPASS, which fails) and on every other backend an ordinary case that must pass `check`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
import pytest

from rnncheck.conformance.causes import CAUSES, Cause, KerasRaises, Loop, as_documented
from rnncheck.conformance.strategies import BidirectionalCase, GradientCase, SequenceCase, StackCase, StackedLayer


@dataclass(frozen=True)
class Occurrence:
    """One cause's occurrence in one property: its minimal example and the region it covers."""

    id: str  # the replayed example's pytest id
    cause: str  # a key of CAUSES
    test: str  # the property, as its test function is named
    example: dict  # the minimal example Hypothesis shrank to: the property's arguments, replayed as they are
    keras: str  # what Keras returns on the example
    reference: str  # what rnncheck.reference returns on it
    covers: Callable[..., bool] = field(repr=False)  # the drawn arguments (as in example) this occurrence concerns
    note: str = ""  # how the cause reaches this property, where that is not plain
    error: type[BaseException] | None = None  # what Keras raises on this example, where the cause's model says so

    @property
    def facts(self) -> Cause:
        return CAUSES[self.cause]

    @property
    def backend(self) -> str:
        return self.facts.backend

    @property
    def loop(self) -> Loop | None:
        return self.facts.loop

    @property
    def raises(self) -> type[BaseException] | None:
        return self.facts.raises

    @property
    def match(self) -> str:
        return self.facts.match

    @property
    def reason(self) -> str:
        return self.facts.upstream + (f"; {self.note}" if self.note else "")


def active_backend() -> str:
    return keras.backend.backend()


def recorded(test: str, backend: str | None = None, **arguments) -> Occurrence | None:
    """The occurrence of `test` on `backend` (default: the active one) whose region holds `arguments`, or None."""
    backend = backend or active_backend()
    rows = [row for row in DIVERGENCES if row.backend == backend and row.test == test and row.covers(**arguments)]
    if len(rows) > 1:
        raise AssertionError(f"divergences overlap for {test} on {backend}: {[row.id for row in rows]}")
    return rows[0] if rows else None


@dataclass(frozen=True)
class Property:
    """A property of the framework against the reference, defined once: `actual(**arguments)` is what the framework
    returns, `expected(loop, **arguments)` what the reference computes through `loop`, compare(actual, expected,
    arguments) asserts they agree; `diverged(loop, **arguments)`, where given, is what an occurrence's region
    asserts instead (a gradient property: the forward still runs the cause's loop)."""

    test: str  # the property's test function name, which DIVERGENCES refers to
    actual: Callable[..., list]
    expected: Callable[..., list]
    compare: Callable[[list, list, dict], None]
    diverged: Callable[..., None] | None = None

    def check(self, **arguments) -> None:
        row = recorded(self.test, **arguments)
        if row is None:
            self.compare(self.actual(**arguments), self.expected(as_documented, **arguments), arguments)
        elif row.raises is not None:
            with pytest.raises(row.raises, match=row.match):
                self.actual(**arguments)
        else:
            try:
                if self.diverged is not None:
                    self.diverged(row.loop, **arguments)
                else:
                    expected = self.expected(row.loop, **arguments)  # first: the model may say Keras raises
                    self.compare(self.actual(**arguments), expected, arguments)
            except KerasRaises as raised:  # the loop model says the backend's loop raises here
                with pytest.raises(raised.error):
                    self.actual(**arguments)

    def replay(self, row: Occurrence) -> None:
        """Row's example: on its backend the framework must still disagree with the reference; elsewhere, check."""
        if row.backend == active_backend():
            self.compare(self.actual(**row.example), self.expected(as_documented, **row.example), row.example)
        else:
            self.check(**row.example)

    def replay_test(self) -> Callable:
        """The test of every occurrence of this property: assign it to `<test>_on_recorded_examples`."""

        @pytest.mark.parametrize("row", replays(self.test))
        def test(row):
            self.replay(row)

        test.__name__ = test.__qualname__ = f"{self.test}_on_recorded_examples"
        test.__doc__ = f"{self.test} on each recorded divergence's minimal example."
        return test


def replays(test: str) -> list:
    """Every occurrence of `test` as a pytest.param: a strict xfail on its cause's backend, a plain case elsewhere."""
    return [
        pytest.param(
            row,
            id=row.id,
            marks=pytest.mark.xfail(
                strict=True, raises=row.raises or row.error or AssertionError, reason=xfail_reason(row)
            )
            if row.backend == active_backend()
            else (),
        )
        for row in DIVERGENCES
        if row.test == test
    ]


def xfail_reason(row: Occurrence) -> str:
    """One line for pytest and rnncheck conform: both sides on the example, the cause and its id."""
    return f"Keras {row.keras}; reference {row.reference}. {row.reason} [{row.cause}]"


# ConvLSTM1D on 2 sequences of 1 step, 2 positions, 1 channel, 1 filter: bias 1 gives c = i tanh(1), h = o tanh(c).
CONV_MASKED = SequenceCase(
    cell="convlstm1d",
    x=np.zeros((2, 1, 2, 1), np.float32),
    kernel=np.zeros((1, 1, 4), np.float32),
    recurrent_kernel=np.zeros((1, 1, 4), np.float32),
    bias=np.array([0.0, 0.0, 10.0, 10.0], np.float32),
    mask=np.array([[True], [False]]),
    cell_options=(("strides", (1,)), ("padding", "valid"), ("dilation_rate", (1,)), ("data_format", "channels_last")),
)
CONV_MASKED_MISFIT = dataclasses.replace(CONV_MASKED, x=np.zeros((2, 1, 3, 1), np.float32))


def _bidirectional_in(case: StackCase) -> bool:
    return any(layer.backward is not None for layer in case.layers)



DIVERGENCES: list[Occurrence] = [
    Occurrence(
        id="torch-unroll-mask-go_backwards-raises",
        cause="torch-unroll-flip-tuple",
        test="test_reference_matches_keras",
        example=dict(
            case=SequenceCase(
                cell="simple",
                x=np.zeros((1, 1, 1), np.float32),
                kernel=np.zeros((1, 1), np.float32),
                recurrent_kernel=np.zeros((1, 1), np.float32),
                bias=None,
                go_backwards=True,
                mask=np.array([[False]]),
            ),
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="output [[0.]], state [[0.]] (as tensorflow, jax, and torch with unroll=False)",
        covers=lambda case, unroll: unroll and case.mask is not None and case.go_backwards,
    ),
    Occurrence(
        id="jax-loop-mask-initial_state",
        cause="jax-scan-masked-output-h0",
        test="test_reference_matches_keras",
        example=dict(
            case=SequenceCase(
                cell="simple",
                x=np.zeros((1, 1, 1), np.float32),
                kernel=np.zeros((1, 1), np.float32),
                recurrent_kernel=np.zeros((1, 1), np.float32),
                bias=None,
                initial_state=(np.ones((1, 1), np.float32),),
                mask=np.array([[False]]),
            ),
            unroll=False,
        ),
        keras="output [[1.]] (h0), state [[1.]]",
        reference="output [[0.]], state [[1.]] (as tensorflow, torch, and jax with unroll=True)",
        covers=lambda case, unroll: not unroll and case.mask is not None and case.initial_state is not None,
    ),
    Occurrence(
        id="torch-unroll-mask-raises",
        cause="torch-unroll-flip-tuple",
        test="test_bidirectional_matches_reference",
        example=dict(
            case=BidirectionalCase(
                cell="simple",
                x=np.zeros((1, 1, 1), np.float32),
                forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                mask=np.array([[False]]),
            ),
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="[[0., 0.]]",
        note="Bidirectional's backward layer has go_backwards",
        covers=lambda case, unroll: unroll and case.mask is not None,
    ),
    Occurrence(
        id="jax-loop-mask-initial_state",
        cause="jax-scan-masked-output-h0",
        test="test_bidirectional_matches_reference",
        example=dict(
            case=BidirectionalCase(
                cell="simple",
                x=np.zeros((1, 1, 1), np.float32),
                forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                initial_state=(np.zeros((1, 1), np.float32), np.ones((1, 1), np.float32)),
                mask=np.array([[False]]),
            ),
            unroll=False,
        ),
        keras="[[0., 1.]]: the backward half is its h0",
        reference="[[0., 0.]]",
        covers=lambda case, unroll: (
            not unroll and case.mask is not None and case.initial_state is not None and not case.return_sequences
        ),
    ),
    Occurrence(
        id="jax-unroll-mask-return_sequences",
        cause="jax-unroll-zero-output-for-mask-ignored",
        test="test_bidirectional_matches_reference",
        example=dict(
            case=BidirectionalCase(
                cell="simple",
                x=np.zeros((1, 2, 1), np.float32),
                forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.ones(1, np.float32)),
                backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                return_sequences=True,
                mask=np.array([[True, False]]),
            ),
            unroll=True,
        ),
        keras="[[[0.7616, 0.], [0.7616, 0.]]]: masked t=1 repeats tanh(1)",
        reference="[[[0.7616, 0.], [0., 0.]]]",
        covers=lambda case, unroll: unroll and case.mask is not None and case.return_sequences,
    ),
    Occurrence(
        id="tensorflow-unroll-mask-return_sequences",
        cause="tensorflow-unroll-reversed-mask-zeroing",
        test="test_bidirectional_matches_reference",
        example=dict(
            case=BidirectionalCase(
                cell="simple",
                x=np.zeros((1, 2, 1), np.float32),
                forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.ones(1, np.float32)),
                return_sequences=True,
                mask=np.array([[True, False]]),
            ),
            unroll=True,
        ),
        keras="[[[0., 0.], [0., 0.]]]: the real step t=0 of the backward half is zeroed",
        reference="[[[0., 0.7616], [0., 0.]]]",
        covers=lambda case, unroll: unroll and case.mask is not None and case.return_sequences,
    ),
    Occurrence(
        id="torch-unroll-mask-bidirectional-raises",
        cause="torch-unroll-flip-tuple",
        test="test_stack_matches_reference",
        example=dict(
            case=StackCase(
                x=np.zeros((1, 1, 1), np.float32),
                layers=(
                    StackedLayer(
                        cell="simple",
                        forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                        backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                    ),
                    StackedLayer(
                        cell="simple", forward=(np.zeros((2, 1), np.float32), np.zeros((1, 1), np.float32), None)
                    ),
                ),
                mask=np.array([[False]]),
            ),
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="[[0.]]",
        note="Bidirectional's backward layer has go_backwards",
        covers=lambda case, unroll: unroll and case.mask is not None and _bidirectional_in(case),
    ),
    Occurrence(
        id="jax-unroll-mask-bidirectional",
        cause="jax-unroll-zero-output-for-mask-ignored",
        test="test_stack_matches_reference",
        example=dict(
            case=StackCase(
                x=np.zeros((1, 2, 1), np.float32),
                layers=(
                    StackedLayer(
                        cell="simple",
                        forward=(
                            np.zeros((1, 2), np.float32),
                            np.zeros((2, 2), np.float32),
                            np.array([1.0, 0.0], np.float32),
                        ),
                    ),
                    StackedLayer(
                        cell="simple",
                        forward=(
                            np.array([[1.0], [0.0]], np.float32),
                            np.zeros((1, 1), np.float32),
                            np.zeros(1, np.float32),
                        ),
                        backward=(np.zeros((2, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                    ),
                ),
                return_sequences=True,
                mask=np.array([[True, False]]),
            ),
            unroll=True,
        ),
        keras="[[[0.642, 0.], [0.642, 0.]]]: masked t=1 repeats the top layer's output",
        reference="[[[0.642, 0.], [0., 0.]]]",
        covers=lambda case, unroll: unroll and case.mask is not None and _bidirectional_in(case),
    ),
    Occurrence(
        id="tensorflow-unroll-mask-bidirectional",
        cause="tensorflow-unroll-reversed-mask-zeroing",
        test="test_stack_matches_reference",
        example=dict(
            case=StackCase(
                x=np.ones((1, 2, 1), np.float32),
                layers=(
                    StackedLayer(
                        cell="simple",
                        forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                        backward=(np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                        merge_mode="sum",
                    ),
                    StackedLayer(
                        cell="simple",
                        forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                        backward=(np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                    ),
                ),
                mask=np.array([[False, True]]),
            ),
            unroll=True,
        ),
        keras="[[0., 0.]]: the lower layer zeroes its real step t=1, the top sees 0",
        reference="[[0., 0.642]]",
        covers=lambda case, unroll: unroll and case.mask is not None and _bidirectional_in(case),
    ),
    Occurrence(
        id="jax-loop-mask-initial_state",
        cause="jax-scan-masked-output-h0",
        test="test_bptt_matches_backend_autodiff",
        example=dict(
            gradient_case=GradientCase(
                SequenceCase(
                    cell="simple",
                    x=np.zeros((1, 1, 1), np.float32),
                    kernel=np.zeros((1, 1), np.float32),
                    recurrent_kernel=np.zeros((1, 1), np.float32),
                    bias=None,
                    initial_state=(np.ones((1, 1), np.float32),),
                    mask=np.array([[False]]),
                ),
                d_output=np.ones((1, 1), np.float32),
            ),
            unroll=False,
        ),
        keras="dL/dh0 [[1.]]: the output is h0",
        reference="dL/dh0 [[0.]]: the output is [[0.]] (as tensorflow, torch, and jax with unroll=True)",
        covers=lambda gradient_case, unroll: (
            not unroll
            and gradient_case.case.mask is not None
            and gradient_case.case.initial_state is not None
            and not gradient_case.zero_output_for_mask
        ),
    ),
    Occurrence(
        id="torch-unroll-mask-go_backwards-raises",
        cause="torch-unroll-flip-tuple",
        test="test_bptt_matches_backend_autodiff",
        example=dict(
            gradient_case=GradientCase(
                SequenceCase(
                    cell="simple",
                    x=np.zeros((1, 1, 1), np.float32),
                    kernel=np.zeros((1, 1), np.float32),
                    recurrent_kernel=np.zeros((1, 1), np.float32),
                    bias=None,
                    go_backwards=True,
                    mask=np.array([[True]]),
                ),
                d_output=np.ones((1, 1), np.float32),
            ),
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="dL/dx [[[0.]]], dL/dkernel [[0.]], dL/drecurrent_kernel [[0.]] (as tensorflow, jax, torch loop)",
        covers=lambda gradient_case, unroll: (
            unroll and gradient_case.case.mask is not None and gradient_case.case.go_backwards
        ),
    ),
    Occurrence(
        id="tensorflow-unroll-mask-go_backwards-zero_output_for_mask",
        cause="tensorflow-unroll-reversed-mask-zeroing",
        test="test_bptt_matches_backend_autodiff",
        example=dict(
            gradient_case=GradientCase(
                SequenceCase(
                    cell="simple",
                    x=np.zeros((1, 2, 1), np.float32),
                    kernel=np.zeros((1, 1), np.float32),
                    recurrent_kernel=np.zeros((1, 1), np.float32),
                    bias=np.zeros(1, np.float32),
                    return_sequences=True,
                    go_backwards=True,
                    mask=np.array([[True, False]]),
                ),
                d_output=np.ones((1, 2, 1), np.float32),
                zero_output_for_mask=True,
            ),
            unroll=True,
        ),
        keras="dL/dbias [0.]: the real step t=0 is zeroed, so no output depends on b",
        reference="dL/dbias [1.]: t=0 outputs tanh(b) (as jax, and tensorflow with unroll=False)",
        covers=lambda gradient_case, unroll: (
            unroll
            and gradient_case.case.mask is not None
            and gradient_case.case.go_backwards
            and gradient_case.case.return_sequences
            and gradient_case.zero_output_for_mask
        ),
    ),
    Occurrence(
        id="jax-unroll-mask-zero_output_for_mask",
        cause="jax-unroll-zero-output-for-mask-ignored",
        test="test_bptt_matches_backend_autodiff",
        example=dict(
            gradient_case=GradientCase(
                SequenceCase(
                    cell="simple",
                    x=np.zeros((1, 2, 1), np.float32),
                    kernel=np.zeros((1, 1), np.float32),
                    recurrent_kernel=np.zeros((1, 1), np.float32),
                    bias=np.zeros(1, np.float32),
                    mask=np.array([[True, False]]),
                ),
                d_output=np.ones((1, 1), np.float32),
                zero_output_for_mask=True,
            ),
            unroll=True,
        ),
        keras="dL/dbias [1.]: the output at masked t=1 repeats t=0's tanh(b)",
        reference="dL/dbias [0.]: masked t=1 outputs 0 (as tensorflow, torch, and jax with unroll=False)",
        covers=lambda gradient_case, unroll: (
            unroll and gradient_case.case.mask is not None and gradient_case.zero_output_for_mask
        ),
    ),
    Occurrence(
        id="jax-convlstm-mask",
        cause="jax-scan-mask-rank",
        test="test_convlstm_reference_matches_keras",
        example=dict(case=CONV_MASKED),
        keras="output [[0.4621], [0.]] for both sequences: position 1 is masked in each, not sequence 1",
        reference="[[0.4621], [0.4621]] for sequence 0; [[0.], [0.]] for the masked sequence 1",
        covers=lambda case: case.mask is not None,
    ),
    Occurrence(
        id="jax-convlstm-mask",
        cause="jax-scan-mask-rank",
        test="test_convlstm_output_and_state_shapes_match_keras",
        example=dict(case=CONV_MASKED_MISFIT),
        keras="ValueError: the (batch, 1) mask does not broadcast against the (batch, 3, 1) states",
        reference="output (2, 3, 1), h (2, 3, 1), c (2, 3, 1)",
        covers=lambda case: case.mask is not None,
        error=ValueError,
    ),
    Occurrence(
        id="jax-convlstm-mask",
        cause="jax-scan-mask-rank",
        test="test_convlstm_bptt_matches_backend_autodiff",
        example=dict(pair=(CONV_MASKED, np.array([[[1.0], [2.0]], [[3.0], [4.0]]], np.float32))),
        keras="dL/dbias sums d_output over position 0 of both sequences (1 + 3), the steps its forward ran",
        reference="dL/dbias sums it over both positions of sequence 0 (1 + 2)",
        covers=lambda pair: pair[0].mask is not None,
    ),
]
