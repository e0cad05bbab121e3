"""Known divergences: where a framework returns something other than rnncheck.reference. Reviewed.

Two tables. rnncheck.conformance.causes holds each cause once (its backend, its loop model or error, the documented
side, the line upstream, the releases it was seen in). DIVERGENCES below holds each occurrence of a cause in one
property: the minimal example Hypothesis shrank to (the property's own arguments), what each side returns on it,
and the region of drawn arguments the cause concerns. Like array-api-tests' xfails file, with the evidence beside it.

A property is defined once, as a Property; from it come
- `check(**arguments)`: what the property asserts for every drawn case on every backend. The framework agrees with
  the reference, except in an occurrence's region, where it must still do what its cause records: raise its error,
  or return what the cause's loop model computes (for a gradient, which is then the gradient of that loop, its
  forward does: `diverged`), or what the reference computes on the case as the backend reads it (a reading, which
  composes with another cause), or, for a cause that only says what Keras returns, anything but the documented
  answer. A cause may hold on several backends; an occurrence may hold on some of them (`on`). A region narrows
  no strategy; it only says which answer is expected.
- `replay_test()`: each occurrence's example as its own test case, a strict xfail on the cause's backend (a fix
  upstream shows as XPASS, which fails) and on every other backend an ordinary case that must pass `check`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
import pytest

from rnncheck.cells import cell as cell_facts
from rnncheck.conformance.causes import (
    CAUSES,
    Cause,
    KerasRaises,
    Loop,
    as_documented,
    masking_flushes_subnormals,
    onednn_misconvolves,
    onednn_misreads_conv,
    tensorflow_runs_onednn_avx512,
)
from rnncheck.conformance.model_strategies import (
    DropoutCase,
    InitializerCase,
    MaskedModelCase,
    RoundTripCase,
    StackedCellsCase,
    StatefulCase,
)
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
    # (for a cause that raises, this occurrence's error where it is not the cause's)
    on: tuple[str, ...] = ()  # the backends of its cause it holds on, where not all of them

    @property
    def facts(self) -> Cause:
        return CAUSES[self.cause]

    @property
    def backends(self) -> tuple[str, ...]:
        return self.on or self.facts.backends

    def holds(self, backend: str) -> bool:
        """Whether this occurrence is expected on `backend` on this machine (its cause's machine check)."""
        return backend in self.backends and self.facts.holds_here()

    @property
    def loop(self) -> Loop | None:
        return self.facts.loop

    @property
    def raises(self) -> type[BaseException] | None:
        return (self.error or self.facts.raises) if self.facts.raises else None

    @property
    def match(self) -> str:
        return self.facts.match

    @property
    def reason(self) -> str:
        return self.facts.upstream + (f"; {self.note}" if self.note else "")


def active_backend() -> str:
    return keras.backend.backend()


def regions(test: str, backend: str, **arguments) -> list[Occurrence]:
    """Every occurrence of `test` on `backend` whose region holds `arguments`, on any machine."""
    return [row for row in DIVERGENCES if row.test == test and backend in row.backends and row.covers(**arguments)]


def occurrences(test: str, backend: str | None = None, **arguments) -> list[Occurrence]:
    """The regions of `test` on `backend` (default: the active one) holding `arguments` whose cause can hold on this
    machine (Cause.machine). Causes compose where one is a reading (Keras reads the case otherwise) and at most one
    other is not; any other overlap is an error in the table."""
    backend = backend or active_backend()
    rows = [row for row in regions(test, backend, **arguments) if row.facts.holds_here()]
    if sum(row.facts.reads is None for row in rows) > 1:
        raise AssertionError(f"divergences overlap for {test} on {backend}: {[row.id for row in rows]}")
    return rows


def recorded(test: str, backend: str | None = None, **arguments) -> Occurrence | None:
    """The occurrence of `test` on `backend` whose region holds `arguments` (the one that is not a reading, where
    a reading composes with it), or None."""
    rows = occurrences(test, backend, **arguments)
    rows = [row for row in rows if row.facts.reads is None] or rows
    if len(rows) > 1:
        raise AssertionError(f"divergences overlap for {test} on {backend}: {[row.id for row in rows]}")
    return rows[0] if rows else None


def as_read(test: str, arguments: dict) -> dict:
    """The arguments as the active backend reads them: every reading that covers them applied to their case."""
    backend = active_backend()
    for row in occurrences(test, **arguments):
        if row.facts.reads is not None:
            arguments = {**arguments, "case": row.facts.reads(arguments["case"], backend)}
    return arguments


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
        read = as_read(self.test, arguments)  # Keras computes the reference on the case as it reads it
        if row is None or row.facts.reads is not None:
            self.compare(self.actual(**arguments), self.expected(as_documented, **read), arguments)
        elif row.raises is not None:
            with pytest.raises(row.raises, match=row.match):
                self.actual(**arguments)
        elif row.facts.agrees is not None:  # Keras's answer is defined in part: the same shapes, and that part
            actual, expected = self.actual(**arguments), self.expected(as_documented, **read)
            shapes = [np.shape(a) for a in actual], [np.shape(e) for e in expected]
            assert shapes[0] == shapes[1], f"{active_backend()}: output shapes {shapes[0]}, reference {shapes[1]}"
            agrees = row.facts.agrees
            self.compare(agrees(actual, arguments["case"]), agrees(expected, arguments["case"]), arguments)
        elif row.facts.returns:  # no model computes Keras's answer: the documented one must still fail
            with pytest.raises(AssertionError):
                self.compare(self.actual(**arguments), self.expected(as_documented, **read), arguments)
        else:
            try:
                if self.diverged is not None:
                    self.diverged(row.loop, **read)
                else:
                    expected = self.expected(row.loop, **read)  # first: the model may say Keras raises
                    self.compare(self.actual(**arguments), expected, arguments)
            except KerasRaises as raised:  # the loop model says the backend's loop raises here
                with pytest.raises(raised.error):
                    self.actual(**arguments)

    def replay(self, row: Occurrence) -> None:
        """Row's example: on its backend the framework must still disagree with the reference; elsewhere, check."""
        if row.holds(active_backend()):
            try:
                actual = self.actual(**row.example)
            except BaseException as error:
                # the strict xfail takes any error of the cause's type (Exception, for a framework's own class):
                # another message is another failure, which must not count as the cause holding
                if row.raises is not None and isinstance(error, row.raises) and not re.search(row.match, str(error)):
                    line = (str(error).strip().splitlines() or [""])[0]
                    pytest.fail(f"{row.id} raised {type(error).__name__}: {line}, not the recorded error "
                                f"(matching {row.match!r})", pytrace=False)  # fmt: skip
                raise
            self.compare(actual, self.expected(as_documented, **row.example), row.example)
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
            if row.holds(active_backend())
            else (),
        )
        for row in DIVERGENCES
        if row.test == test
    ]


def marked(test: str, cases: list, ids: list[str], *, name: str = "case") -> list:
    """A plain parametrized test's cases (not drawn by Hypothesis) as pytest.params: a strict xfail where an
    occurrence of `test` covers the case on the active backend (it raises the cause's error, or fails its
    assertion), a plain case elsewhere."""
    params = []
    for case, case_id in zip(cases, ids, strict=True):
        row = recorded(test, **{name: case})
        marks = () if row is None else pytest.mark.xfail(
            strict=True, raises=row.raises or row.error or (AssertionError, pytest.fail.Exception),
            reason=xfail_reason(row),
        )  # fmt: skip
        params.append(pytest.param(case, id=case_id, marks=marks))
    return params


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
# ConvLSTM1D on 1 sequence of 1 step, 1 channel, 1 position, channels_first.
CONV_CHANNELS_FIRST = dataclasses.replace(
    CONV_MASKED,
    x=np.zeros((1, 1, 1, 1), np.float32),
    bias=None,
    mask=None,
    cell_options=(("strides", (1,)), ("padding", "valid"), ("dilation_rate", (1,)), ("data_format", "channels_first")),
)


# ConvLSTM2D of 1 filter on 2 images of one step, 2 x 3 pixels of 1 channel (ones), a 1 x 2 kernel of 0.5,
# strides (1, 2): one output column, two output rows.
CONV_ONE_COLUMN = SequenceCase(
    cell="convlstm2d",
    x=np.ones((2, 1, 2, 3, 1), np.float32),
    kernel=np.full((1, 2, 1, 4), 0.5, np.float32),
    recurrent_kernel=np.zeros((1, 2, 1, 4), np.float32),
    bias=None,
    cell_options=(
        ("strides", (1, 2)), ("padding", "valid"), ("dilation_rate", (1, 1)), ("data_format", "channels_last")
    ),  # fmt: skip
)


def _onednn_one_column(case: SequenceCase) -> bool:
    """A ConvLSTM2D whose input convolution oneDNN misreads (causes.onednn_misreads_conv, exact over the shapes
    run), or a ConvLSTM3D whose input convolution a probe finds wrong where oneDNN's AVX-512 kernels run (its 3-D
    region is not characterized: causes.onednn_misconvolves)."""
    if case.cell not in ("convlstm2d", "convlstm3d"):
        return False
    options = dict(case.cell_options)
    rank = case.kernel.ndim - 2
    geometry = dict(
        batch=case.x.shape[0], spatial=tuple(case.spatial), channels=case.input_size,
        kernel_size=case.kernel.shape[:rank], strides=tuple(options.get("strides", (1,) * rank)),
        padding=options.get("padding", "valid"),
    )  # fmt: skip
    if rank == 2:
        return onednn_misreads_conv(**geometry)
    dilations, data_format = tuple(options.get("dilation_rate", (1,) * rank)), options.get("data_format")
    return tensorflow_runs_onednn_avx512() and onednn_misconvolves(
        **geometry, filters=case.kernel.shape[-1], dilations=dilations, data_format=data_format or "channels_last"
    )


def _channels_first_conv(case: SequenceCase) -> bool:
    """A 1D or 2D ConvLSTM in channels_first (3D takes Keras's XLA path)."""
    return case.cell in ("convlstm1d", "convlstm2d") and dict(case.cell_options).get("data_format") == "channels_first"


# LSTM, 3 units, 3 zero steps, U = 1 (no kernel, no bias), h0 = -1, c0 = 0, linear gates: every gate's
# pre-activation is 3 h, and step 2's c = -338.198, where float32's squareplus(c) is 0.1 percent off.
SQUAREPLUS_LSTM = SequenceCase(
    cell="lstm",
    x=np.zeros((1, 3, 1), np.float32),
    kernel=np.zeros((1, 12), np.float32),
    recurrent_kernel=np.ones((3, 12), np.float32),
    bias=None,
    return_sequences=True,
    initial_state=(np.full((1, 3), -1.0, np.float32), np.zeros((1, 3), np.float32)),
    cell_options=(("activation", "squareplus"), ("recurrent_activation", "linear")),
)


def _uses_squareplus(case: SequenceCase) -> bool:
    return "squareplus" in dict(case.cell_options).values()


# SimpleRNN backwards over 1 zero step of 1 feature, 1 unit, no bias: exported as Sequential([Input, layer]).
EXPORT_BACKWARDS = SequenceCase(
    cell="simple",
    x=np.zeros((1, 1, 1), np.float32),
    kernel=np.zeros((1, 1), np.float32),
    recurrent_kernel=np.zeros((1, 1), np.float32),
    bias=None,
    go_backwards=True,
)


def _scans_in_the_generic_loop(case: SequenceCase, backend: str) -> bool:
    """Unmasked and rolled, the layer runs backend.rnn's loop, not a cell's own: a GRU(reset_after=True) has its
    own on jax and torch (jax/rnn.py:470, torch/rnn.py:735), an LSTM on torch (torch/rnn.py:541; jax's needs cuDNN)."""
    if case.cell == "gru":
        return not case.reset_after
    return case.cell == "simple" or (case.cell == "lstm" and backend == "jax")


def _bidirectional_in(case: StackCase) -> bool:
    return any(layer.backward is not None for layer in case.layers)



def _zeros(*shape) -> np.ndarray:
    return np.zeros(shape, np.float32)


def _ones(*shape) -> np.ndarray:
    return np.ones(shape, np.float32)


# A SimpleRNN of one unit on one zero step; each property's strategy sets its own rates (DROPOUT_TESTS).
DROPOUT_BASE = DropoutCase(cell="simple", x=_zeros(1, 1, 1), kernel=_zeros(1, 1), recurrent_kernel=_zeros(1, 1),
                           bias=None, seed=0, return_sequences=False)  # fmt: skip
DROPOUT_TESTS = {  # each dropout property, and the rates its strategy draws
    "test_dropout_is_inert_at_inference": dict(dropout=0.5),
    "test_rate_zero_changes_nothing_in_training": dict(),
    "test_recurrent_dropout_changes_nothing_without_a_recurrent_kernel": dict(recurrent_dropout=0.5),
    "test_the_same_seed_gives_the_same_result": dict(dropout=0.5),
    "test_one_dropout_mask_per_sequence": dict(dropout=0.5),
    "test_one_recurrent_dropout_mask_per_sequence": dict(recurrent_dropout=0.5),
    "test_dropout_one_drops_every_input": dict(dropout=1.0),
    "test_recurrent_dropout_one_drops_the_recurrence": dict(recurrent_dropout=1.0),
}
KERAS_ONLY = ("test_the_same_seed_gives_the_same_result",)  # compares Keras with Keras: no loop model applies


def _dropout_occurrences(*, skip: tuple[str, ...] = (), **fields) -> list[Occurrence]:
    """One occurrence per dropout property (but `skip`), its example the base case with the rates of its
    strategy and fields["example"]'s changes."""
    changes = fields.pop("example")
    return [
        Occurrence(test=test, example=dict(case=dataclasses.replace(DROPOUT_BASE, **rates, **changes)), **fields)
        for test, rates in DROPOUT_TESTS.items()
        if test not in skip
    ]


# Masking(0.0) on a step whose only value is the subnormal 1e-45, then a real step: 1e-45 != 0.0, so no step pads,
# and step 0 outputs tanh(b) = 0.7616 (padding, it would output 0 and keep h = 0).
SUBNORMAL = MaskedModelCase(
    front="masking",
    inputs=np.array([[[1e-45], [1.0]]], np.float32),
    blocks=(StackedLayer(cell="simple", forward=(_ones(1, 1), np.full((1, 1), 0.5, np.float32), _ones(1))),),
    return_sequences=True,
)


def _masks_subnormal(case: MaskedModelCase) -> bool:
    """The data implies another mask once subnormals are flushed to zero."""
    return case.front == "masking" and not np.array_equal(case.mask, masking_flushes_subnormals(case, "").mask)


ONE_CELL = StackedCellsCase(cells=("simple",), x=_zeros(1, 1, 1), weights=((_zeros(1, 1), _zeros(1, 1), None),),
                            reset_after=(True,))  # fmt: skip
ONE_LSTM_CELL_MASKED = StackedCellsCase(cells=("lstm",), x=_zeros(1, 2, 1), weights=((_zeros(1, 4), _zeros(1, 4),
                                        None),), reset_after=(True,), mask=np.array([[True, False]]))  # fmt: skip
TWO_CELLS = dataclasses.replace(ONE_CELL, cells=("simple", "simple"), weights=ONE_CELL.weights * 2,
                                reset_after=(True, True))  # fmt: skip
STATEFUL = StatefulCase(cell="simple", x=_zeros(1, 1, 1), forward=(_zeros(1, 1), _zeros(1, 1), None), chunks=(1,),
                        states=(_zeros(1, 1),))  # fmt: skip
STATEFUL_BIDIRECTIONAL = dataclasses.replace(STATEFUL, backward=STATEFUL.forward, states=STATEFUL.states * 2)
BACKWARDS_BIDIRECTIONAL = dataclasses.replace(STATEFUL_BIDIRECTIONAL, go_backwards=True)
ROUND_TRIP_BACKWARDS = RoundTripCase(cell="simple", x=_zeros(1, 1, 1), weights=(_zeros(1, 1), _zeros(1, 1)) * 2,
                                     options=(("go_backwards", True), ("use_bias", False)), bidirectional=True)


def _single_state_cell_in(case: StackedCellsCase) -> bool:
    return any(len(cell_facts(cell).states) == 1 for cell in case.cells)


def _backwards_bidirectional(case: StatefulCase) -> bool:
    return case.bidirectional and case.go_backwards


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
    Occurrence(
        id="torch-unroll-mask-go_backwards-raises",
        cause="torch-unroll-flip-tuple",
        test="test_rnn_of_a_builtin_cell_matches_reference",
        example=dict(
            case=SequenceCase(cell="simple", x=_zeros(1, 1, 1), kernel=_zeros(1, 1), recurrent_kernel=_zeros(1, 1),
                              bias=None, go_backwards=True, mask=np.array([[False]])),  # fmt: skip
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="output [[0.]], state [[0.]]",
        note="keras.layers.RNN(SimpleRNNCell) runs the loop SimpleRNN does",
        covers=lambda case, unroll: unroll and case.mask is not None and case.go_backwards,
    ),
    Occurrence(
        id="jax-loop-mask-initial_state",
        cause="jax-scan-masked-output-h0",
        test="test_rnn_of_a_builtin_cell_matches_reference",
        example=dict(
            case=SequenceCase(cell="simple", x=_zeros(1, 1, 1), kernel=_zeros(1, 1), recurrent_kernel=_zeros(1, 1),
                              bias=None, initial_state=(_ones(1, 1),), mask=np.array([[False]])),  # fmt: skip
            unroll=False,
        ),
        keras="output [[1.]] (h0), state [[1.]]",
        reference="output [[0.]], state [[1.]]",
        covers=lambda case, unroll: not unroll and case.mask is not None and case.initial_state is not None,
    ),
    *_dropout_occurrences(
        id="torch-unroll-mask-go_backwards-raises",
        cause="torch-unroll-flip-tuple",
        example=dict(go_backwards=True, unroll=True, mask=np.array([[True]])),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="output [[0.]], state [[0.]] (as tensorflow, jax, and torch with unroll=False)",
        covers=lambda case: case.unroll and case.mask is not None and case.go_backwards,
    ),
    *_dropout_occurrences(
        id="jax-loop-mask-initial_state",
        cause="jax-scan-masked-output-h0",
        skip=KERAS_ONLY,
        example=dict(initial_state=(_ones(1, 1),), mask=np.array([[False]])),
        keras="output [[1.]] (h0), state [[1.]]",
        reference="output [[0.]], state [[1.]] (as tensorflow, torch, and jax with unroll=True)",
        covers=lambda case: not case.unroll and case.mask is not None and case.initial_state is not None,
    ),
    Occurrence(
        id="gru-dropout-one",
        cause="gru-lstm-dropout-one-ignored",
        test="test_dropout_one_drops_every_input",
        example=dict(
            case=DropoutCase(cell="gru", x=_ones(1, 1, 1), kernel=np.array([[0.0, 0.0, 1.0]], np.float32),
                             recurrent_kernel=_zeros(1, 3), bias=_zeros(3), dropout=1.0, seed=0, reset_after=False,
                             return_sequences=False)  # fmt: skip
        ),
        keras="output [[0.3808]] = (1 - z) tanh(x W_h) with z = 1/2: the input is kept",
        reference="output [[0.]]: every input dropped",
        note="reset_after=False: no backend's fused loop, so the cell's loop on the raw inputs everywhere",
        covers=lambda case: case.cell in ("gru", "lstm"),
    ),
    Occurrence(
        id="gru-recurrent-dropout-one",
        cause="gru-lstm-dropout-one-ignored",
        test="test_recurrent_dropout_one_drops_the_recurrence",
        example=dict(
            case=DropoutCase(cell="gru", x=_ones(1, 2, 1), kernel=_ones(1, 3), recurrent_kernel=_ones(1, 3),
                             bias=None, recurrent_dropout=1.0, seed=0, reset_after=False,
                             return_sequences=False)  # fmt: skip
        ),
        keras="output [[0.3468]]: step 2 still sees h_1 U",
        reference="output [[0.3546]]: the recurrence dropped, each step as the first",
        covers=lambda case: case.cell in ("gru", "lstm"),
    ),
    Occurrence(
        id="masking-subnormal",
        cause="masking-subnormal-flushed",
        test="test_masked_model_matches_reference_stack",
        example=dict(case=SUBNORMAL, api="sequential"),
        keras="[[[0.], [0.964]]]: step 0 (1e-45) masked as padding, so step 1 is tanh(2) from h = 0",
        reference="[[[0.7616], [0.983]]]: no step pads (1e-45 != 0.0), as torch",
        covers=lambda case, api: _masks_subnormal(case),
    ),
    Occurrence(
        id="masking-subnormal",
        cause="masking-subnormal-flushed",
        test="test_each_layer_passes_on_the_documented_mask",
        example=dict(case=SUBNORMAL),
        keras="mask of the front [[False, True]]",
        reference="[[True, True]]: 1e-45 != 0.0",
        covers=_masks_subnormal,
    ),
    Occurrence(
        id="jax-loop-mask-initial_state",
        cause="jax-scan-masked-output-h0",
        test="test_stacked_cells_match_the_reference_stack",
        example=dict(case=dataclasses.replace(TWO_CELLS, mask=np.array([[False]]),
                                              initial_state=((_zeros(1, 1),), (_ones(1, 1),)))),  # fmt: skip
        keras="output [[1.]]: the top cell's h0",
        reference="output [[0.]] (as tensorflow and torch)",
        note="a stack's masked step outputs its last cell's first state (jax/rnn.py:163-166)",
        covers=lambda case: len(case.cells) > 1 and case.mask is not None and case.initial_state is not None,
    ),
    Occurrence(
        id="stacked-one-cell-mask",
        cause="stacked-cells-one-cell",
        test="test_stacked_cells_match_the_reference_stack",
        example=dict(case=dataclasses.replace(ONE_CELL, mask=np.array([[True]]))),
        keras="ValueError: tensorflow: the two structures don't have the same nested structure; jax: expected an "
        "instance of list",
        reference="output [[0.]], h [[0.]] (as torch, and RNN(SimpleRNNCell))",
        covers=lambda case: len(case.cells) == 1 and case.mask is not None,
        on=("tensorflow", "jax"),
    ),
    Occurrence(
        id="stacked-one-lstm-cell-mask",
        cause="stacked-cells-one-cell",
        test="test_stacked_cells_match_the_reference_stack",
        example=dict(case=ONE_LSTM_CELL_MASKED),
        keras="IndexError: list index out of range (LSTMCell.call gets [h] at step 1)",
        reference="output [[0.]], h [[0.]], c [[0.]] (as RNN(LSTMCell))",
        note="found by fuzzing (200 examples on torch)",
        covers=lambda case: case.cells == ("lstm",) and case.mask is not None and case.x.shape[1] > 1,
        error=IndexError,
        on=("torch",),
    ),
    Occurrence(
        id="stacked-one-cell",
        cause="stacked-cells-one-cell",
        test="test_stacked_cells_match_the_reference_stack",
        example=dict(case=ONE_CELL),
        keras="TypeError: scan body function carry input and carry output must have the same pytree structure",
        reference="output [[0.]], h [[0.]] (as tensorflow, torch, and RNN(SimpleRNNCell))",
        covers=lambda case: len(case.cells) == 1 and case.mask is None,
        error=TypeError,
        on=("jax",),
    ),
    Occurrence(
        id="stacked-one-cell",
        cause="stacked-cells-one-cell",
        test="test_stacked_cells_return_the_documented_nest_eagerly",
        example=dict(case=ONE_CELL),
        keras="TypeError: scan body function carry input and carry output must have the same pytree structure",
        reference="[(1, 1), (1, 1)]",
        covers=lambda case: len(case.cells) == 1,
        error=TypeError,
        on=("jax",),
    ),
    Occurrence(
        id="stacked-one-cell-nest",
        cause="stacked-cells-eager-state-nest",
        test="test_stacked_cells_return_the_documented_nest_eagerly",
        example=dict(case=ONE_CELL),
        keras="[(1, 1), [(1, 1)]]",
        reference="[(1, 1), (1, 1)]",
        covers=lambda case: len(case.cells) == 1 and _single_state_cell_in(case),
        on=("tensorflow", "torch"),
    ),
    Occurrence(
        id="stacked-cells-nest",
        cause="stacked-cells-eager-state-nest",
        test="test_stacked_cells_return_the_documented_nest_eagerly",
        example=dict(case=TWO_CELLS),
        keras="[(1, 1), [(1, 1)], [(1, 1)]]",
        reference="[(1, 1), (1, 1), (1, 1)] (as the symbolic call and compute_output_shape)",
        note="a cell of several states (LSTM's [h, c]) has its list both ways: a stack of LSTM cells agrees",
        covers=lambda case: len(case.cells) > 1 and _single_state_cell_in(case),
    ),
    Occurrence(
        id="jax-loop-mask-carried-state",
        cause="jax-scan-masked-output-h0",
        test="test_each_chunk_continues_from_the_states_the_last_left",
        example=dict(case=dataclasses.replace(STATEFUL, x=_zeros(1, 2, 1), forward=(_zeros(1, 1), _zeros(1, 1),
                                              _ones(1)), chunks=(1, 1), mask=np.array([[True, False]]))),  # fmt: skip
        keras="chunk 1 (masked) outputs [[0.7616]]: the state chunk 0 left",
        reference="[[0.]]: a call whose steps are all masked has no previous output",
        note="a stateful layer's carried states are the next call's initial state",
        covers=lambda case: case.mask is not None and not _backwards_bidirectional(case),
    ),
    Occurrence(
        id="reset-state-states",
        cause="reset-state-states-refused",
        test="test_reset_state_with_states_starts_from_them",
        example=dict(case=STATEFUL),
        keras="TypeError: RNN.reset_state() got an unexpected keyword argument 'states'",
        reference="the states given, then the call from them",
        covers=lambda case: not _backwards_bidirectional(case),
    ),
    Occurrence(
        id="stateful-bidirectional-return_state",
        cause="bidirectional-stateful-return-state",
        test="test_stateful_bidirectional_returns_its_states",
        example=dict(case=STATEFUL_BIDIRECTIONAL),
        keras="TypeError: unsupported operand type(s) for *: 'generator' and 'int'",
        reference="[output, forward h, backward h]",
        covers=lambda case: case.bidirectional,
    ),
    Occurrence(
        id="stateful-predict-last-batch",
        cause="tensorflow-stateful-predict-batch-unchecked",
        test="test_stateful_model_refuses_a_last_batch_of_another_size",
        example=dict(case=STATEFUL),
        keras="predictions of shape (4, u) for 3 sequences, no error",
        reference="ValueError: Expected batch size: 2 - Received batch size: 1 (as jax and torch)",
        covers=lambda case: True,
    ),
    *[
        Occurrence(
            id="bidirectional-go_backwards",
            cause="bidirectional-go-backwards-refused",
            test=test,
            example=dict(case=BACKWARDS_BIDIRECTIONAL),
            keras="ValueError: Forward layer and backward layer should have different `go_backwards` value",
            reference="(never computed: every backend refuses the layer)",
            covers=_backwards_bidirectional,
        )
        for test in (
            "test_each_chunk_continues_from_the_states_the_last_left",
            "test_reset_state_restarts_from_zeros",
            "test_reset_state_with_states_starts_from_them",
        )
    ],
    *[
        Occurrence(
            id="bidirectional-go_backwards",
            cause="bidirectional-go-backwards-refused",
            test=test,
            example=dict(case=ROUND_TRIP_BACKWARDS),
            keras="ValueError: Forward layer and backward layer should have different `go_backwards` value",
            reference="(never computed: every backend refuses the layer)",
            covers=lambda case: case.bidirectional and case.keras_options.get("go_backwards", False),
        )
        for test in ("test_config_round_trip_gives_the_same_outputs", "test_saved_model_loads_with_the_same_outputs")
    ],
    Occurrence(
        id="jax-custom-cell-mask",
        cause="jax-scan-masked-output-h0",
        test="test_a_correct_cell_passes",
        example=dict(cell="scaled-output"),
        keras="CustomCellMismatch: a masked step outputs the carried h (or h0), not the previous output 2h",
        reference="the step function's loop: the previous output at a masked step",
        note="check_custom_cell draws masks and initial states; its message names this cause",
        covers=lambda cell: True,
        error=AssertionError,
    ),
    Occurrence(
        id="unit-forget-bias-ones",
        cause="lstm-unit-forget-bias-keeps-bias-initializer",
        test="test_unit_forget_bias_forces_zero_biases",
        example=dict(case=InitializerCase(cell="lstm", input_size=1, units=1, seed=0, bias_initializer="ones")),
        keras="bias [1, 1, 1, 1]",
        reference="bias [0, 1, 0, 0] (i, f, c, o)",
        covers=lambda case: case.bias_initializer != "zeros",
    ),
    *[
        Occurrence(
            id="tensorflow-conv-channels-first",
            cause="tensorflow-cpu-conv-channels-first",
            test=test,
            example=example,
            keras="UnimplementedError: The Conv2D op currently only supports the NHWC tensor format on the CPU. "
            "The op was given the format: NCHW",
            reference="output and states of shape (1, 1, 1) (channels_first), as jax and torch",
            covers=covers,
        )
        for test, example, covers in [
            ("test_convlstm_output_and_state_shapes_match_keras", dict(case=CONV_CHANNELS_FIRST),
             _channels_first_conv),
            ("test_convlstm_reference_matches_keras", dict(case=CONV_CHANNELS_FIRST), _channels_first_conv),
            ("test_convlstm_bptt_matches_backend_autodiff",
             dict(pair=(CONV_CHANNELS_FIRST, np.zeros((1, 1, 1), np.float32))),
             lambda pair: _channels_first_conv(pair[0])),
        ]
    ],
    Occurrence(
        id="tensorflow-onednn-conv-one-column",
        cause="tensorflow-onednn-conv-one-column",
        test="test_convlstm_reference_matches_keras",
        example=dict(case=CONV_ONE_COLUMN),
        keras="output row 0 of each image 0.3696, row 1 wrong (0.0 or uninitialized memory, run to run)",
        reference="0.3696 at every row (as tensorflow without oneDNN, jax and torch)",
        covers=_onednn_one_column,
    ),
    Occurrence(
        id="squareplus-cancels",
        cause="squareplus-float32-cancellation",
        test="test_reference_matches_keras",
        example=dict(case=SQUAREPLUS_LSTM, unroll=False),
        keras="last output [-0.23246422] * 3: step 2's c is -338.198, and float32's squareplus(-338.198) "
        "is 0.0029602 (0.1 percent off)",
        reference="[-0.23219849] * 3: h = o squareplus(c) = -78.53 * 0.0029568",
        note="drawn by test_reference_matches_keras_for_every_activation, which allows squareplus its float32 "
        "error bound there (its last bits are the backend's: XLA's FMA, torch's sqrt)",
        covers=lambda case, unroll: _uses_squareplus(case),
    ),
    Occurrence(
        id="jax-onnx-export-go_backwards",
        cause="jax-onnx-export-reverse-scan",
        test="test_keras_onnx_export_matches_reference",
        example=dict(case=EXPORT_BACKWARDS, unroll=False),
        keras="NotImplementedError: Reverse scan is not supported in IR pipeline. (jax2onnx, at export)",
        reference="[[0.]]",
        covers=lambda case, unroll: case.go_backwards and not unroll and _scans_in_the_generic_loop(case, "jax"),
    ),
    Occurrence(
        id="torch-onnx-export-go_backwards",
        cause="torch-onnx-export-traced-length",
        test="test_keras_onnx_export_matches_reference",
        example=dict(case=EXPORT_BACKWARDS, unroll=False),
        keras="the graph is written; onnxruntime refuses it: Node (/ReduceMax) Op (ReduceMax) "
        "[ShapeInferenceError] axis must be in [-rank, rank-1]. Input rank was 0",
        reference="[[0.]]",
        covers=lambda case, unroll: case.go_backwards and not unroll and _scans_in_the_generic_loop(case, "torch"),
    ),
]
