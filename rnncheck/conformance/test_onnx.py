"""ONNX's RNN, GRU and LSTM operators compute what rnncheck.reference computes, in onnxruntime and in onnx.reference;
a Keras model that rnncheck.onnx_graph converts predicts in onnxruntime what Keras predicts.

The operator's graph takes its weights as inputs (rnncheck.onnx_graph.recurrent_model), so one session per
structure (cell, units, direction, layout, which optional inputs, activations) serves every example of it.

What the operators are checked against, by option:
- direction forward, reverse (Keras's go_backwards; ONNX's Y is in time order, so it is the reference's output
  flipped along time) and bidirectional (Keras's Bidirectional with merge_mode=None);
- layout 0 and 1: onnx.reference runs layout=1 itself; onnxruntime refuses it (test_onnxruntime_refuses_layout_1),
  so there a layout-1 graph is its layout-0 operator between Transposes, as rnncheck.onnx_graph converts models;
- initial_h / initial_c: Keras's initial_state (forward states, then backward ones);
- sequence_lens: a right-padded mask (True for each sequence's first sequence_lens steps). ONNX's Y is zero past
  a sequence's length (the spec: "padded"); Keras, whose masked steps repeat the last output, gives that only with
  zero_output_for_mask=True, which the reference is run with. Keras's default is the documented difference of
  test_sequence_lens_is_a_right_padded_keras_mask;
- GRU linear_before_reset=1 and 0: Keras's reset_after=True and False;
- every Keras activation with an ONNX equivalent (rnncheck.onnx_layout.KERAS_TO_ONNX_ACTIVATION), as activation and
  recurrent_activation, per direction.
onnx.reference (onnx 1.23) implements less than the spec: it ignores sequence_lens and the activations of GRU and
LSTM, its RNN computes Tanh and Affine only, the forward direction's both ways, and wants activation_alpha and _beta
one per direction. Its property draws what onnxruntime's draws (operator_cases()) and expects the reference on the
case as documented, except where a cause of rnncheck.conformance.causes.ONNX_CAUSES applies
(ONNX_REFERENCE_DIVERGENCES: its region and minimal example): there the recorded error, or the reference on the case
as onnx.reference reads it; several compose. Each cause's minimal example is a strict xfail asserting the spec's
answer (test_onnx_reference_on_recorded_examples).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnncheck import reference
from rnncheck.activations import activation as keras_activation
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance.backends import require
from rnncheck.conformance.causes import ONNX_CAUSES, ONNXRUNTIME_CAUSES, Cause
from rnncheck.conformance.harness import assert_outputs_close
from rnncheck.conformance.strategies import (
    StackCase,
    bidirectional_cases,
    float32_arrays,
    sequence_cases,
    stack_cases,
)
from rnncheck.onnx_layout import (
    KERAS_TO_ONNX_ACTIVATION,
    activation_attributes,
    keras_to_onnx,
    onnx_activation,
    onnx_to_keras,
)

ONNX_ACTIVATIONS = tuple(KERAS_TO_ONNX_ACTIVATION)  # Keras's names that an ONNX function computes
FLOAT32_MAX = float(np.finfo(np.float32).max)

# onnx and onnxruntime are imported by the first test that needs them, not at collection.


@pytest.fixture(scope="module")
def ort():
    """onnxruntime, or a skip saying how to install it (a failure where RNNCHECK_REQUIRE_BACKENDS is set)."""
    require("onnx")
    module = require("onnxruntime")
    module.set_default_logger_severity(3)  # no error line of its own for a graph it refuses
    return module


@pytest.fixture(scope="module")
def onnx_reference():
    """onnx.reference.ReferenceEvaluator, or a skip (a failure under RNNCHECK_REQUIRE_BACKENDS)."""
    require("onnx")
    return require("onnx.reference").ReferenceEvaluator


# One operator, its inputs and what the reference says it returns.


@dataclass(frozen=True)
class OperatorCase:
    """One ONNX recurrent operator's inputs, as Keras holds them: weights per direction, states, lengths."""

    cell: str
    x: np.ndarray  # (batch, time, d)
    weights: tuple[tuple, ...]  # per direction: (kernel, recurrent_kernel, bias or None), Keras's layout
    direction: str = "forward"  # forward, reverse or bidirectional
    layout: int = 0
    reset_after: bool = True  # GRU: linear_before_reset = 1, else 0
    initial_state: tuple[np.ndarray, ...] | None = None  # each (batch, u): the forward states, then the backward ones
    lengths: np.ndarray | None = None  # (batch,) int32 in 1..time: ONNX's sequence_lens
    activations: tuple[tuple[tuple[str, str], ...], ...] = ()  # per direction, Keras's (option, name) pairs

    @property
    def units(self) -> int:
        return self.weights[0][1].shape[0]

    @property
    def directions(self) -> int:
        return len(self.weights)

    @property
    def mask(self) -> np.ndarray | None:
        """The right-padded Keras mask that sequence_lens stands for: True for the first lengths[b] steps."""
        if self.lengths is None:
            return None
        return np.arange(self.x.shape[1])[None, :] < self.lengths[:, None]

    def cell_options(self, direction: int) -> dict:
        options = dict(self.activations[direction]) if self.activations else {}
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        return options

    def structure(self, *, transpose_layout: bool) -> dict:
        """recurrent_model's arguments: what a session is built for."""
        return dict(
            cell=self.cell,
            units=self.units,
            direction=self.direction,
            layout=self.layout,
            transpose_layout=transpose_layout and self.layout == 1,
            bias=self.weights[0][2] is not None,
            sequence_lens=self.lengths is not None,
            initial_state=self.initial_state is not None,
            reset_after=self.reset_after,
            activations=tuple(tuple(sorted(dict(a).items())) for a in self.activations) or None,
        )

    def feeds(self) -> dict[str, np.ndarray]:
        onnx = keras_to_onnx(self.cell, list(self.weights), reset_after=self.reset_after)
        batch_first = self.layout == 1
        x = self.x if batch_first else self.x.transpose(1, 0, 2)
        feeds = dict(X=np.ascontiguousarray(x), W=onnx["W"], R=onnx["R"])
        if self.weights[0][2] is not None:
            feeds["B"] = onnx["B"]
        if self.lengths is not None:
            feeds["sequence_lens"] = self.lengths.astype(np.int32)
        if self.initial_state is not None:
            per_direction = len(cell_facts(self.cell).states)
            for k, name in enumerate(("initial_h", "initial_c")[:per_direction]):
                state = np.stack([self.initial_state[d * per_direction + k] for d in range(self.directions)])
                feeds[name] = np.ascontiguousarray(state.transpose(1, 0, 2) if batch_first else state, dtype=np.float32)
        return feeds


# Gates drawn from the activations that keep them in [0, 1]. A gate outside it (relu, linear, ...) makes the recurrence
# expansive (h = z h + (1 - z) h~ with z = 4 quadruples an error each step): onnxruntime's GRU tanh, a few float32
# ulps off (1.0000005 at 9.93), then grows past float32 tolerance within 3 steps: conditioning, not the operator.
GATE_ACTIVATIONS = ("sigmoid", "hard_sigmoid", "sparse_sigmoid")


def _draw_activations(draw, cell: str, names: tuple[str, ...], gates: tuple[str, ...] = GATE_ACTIVATIONS) -> tuple:
    """Keras's (option, name) pairs for `cell`: activation from `names`, recurrent_activation from `gates`."""
    options = [("activation", draw(st.sampled_from(names), label="activation"))]
    if cell != "simple":
        options.append(("recurrent_activation", draw(st.sampled_from(gates), label="recurrent_activation")))
    return tuple(options)


@st.composite
def operator_cases(
    draw,
    *,
    directions: tuple[str, ...] = ("forward", "reverse", "bidirectional"),
    lengths: bool | None = None,
):
    """A plain layer's case (sequence_cases; direction forward, or reverse: Keras's go_backwards) or a Bidirectional
    one's (bidirectional_cases), layout 0 or 1, a drawn mask as sequence_lens in 1..time (lengths None: where the case
    has a mask; True: always; False: never) and Keras's activations with an ONNX equivalent, or its defaults.
    """
    direction = draw(st.sampled_from(directions), label="direction")
    if direction == "bidirectional":
        case = draw(bidirectional_cases())
        weights, initial_state, masked = (case.forward, case.backward), case.initial_state, case.mask is not None
    else:
        case = draw(sequence_cases())
        weights = ((case.kernel, case.recurrent_kernel, case.bias),)
        initial_state, masked = case.initial_state, case.mask is not None
    count = len(weights)
    activations = ()
    if draw(st.booleans(), label="activations"):
        activations = tuple(_draw_activations(draw, case.cell, ONNX_ACTIVATIONS) for _ in range(count))
    reset_after = case.reset_after
    x = case.x
    batch, time = x.shape[:2]
    if lengths is None:
        lengths = masked
    drawn_lengths = None
    if lengths:
        drawn_lengths = draw(hnp.arrays(np.int32, (batch,), elements=st.integers(1, time)), label="lengths")
    return OperatorCase(
        cell=case.cell,
        x=x,
        weights=tuple(weights),
        direction=direction,
        layout=draw(st.sampled_from([0, 1]), label="layout"),
        reset_after=reset_after,
        initial_state=initial_state,
        lengths=drawn_lengths,
        activations=activations,
    )


def expected_outputs(case: OperatorCase) -> list[np.ndarray]:
    """What the operator returns by the reference, batch-major: Y (batch, time, nd, u), Y_h (batch, nd, u), Y_c.

    Each direction is a Keras layer (the backward one going backwards) returning its sequence and final states,
    with zero_output_for_mask=True: ONNX's Y is zero past a sequence's length. A backward sequence is turned back to
    time order (ONNX's Y, Keras's Bidirectional).
    """
    states = len(cell_facts(case.cell).states)
    if case.direction == "bidirectional" and case.cell_options(0) == case.cell_options(1):
        y, y_back, *final = reference.bidirectional(
            reference.function(case.cell), case.x, *case.weights, merge_mode=None, return_sequences=True,
            return_state=True, initial_state=None if case.initial_state is None else list(case.initial_state),
            mask=case.mask, **case.cell_options(0),
        )  # fmt: skip
        sequences = [y, y_back]
    else:
        sequences, final = [], []
        for d, (kernel, recurrent_kernel, bias) in enumerate(case.weights):
            backwards = d == 1 or case.direction == "reverse"
            initial = None if case.initial_state is None else list(case.initial_state[d * states : (d + 1) * states])
            y, *direction_states = reference.layer(
                case.cell, case.x, kernel, recurrent_kernel, bias, return_sequences=True, return_state=True,
                go_backwards=backwards, initial_state=initial, mask=case.mask, zero_output_for_mask=True,
                **case.cell_options(d),
            )  # fmt: skip
            sequences.append(y[:, ::-1] if backwards else y)
            final += direction_states
    y = np.stack(sequences, axis=2)  # (batch, time, nd, u)
    per_state = [np.stack(final[k::states], axis=1) for k in range(states)]  # each (batch, nd, u)
    return [y, *per_state]


def batch_major(case: OperatorCase, outputs) -> list[np.ndarray]:
    """The operator's outputs in the layout expected_outputs uses: Y (batch, time, nd, u), states (batch, nd, u)."""
    if case.layout == 1:
        return [np.asarray(o) for o in outputs]
    y, *states = (np.asarray(o) for o in outputs)
    return [y.transpose(2, 0, 1, 3), *(s.transpose(1, 0, 2) for s in states)]


def output_names(case: OperatorCase, runtime: str) -> list[str]:
    return [f"{runtime} {name}" for name in ("Y", "Y_h", "Y_c")[: 1 + len(cell_facts(case.cell).states)]]


def assert_operator_close(actual, expected, case: OperatorCase, runtime: str) -> None:
    names = output_names(case, runtime)
    assert_outputs_close(actual, expected, names=names, case=case, sequences=names[:1])


def within_float32(expected) -> bool:
    """An unbounded activation (linear, relu, ...) can outgrow float32 over a few steps; that is about float32."""
    return all(np.all(np.abs(e) < FLOAT32_MAX / 1e3) for e in expected)


# Sessions, one per structure.


@functools.lru_cache(maxsize=1024)
def _model(structure: tuple):
    from rnncheck.onnx_graph import recurrent_model

    options = dict(structure)
    activations = options.pop("activations")
    return recurrent_model(**options, activations=None if activations is None else [dict(a) for a in activations])


@functools.lru_cache(maxsize=1024)
def _ort_session(structure: tuple):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # tiny graphs: threads cost more than they save
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        _model(structure).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


@functools.lru_cache(maxsize=1024)
def _evaluator(structure: tuple):
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(_model(structure))


ACTIVATION_ATTRIBUTES = ("activations", "activation_alpha", "activation_beta")


def operator_attributes(case: OperatorCase) -> dict:
    """The activations, activation_alpha and activation_beta attributes case's operator has (recurrent_model's)."""
    return activation_attributes(case.cell, [dict(a) for a in case.activations] or [{}] * case.directions)


def with_attributes(model, attributes: dict):
    """A copy of `model` whose recurrent operator has `attributes` for its activation attributes."""
    import onnx
    from onnx import helper

    patched = onnx.ModelProto()
    patched.CopyFrom(model)
    (node,) = [node for node in patched.graph.node if node.op_type in ("RNN", "GRU", "LSTM")]
    kept = [a for a in node.attribute if a.name not in ACTIVATION_ATTRIBUTES]
    del node.attribute[:]
    node.attribute.extend(kept + [helper.make_attribute(k, v) for k, v in sorted(attributes.items())])
    return patched


def run_onnxruntime(case: OperatorCase, attributes: dict | None = None) -> list[np.ndarray]:
    """onnxruntime on case's graph; `attributes`, where given, replace its operator's activation attributes."""
    structure = tuple(case.structure(transpose_layout=True).items())
    if attributes is None:
        return _ort_session(structure).run(None, case.feeds())
    import onnxruntime

    model = with_attributes(_model(structure), attributes)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, case.feeds())


def run_onnx_reference(case: OperatorCase, attributes: dict | None = None) -> list[np.ndarray]:
    """onnx.reference on case's graph; `attributes`, where given, replace its operator's activation attributes."""
    structure = tuple(case.structure(transpose_layout=False).items())
    if attributes is None:
        return _evaluator(structure).run(None, case.feeds())
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(with_attributes(_model(structure), attributes)).run(None, case.feeds())


# Pinned cases: each cell each way, both layouts, lengths, initial states, activations.


def _pin(cell, *, direction="forward", layout=0, reset_after=True, initial_state=False, lengths=None, activations=()):
    """2 sequences of 3 steps of 2 features, 2 units, weights from a seeded generator."""
    rng = np.random.default_rng(1)
    draw = lambda *shape: rng.uniform(-1, 1, shape).astype(np.float32)  # noqa: E731
    facts = cell_facts(cell)
    gu, directions = facts.gate_count * 2, 2 if direction == "bidirectional" else 1
    bias_shape = facts.bias_shape(2, reset_after=reset_after)
    weights = tuple((draw(2, gu), draw(2, gu), draw(*bias_shape)) for _ in range(directions))
    states = tuple(draw(2, 2) for _ in range(directions * len(facts.states))) if initial_state else None
    return OperatorCase(
        cell, draw(2, 3, 2), weights, direction, layout, reset_after, states,
        None if lengths is None else np.array(lengths, np.int32), tuple(activations) * directions,
    )  # fmt: skip


PINS = [
    _pin("simple"),
    _pin("simple", direction="reverse", layout=1, initial_state=True),
    _pin("simple", direction="bidirectional", lengths=[3, 1], activations=[(("activation", "relu"),)]),
    _pin("gru", direction="reverse", lengths=[1, 2]),
    _pin("gru", reset_after=False, direction="bidirectional", layout=1, initial_state=True),
    _pin("gru", activations=[(("activation", "linear"), ("recurrent_activation", "hard_sigmoid"))]),
    _pin("lstm", direction="bidirectional", initial_state=True, lengths=[2, 3]),
    _pin("lstm", layout=1, activations=[(("activation", "softsign"), ("recurrent_activation", "sigmoid"))]),
]


def pinned(pins):
    def decorate(test):
        for pin in pins:
            test = example(case=pin)(test)
        return test

    return decorate


SOFTPLUS_EXAMPLE = OperatorCase(
    "simple", np.full((1, 1, 1), 89.0, np.float32),
    ((np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32), None),), activations=((("activation", "softplus"),),),
)  # fmt: skip  # Y = Softplus(89 * 1) = 89.0; onnxruntime: inf
# The smallest case of onnxruntime-softplus-overflow (in a layer that runs two steps, the second past 88.72,
# for sequence_lens), pinned in the properties it shows in.
SOFTPLUS_PINS = [
    SOFTPLUS_EXAMPLE,
    OperatorCase("simple", np.array([[[1.0], [89.0]]], np.float32),
                 ((np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32), None),),
                 lengths=np.array([2], np.int32), activations=((("activation", "softplus"),),)),
]  # fmt: skip


@pinned(PINS + SOFTPLUS_PINS)
@given(case=operator_cases())
def test_onnxruntime_operators_match_the_reference(ort, case):
    expected = expected_outputs(case)
    assume(within_float32(expected))
    check_onnxruntime(case, batch_major(case, run_onnxruntime(case)), expected)


# onnxruntime's divergence: where a recorded cause reads the case otherwise, onnxruntime does what the reading gives.

SOFTPLUS_OVERFLOW = ONNXRUNTIME_CAUSES["onnxruntime-softplus-overflow"]


def onnxruntime_reading(case: OperatorCase) -> list[np.ndarray] | None:
    """The reference on the case as onnxruntime computes it, where that is not the documented one (a Softplus past
    88.72: non-finite outputs), else None."""
    read = SOFTPLUS_OVERFLOW.reads(case)
    if read is case:
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # the reading's infs run on through the layer, as onnxruntime's
        outputs = expected_outputs(read)
    return None if all(np.isfinite(o).all() for o in outputs) else outputs


def check_onnxruntime(case: OperatorCase, actual, expected) -> None:
    """onnxruntime's outputs are the documented `expected`, or in the cause's region what its reading gives:
    non-finite exactly where the reading is, the reading's values elsewhere."""
    read = onnxruntime_reading(case)
    if read is None:
        assert_operator_close(actual, expected, case, "onnxruntime")
        return
    names = output_names(case, "onnxruntime")
    for name, got, want in zip(names, actual, read, strict=True):
        assert np.array_equal(~np.isfinite(got), ~np.isfinite(want)), (
            f"onnxruntime {name}: where it is not finite differs from {SOFTPLUS_OVERFLOW.id}'s reading on {case!r}: "
            f"{got} vs {want}"
        )
    finite = [np.where(np.isfinite(w), g, 0.0) for g, w in zip(actual, read, strict=True)]
    assert_operator_close(finite, [np.where(np.isfinite(w), w, 0.0) for w in read], case, "onnxruntime")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    f"onnxruntime Y = Y_h = inf; the spec Y = Y_h = Softplus(89) = 89.0. {SOFTPLUS_OVERFLOW.upstream} "
    f"[{SOFTPLUS_OVERFLOW.id}]"
))  # fmt: skip
def test_onnxruntime_on_recorded_examples(ort):
    actual = batch_major(SOFTPLUS_EXAMPLE, run_onnxruntime(SOFTPLUS_EXAMPLE))
    assert_operator_close(actual, expected_outputs(SOFTPLUS_EXAMPLE), SOFTPLUS_EXAMPLE, "onnxruntime")


def test_onnxruntime_does_on_recorded_examples_what_their_cause_predicts(ort):
    read = onnxruntime_reading(SOFTPLUS_EXAMPLE)
    assert read is not None and np.isinf(read[0]).all()  # the example lies in the cause's region
    check_onnxruntime(SOFTPLUS_EXAMPLE, batch_major(SOFTPLUS_EXAMPLE, run_onnxruntime(SOFTPLUS_EXAMPLE)), None)


@pinned(PINS)
@given(case=operator_cases())
def test_onnx_reference_operators_match_the_reference(onnx_reference, case):
    # The reference on the case as documented, except where ONNX_CAUSES apply (onnx_reference_expectation).
    expectation = onnx_reference_expectation(case)
    assume(expectation.error is not None or within_float32(expectation.outputs))
    check_onnx_reference(case, expectation=expectation)


# onnx.reference's divergences: each cause of ONNX_CAUSES, the cases it concerns, and its minimal example.


@dataclass(frozen=True, eq=False)
class ReferenceDivergence:
    """One cause of ONNX_CAUSES in test_onnx_reference_operators_match_the_reference: its region, the cases
    (with their operator's activation attributes) it concerns, and its minimal example, replayed as a strict xfail."""

    cause: str  # a key of ONNX_CAUSES
    covers: Callable[[OperatorCase, dict], bool] = dataclasses.field(repr=False)  # (case, operator_attributes)
    example: OperatorCase  # the minimal example
    onnx_reference: str  # what onnx.reference returns on it
    documented: str  # what the spec says it returns, as onnxruntime does
    attributes: dict | None = None  # the example's activation attributes, where not operator_attributes(example)
    note: str = ""  # why the example is what it is, where that is not plain

    @property
    def facts(self) -> Cause:
        return ONNX_CAUSES[self.cause]

    @property
    def reason(self) -> str:
        """One line for pytest and rnncheck conform, ending with the cause's id as the other xfails' do."""
        note = f" ({self.note})" if self.note else ""
        return (
            f"onnx.reference {self.onnx_reference}; the spec (and onnxruntime) {self.documented}{note}. "
            f"{self.facts.upstream} [{self.cause}]"
        )


def _one(*shape, value=1.0):
    return np.full(shape, value, np.float32)


def _simple(x, kernel, recurrent=0.0, *, direction="forward", lengths=None, activations=()):
    """A 1-unit RNN without bias on x (batch, time, 1): `kernel` and `recurrent` its 1x1 weights, each direction."""
    weights = ((_one(1, 1, value=kernel), _one(1, 1, value=recurrent), None),) * (1 + (direction == "bidirectional"))
    return OperatorCase("simple", x, weights, direction, lengths=lengths, activations=activations)


_TANH, _LINEAR, _RELU = (("activation", "tanh"),), (("activation", "linear"),), (("activation", "relu"),)

# In the order onnx.reference meets them: of two errors it raises the first (op_rnn.py:22 before :37).
ONNX_REFERENCE_DIVERGENCES = [
    ReferenceDivergence(
        cause="onnx-reference-rnn-alpha-per-direction",
        covers=lambda case, attributes: case.cell == "simple" and any(
            len(attributes[name]) != case.directions for name in ("activation_alpha", "activation_beta")
            if name in attributes
        ),
        example=_simple(_one(1, 1, 1), 1.0, direction="bidirectional", activations=(_TANH, _LINEAR)),
        onnx_reference="RuntimeError: activation_alpha must have the same size as num_directions=2.",
        documented="Y = [[tanh(1), 1]] = [[0.7616, 1.0]] (activations [Tanh, Affine], alpha [1.0], beta [0.0])",
    ),
    ReferenceDivergence(
        cause="onnx-reference-rnn-tanh-affine-only",
        covers=lambda case, attributes: case.cell == "simple" and any(
            name not in ("Tanh", "Affine") for name in attributes.get("activations", ())
        ),
        example=_simple(_one(1, 1, 1), 1.0, activations=(_RELU,)),
        onnx_reference="RuntimeError: Unknown activation function 'Relu'.",
        documented="Y = Y_h = Relu(1) = 1.0",
    ),
    ReferenceDivergence(
        cause="onnx-reference-ignores-sequence-lens",
        covers=lambda case, attributes: case.lengths is not None,
        example=_simple(_one(1, 2, 1), 1.0, 1.0, lengths=np.array([1], np.int32)),
        onnx_reference="Y = [0.7616, 0.9427], Y_h = 0.9427: both steps run",
        documented="Y = [0.7616, 0.0], Y_h = 0.7616: one step, then padding (R = 1)",
    ),
    ReferenceDivergence(
        cause="onnx-reference-gru-lstm-ignore-activations",
        covers=lambda case, attributes: case.cell in ("gru", "lstm") and "activations" in attributes,
        example=OperatorCase(
            "gru", _one(1, 1, 1), ((np.array([[0.0, 0.0, -1.0]], np.float32), _one(1, 3, value=0.0), None),),
            activations=((("activation", "relu"), ("recurrent_activation", "sigmoid")),),
        ),  # fmt: skip
        onnx_reference="Y = (1 - 0.5) tanh(-1) = -0.3808",
        documented="Y = (1 - 0.5) Relu(-1) = 0.0 (activations [Sigmoid, Relu]; W z, r, h = 0, 0, -1)",
    ),
    ReferenceDivergence(
        cause="onnx-reference-rnn-reverse-uses-forward-activation",
        covers=lambda case, attributes: (
            case.cell == "simple" and len(case.activations) == 2 and case.activations[0] != case.activations[1]
        ),
        example=_simple(_one(1, 1, 1), 2.0, direction="bidirectional", activations=(_TANH, _LINEAR)),
        attributes={"activations": ["Tanh", "Affine"], "activation_alpha": [1.0, 1.0], "activation_beta": [0.0, 0.0]},
        onnx_reference="Y = [[tanh(2), tanh(2)]] = [[0.964, 0.964]]",
        documented="Y = [[tanh(2), 2.0]]",
        note="alpha and beta once per direction, which either reading takes for Affine(1, 0): the spec's single "
        "alpha and beta are refused, onnx-reference-rnn-alpha-per-direction",
    ),
]


@dataclass(frozen=True)
class Expectation:
    """What onnx.reference returns on a case: the rows of ONNX_REFERENCE_DIVERGENCES whose region holds it, and
    the error it raises (the first it meets), or the case as it reads it, on which the reference computes Y, Y_h."""

    rows: tuple[ReferenceDivergence, ...]
    error: Cause | None
    read: OperatorCase

    @functools.cached_property
    def outputs(self) -> list[np.ndarray] | None:
        """What onnx.reference returns (expected_outputs's layout), or None where it raises."""
        return None if self.error is not None else expected_outputs(self.read)

    def __str__(self) -> str:
        if not self.rows:
            return "onnx.reference expected: the reference on the case as documented (no recorded cause applies)"
        what = (
            f"{self.error.raises.__name__} matching {self.error.match!r} ({self.error.id})"
            if self.error is not None
            else f"the reference on the case as it reads it: {self.read!r}"
        )
        return f"onnx.reference expected, as the causes [{', '.join(row.cause for row in self.rows)}] apply: {what}"


def onnx_reference_expectation(case: OperatorCase, attributes: dict | None = None) -> Expectation:
    """The causes that apply to `case` (with `attributes`, default operator_attributes(case)), composed: the first
    error among them, or each one's reading of the case, one after another."""
    attributes = operator_attributes(case) if attributes is None else attributes
    rows = tuple(row for row in ONNX_REFERENCE_DIVERGENCES if row.covers(case, attributes))
    error = next((row.facts for row in rows if row.facts.raises is not None), None)
    read = case
    for row in rows:
        if row.facts.reads is not None:
            read = row.facts.reads(read)
    return Expectation(rows, error, read)


def check_onnx_reference(
    case: OperatorCase, attributes: dict | None = None, *, expectation: Expectation | None = None
) -> None:
    """onnx.reference does on `case` what onnx_reference_expectation says; a failure names the causes applied."""
    expectation = expectation or onnx_reference_expectation(case, attributes)
    try:
        if expectation.error is not None:
            with pytest.raises(expectation.error.raises, match=expectation.error.match):
                run_onnx_reference(case, attributes)
        else:
            actual = batch_major(case, run_onnx_reference(case, attributes))
            assert_operator_close(actual, expectation.outputs, case, "onnx.reference")
    except (AssertionError, pytest.fail.Exception) as failed:
        raise AssertionError(f"{failed}\n{expectation}") from None
    except Exception as error:
        error.add_note(str(expectation))
        raise


def _replays() -> list:
    return [
        pytest.param(
            row, id=row.cause,
            marks=pytest.mark.xfail(strict=True, raises=row.facts.raises or AssertionError, reason=row.reason),
        )  # fmt: skip
        for row in ONNX_REFERENCE_DIVERGENCES
    ]


@pytest.mark.parametrize("row", _replays())
def test_onnx_reference_on_recorded_examples(onnx_reference, row):
    # The spec's answer (the reference on the example as documented): a fix upstream shows as XPASS, which fails.
    case = row.example
    actual = batch_major(case, run_onnx_reference(case, row.attributes))
    assert_operator_close(actual, expected_outputs(case), case, "onnx.reference")


@pytest.mark.parametrize("row", ONNX_REFERENCE_DIVERGENCES, ids=lambda row: row.cause)
def test_onnx_reference_does_on_recorded_examples_what_their_causes_predict(onnx_reference, row):
    assert any(applied is row for applied in onnx_reference_expectation(row.example, row.attributes).rows)
    check_onnx_reference(row.example, row.attributes)


@pytest.mark.parametrize("row", ONNX_REFERENCE_DIVERGENCES, ids=lambda row: row.cause)
def test_onnxruntime_gives_recorded_examples_the_documented_answer(ort, row):
    # The spec's answer is onnxruntime's: the example (the padded alpha of one included) is plain ONNX.
    case = row.example
    actual = batch_major(case, run_onnxruntime(case, row.attributes))
    assert_operator_close(actual, expected_outputs(case), case, "onnxruntime")


@pinned(SOFTPLUS_PINS[1:])
@given(case=operator_cases(directions=("forward", "reverse"), lengths=True))
def test_sequence_lens_is_a_right_padded_keras_mask(ort, case):
    # The documented difference: past a sequence's length ONNX's Y is zero; a Keras layer (zero_output_for_mask=False,
    # its default) repeats its last output there, which is Y_h. Going backwards the padded steps come first, so Keras
    # repeats the zeros it starts from, and the two agree everywhere.
    outputs = batch_major(case, run_onnxruntime(case))
    y, y_h, *_ = outputs
    kernel, recurrent_kernel, bias = case.weights[0]
    backwards = case.direction == "reverse"
    keras, *_ = reference.layer(
        case.cell, case.x, kernel, recurrent_kernel, bias, return_sequences=True, return_state=True,
        go_backwards=backwards, initial_state=None if case.initial_state is None else list(case.initial_state),
        mask=case.mask, **case.cell_options(0),
    )  # fmt: skip
    assume(within_float32([keras]))
    if onnxruntime_reading(case) is not None:  # a Softplus past 88.72: the cause's reading, not Keras's layer
        check_onnxruntime(case, outputs, expected_outputs(case))
        return
    valid = case.mask[:, :, None]  # (batch, time, 1)
    if backwards:
        assert_outputs_close([y[:, :, 0]], [keras[:, ::-1]], names=["onnxruntime Y"], case=case)
        return
    assert_outputs_close([y[:, :, 0]], [np.where(valid, keras, 0.0)], names=["onnxruntime Y"], case=case)
    last = np.broadcast_to(y_h[:, 0][:, None, :], keras.shape)
    assert_outputs_close(
        [np.where(valid, 0.0, keras)], [np.where(valid, 0.0, last)], names=["Keras's output past the length"], case=case
    )


def test_onnxruntime_refuses_layout_1(ort):
    # Why the onnxruntime property runs layout 1 as Transposes around a layout-0 operator. onnxruntime 1.32's CPU
    # kernels (rnn.h, deep_cpu_gru.h, lstm_base.h) refuse it when the session is made; the spec has it since opset 14.
    from rnncheck.onnx_graph import recurrent_model

    for cell in ("simple", "gru", "lstm"):
        model = recurrent_model(cell, units=2, layout=1)
        with pytest.raises(Exception, match=r"layout == 1\) are not supported"):
            ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def test_recurrent_models_pass_the_onnx_checker(ort):
    import onnx

    from rnncheck.onnx_graph import recurrent_model

    for cell in ("simple", "gru", "lstm"):
        for direction in ("forward", "reverse", "bidirectional"):
            for layout, transpose in ((0, False), (1, False), (1, True)):
                directions = 2 if direction == "bidirectional" else 1
                model = recurrent_model(
                    cell, units=3, direction=direction, layout=layout, transpose_layout=transpose, sequence_lens=True,
                    initial_state=True, activations=[{"activation": "linear"}] * directions,
                )  # fmt: skip
                onnx.checker.check_model(model, full_check=True)


# The weight layout, without a runtime.


@given(case=sequence_cases(options=False) | sequence_cases())
def test_keras_onnx_keras_gives_back_the_weights(case):
    weights = ((case.kernel, case.recurrent_kernel, case.bias),)
    onnx = keras_to_onnx(case.cell, weights, reset_after=case.reset_after)
    back = onnx_to_keras(case.cell, **onnx, reset_after=case.reset_after, use_bias=case.bias is not None)
    for (kernel, recurrent_kernel, bias), (k, r, b) in zip(weights, back, strict=True):
        np.testing.assert_array_equal(k, kernel)
        np.testing.assert_array_equal(r, recurrent_kernel)
        assert (b is None) == (bias is None)
        if bias is not None:
            np.testing.assert_array_equal(b, bias)


@given(case=bidirectional_cases())
def test_bidirectional_weights_are_the_direction_axis(case):
    onnx = keras_to_onnx(case.cell, [case.forward, case.backward], reset_after=case.reset_after)
    assert onnx["W"].shape[0] == onnx["R"].shape[0] == onnx["B"].shape[0] == 2
    alone = [keras_to_onnx(case.cell, [w], reset_after=case.reset_after) for w in (case.forward, case.backward)]
    for name in ("W", "R", "B"):
        np.testing.assert_array_equal(onnx[name], np.concatenate([a[name] for a in alone]))


def test_gate_blocks_move_to_onnx_order():
    # Column block j of a Keras kernel is gate j in Keras's order; ONNX's rows are LSTM i, o, f, c (Keras i, f, c, o).
    u = 1
    kernel = np.array([[0.0, 1.0, 2.0, 3.0]])  # LSTM, d = 1: i f c o
    onnx = keras_to_onnx("lstm", [(kernel, np.zeros((u, 4)), np.array([10.0, 11.0, 12.0, 13.0]))])
    np.testing.assert_array_equal(onnx["W"][0, :, 0], [0.0, 3.0, 1.0, 2.0])  # i o f c
    np.testing.assert_array_equal(onnx["B"][0], [10.0, 13.0, 11.0, 12.0, 0, 0, 0, 0])  # Wb, then Rb = 0
    gru = keras_to_onnx("gru", [(np.array([[0.0, 1.0, 2.0]]), np.zeros((1, 3)), np.array([[1.0, 2, 3], [4, 5, 6]]))])
    np.testing.assert_array_equal(gru["W"][0, :, 0], [0.0, 1.0, 2.0])  # z r h, the same order
    np.testing.assert_array_equal(gru["B"][0], [1.0, 2, 3, 4, 5, 6])  # row 0 is Wb, row 1 Rb


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: keras_to_onnx("lstm", [(np.zeros((2, 8)), np.zeros((2, 7)), None)]), "recurrent_kernel"),
        (lambda: keras_to_onnx("lstm", [(np.zeros((2, 6)), np.zeros((2, 8)), None)]), "kernel"),
        (lambda: keras_to_onnx("gru", [(np.zeros((2, 6)), np.zeros((2, 6)), np.zeros(6))]), "bias .*reset_after=False"),
        (lambda: keras_to_onnx("gru", [(np.zeros((2, 6)), np.zeros((2, 6)), np.zeros((2, 6)))], reset_after=False),
         "bias .*reset_after=True"),
        (lambda: keras_to_onnx("simple", [(np.zeros((2, 2)), np.zeros((2, 2)), None)] * 3), "directions_weights"),
        (lambda: keras_to_onnx("simple", [(np.zeros((2, 2)), np.zeros((2, 2))), (np.zeros((3, 2)), np.zeros((2, 2)))]),
         "backward kernel"),
        (lambda: keras_to_onnx("convlstm2d", [(np.zeros((2, 2)), np.zeros((2, 2)), None)]), "cell"),
        (lambda: onnx_to_keras("gru", np.zeros((1, 6, 3)), np.zeros((1, 6, 3))), "R must be"),
        (lambda: onnx_to_keras("gru", np.zeros((1, 5, 3)), np.zeros((1, 6, 2))), "W must be"),
        (lambda: onnx_to_keras("gru", np.zeros((1, 6, 3)), np.zeros((1, 6, 2)), np.zeros((1, 6))), "B must be"),
        (lambda: onnx_to_keras("simple", np.zeros((1, 2, 3)), np.zeros((1, 2, 2)), np.ones((1, 4)), use_bias=False),
         "B is not zero"),
        (lambda: onnx_activation("relu6"), "activation='relu6' has no ONNX equivalent"),
        (lambda: activation_attributes("lstm", [{"recurrent_activation": "selu"}]), "recurrent_activation='selu'"),
    ],
    ids=["recurrent-kernel", "kernel", "gru-bias-reset-after", "gru-bias-no-reset-after", "three-directions",
         "directions-disagree", "convlstm", "R", "W", "B", "B-without-bias", "activation", "recurrent-activation"],
)  # fmt: skip
def test_layout_refuses_what_does_not_fit_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ONNX's functions as the spec writes them (Operators.md, RNN / GRU / LSTM), alpha and beta given.
ONNX_SPEC_FUNCTIONS = {
    "Relu": lambda x, a, b: np.maximum(0.0, x),
    "Tanh": lambda x, a, b: np.tanh(x),
    "Sigmoid": lambda x, a, b: 1.0 / (1.0 + np.exp(-x)),
    "Affine": lambda x, a, b: a * x + b,
    "LeakyRelu": lambda x, a, b: np.where(x >= 0, x, a * x),
    "HardSigmoid": lambda x, a, b: np.minimum(np.maximum(a * x + b, 0.0), 1.0),
    "Elu": lambda x, a, b: np.where(x >= 0, x, a * (np.exp(x) - 1.0)),
    "Softsign": lambda x, a, b: x / (1.0 + np.abs(x)),
    "Softplus": lambda x, a, b: np.log(1.0 + np.exp(x)),
}


@pytest.mark.parametrize("name", ONNX_ACTIVATIONS)
def test_each_onnx_activation_is_the_keras_one(name):
    function = onnx_activation(name)
    x = np.linspace(-8.0, 8.0, 1601)
    onnx_values = ONNX_SPEC_FUNCTIONS[function.name](x, function.alpha, function.beta)
    np.testing.assert_allclose(onnx_values, keras_activation(name)[0](x), rtol=1e-12, atol=1e-12)


def test_activation_alpha_and_beta_are_listed_for_the_functions_that_take_them():
    attributes = activation_attributes(
        "gru", [{"activation": "tanh", "recurrent_activation": "hard_sigmoid"}, {"activation": "elu"}]
    )
    assert attributes == {
        "activations": ["HardSigmoid", "Tanh", "Sigmoid", "Elu"],
        "activation_alpha": [1 / 6, 1.0],
        "activation_beta": [0.5],
    }
    assert activation_attributes("lstm", [{}, {}]) == {}  # Keras's defaults are the operators'


# A Keras model through rnncheck.onnx_graph.keras_model_to_onnx, in onnxruntime.

MODEL_ACTIVATIONS = ("tanh", "sigmoid", "relu", "hard_sigmoid", "softsign")  # bounded over 5 steps, or relu


@dataclass(frozen=True)
class ModelCase:
    """A stack of recurrent layers (stack_cases), go_backwards and activations per layer, an optional Dense head."""

    stack: StackCase
    go_backwards: tuple[bool, ...]  # per layer (plain layers only)
    activations: tuple[tuple[tuple[str, str], ...], ...]  # per layer
    head: tuple | None = None  # (activation, kernel, bias or None)
    functional: bool = False  # keras.Model(inputs, outputs) rather than Sequential
    dropout: bool = False  # a Dropout after the first layer (nothing at inference)


@st.composite
def model_cases(draw):
    stack = draw(stack_cases(min_depth=1, max_depth=3))
    stack = dataclasses.replace(stack, mask=None)
    go_backwards = tuple(layer.backward is None and draw(st.booleans(), label="go_backwards") for layer in stack.layers)
    activations = tuple(
        _draw_activations(draw, layer.cell, MODEL_ACTIVATIONS) if draw(st.booleans(), label="activations") else ()
        for layer in stack.layers
    )
    head = None
    if draw(st.booleans(), label="head"):
        activation = draw(st.sampled_from(["softmax", "linear"]), label="head activation")
        classes = draw(st.integers(2 if activation == "softmax" else 1, 4), label="classes")  # softmax of 1 is 1
        bias = draw(float32_arrays((classes,))) if draw(st.booleans(), label="head bias") else None
        head = (activation, draw(float32_arrays((stack.layers[-1].output_size, classes))), bias)
    functional, dropout = draw(st.booleans(), label="functional"), draw(st.booleans(), label="dropout")
    return ModelCase(stack, go_backwards, activations, head, functional, dropout)


def keras_model(case: ModelCase):
    import keras

    from rnncheck.model import recurrent_layer

    layers, count = [], len(case.stack.layers)
    each = zip(case.stack.layers, case.go_backwards, case.activations, strict=True)
    for k, (layer, backwards, activations) in enumerate(each):
        built = recurrent_layer(
            layer.cell, units=layer.units, use_bias=layer.forward[2] is not None, reset_after=layer.reset_after,
            bidirectional=layer.backward is not None, merge_mode=layer.merge_mode, zeros=True,
            return_sequences=k < count - 1 or case.stack.return_sequences, go_backwards=backwards,
            **dict(activations),
        )  # fmt: skip
        layers.append(built)
        if case.dropout and k == 0:
            layers.append(keras.layers.Dropout(0.5))
    if case.head is not None:
        activation, kernel, bias = case.head
        layers.append(keras.layers.Dense(kernel.shape[1], activation=activation, use_bias=bias is not None))
    inputs = keras.Input((None, case.stack.x.shape[2]))
    if case.functional:
        outputs = inputs
        for layer in layers:
            outputs = layer(outputs)
        model = keras.Model(inputs, outputs)
    else:
        model = keras.Sequential([inputs, *layers])
    recurrent = [layer for layer in layers if not isinstance(layer, (keras.layers.Dropout, keras.layers.Dense))]
    for built, layer in zip(recurrent, case.stack.layers, strict=True):
        built.set_weights(layer.weights)
    if case.head is not None:
        _, kernel, bias = case.head
        layers[-1].set_weights([kernel] + ([] if bias is None else [bias]))
    return model


def _model_pin(cells, *, bidirectional=(), merge_mode="concat", go_backwards=(), head=None, return_sequences=False,
               reset_after=True, functional=False, activations=()):  # fmt: skip
    """A small fixed model: 2 sequences of 4 steps of 3 features, 2 units per layer, seeded weights."""
    from rnncheck.conformance.strategies import StackedLayer

    rng = np.random.default_rng(2)
    draw = lambda *shape: rng.uniform(-1, 1, shape).astype(np.float32)  # noqa: E731
    layers, size = [], 3
    for k, cell in enumerate(cells):
        gu = cell_facts(cell).gate_count * 2
        bias_shape = cell_facts(cell).bias_shape(2, reset_after=reset_after)

        def direction(size=size, gu=gu, bias_shape=bias_shape):  # one direction's (W, U, b)
            return draw(size, gu), draw(2, gu), draw(*bias_shape)

        both = k in bidirectional
        backward, merge = (direction(), merge_mode) if both else (None, "concat")
        layer = StackedLayer(cell, direction(), backward, reset_after, merge)
        layers.append(layer)
        size = layer.output_size
    stack = StackCase(draw(2, 4, 3), tuple(layers), return_sequences)
    head_weights = None if head is None else (head, draw(size, 3), draw(3))
    per_layer = tuple(tuple(activations) if k == 0 else () for k in range(len(cells)))
    backwards = tuple(k in go_backwards for k in range(len(cells)))
    return ModelCase(stack, backwards, per_layer, head_weights, functional)


MODEL_PINS = [
    _model_pin(["simple"], head="softmax"),  # the MNIST model's shape
    _model_pin(["gru"], reset_after=False, go_backwards=[0], return_sequences=True),
    _model_pin(["lstm"], bidirectional=[0], merge_mode="ave", head="linear"),
    _model_pin(["gru", "lstm", "simple"], bidirectional=[1], merge_mode="mul", go_backwards=[0], functional=True),
    _model_pin(["simple", "gru"], bidirectional=[0, 1], merge_mode="sum", return_sequences=True, head="softmax",
               activations=[("activation", "hard_sigmoid")]),  # fmt: skip
]


@pytest.fixture(scope="module")
def keras_to_onnx_session(ort):
    from rnncheck.onnx_graph import keras_model_to_onnx

    def session(model):
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        return ort.InferenceSession(keras_model_to_onnx(model).SerializeToString(), options,
                                    providers=["CPUExecutionProvider"])  # fmt: skip

    return session


@pinned(MODEL_PINS)
@given(case=model_cases())
def test_converted_keras_model_predicts_in_onnxruntime_what_keras_predicts(keras_to_onnx_session, case):
    from rnncheck.conformance.layers import as_numpy

    model = keras_model(case)
    (expected,) = as_numpy(model(case.stack.x, training=False))
    assume(within_float32([expected]))
    (actual,) = keras_to_onnx_session(model).run(None, {"input": case.stack.x})
    assert_outputs_close([actual], [expected], names=["onnxruntime output"], case=case)


# A saved model through rnncheck.onnx_graph.convert_keras_to_onnx: the file, its record, and what it refuses.


def _saved(folder, name: str, build) -> str:
    """build() saved as folder/name.keras (the Keras layers it returns, after keras.Input((None, 3)), in a Sequential,
    or the model it returns)."""
    import keras

    built = build(keras)
    model = built if isinstance(built, keras.Model) else keras.Sequential([keras.Input((None, 3)), *built])
    path = folder / f"{name}.keras"
    model.save(path)
    return path


def test_convert_writes_a_graph_that_predicts_what_keras_predicts(ort, tmp_path):
    import keras
    import onnx

    from rnncheck.conformance.layers import as_numpy
    from rnncheck.onnx_graph import OPSET, convert_keras_to_onnx

    keras.utils.set_random_seed(0)
    layers = [
        keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True, reset_after=False), merge_mode="sum"),
        keras.layers.Dropout(0.2),
        keras.layers.LSTM(3, go_backwards=True),
        keras.layers.Dense(5, activation="softmax"),
    ]
    model = keras.Sequential([keras.Input((None, 3)), *layers])
    model.save(tmp_path / "model.keras")
    record = convert_keras_to_onnx(tmp_path / "model.keras", tmp_path / "model.onnx")
    proto = onnx.load(tmp_path / "model.onnx")
    onnx.checker.check_model(proto, full_check=True)
    assert [i.name for i in proto.graph.input] == ["input"] and [o.name for o in proto.graph.output] == ["output"]
    assert record.opset == OPSET and record.parameters == model.count_params() and record.input_size == 3
    assert [(layer.keras_class, layer.operator, layer.direction) for layer in record.layers] == [
        ("Bidirectional(GRU)", "GRU", "bidirectional"), ("LSTM", "LSTM", "reverse"), ("Dense", "MatMul", None),
    ]  # fmt: skip
    assert record.to_dict()["layers"][0]["linear_before_reset"] == 0
    x = np.random.default_rng(0).uniform(-1, 1, (3, 7, 3)).astype(np.float32)  # a time the model was not saved with
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    (actual,) = session.run(None, {"input": x})
    (expected,) = as_numpy(model(x, training=False))  # not np.asarray: torch's output requires grad
    assert_outputs_close([actual], [expected], names=["onnxruntime output"], case=record)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras", "model.onnx"]  # no temporary left


REFUSALS = {
    "no-recurrent-layer": (lambda k: [k.layers.Dense(2)], "no recurrent layer"),
    "activation": (lambda k: [k.layers.SimpleRNN(2, activation="relu6")], "activation='relu6' has no ONNX equivalent"),
    "recurrent-activation": (lambda k: [k.layers.GRU(2, recurrent_activation="selu")],
                             "recurrent_activation='selu' has no ONNX equivalent"),
    "mask": (lambda k: [k.layers.Masking(0.0), k.layers.LSTM(2)], "'masking' \\(Masking\\) produces a mask"),
    "stateful": (lambda k: k.Sequential([k.Input(batch_shape=(2, None, 3)), k.layers.SimpleRNN(2, stateful=True)]),
                 "stateful=True"),
    "merge-none": (lambda k: _two_outputs(k), "2 outputs"),
    "bidirectional-go-backwards": (
        lambda k: [k.layers.Bidirectional(k.layers.GRU(2, go_backwards=True), backward_layer=k.layers.GRU(2))],
        "Bidirectional around a layer with go_backwards=True",
    ),
    "other-layer": (lambda k: [k.layers.Conv1D(2, 1), k.layers.GRU(2)],
                    "'conv1d' \\(Conv1D\\) has no ONNX counterpart"),
    "head-activation": (lambda k: [k.layers.GRU(2), k.layers.Dense(2, activation="relu")], "activation 'relu'"),
    "after-head": (lambda k: [k.layers.GRU(2), k.layers.Dense(2), k.layers.Dense(2)], "follows the Dense head"),
    "not-a-chain": (lambda k: _branches(k), "does not take the previous layer's output alone"),
}  # fmt: skip


def _two_outputs(keras):
    inputs = keras.Input((None, 3))
    return keras.Model(inputs, keras.layers.Bidirectional(keras.layers.SimpleRNN(2), merge_mode=None)(inputs))


def _branches(keras):
    inputs = keras.Input((None, 3))
    both = keras.layers.Add()([keras.layers.GRU(2)(inputs), keras.layers.LSTM(2)(inputs)])
    return keras.Model(inputs, keras.layers.Dense(2)(both))


@pytest.mark.parametrize("problem", list(REFUSALS))
def test_convert_refuses_what_onnx_cannot_express_in_one_line_writing_nothing(ort, tmp_path, problem):
    from rnncheck.onnx_graph import convert_keras_to_onnx

    build, message = REFUSALS[problem]
    path = _saved(tmp_path, problem, build)
    with pytest.raises(ValueError, match=message) as raised:
        convert_keras_to_onnx(path, tmp_path / "out.onnx")
    assert str(raised.value).startswith(f"{path}: ") and "\n" not in str(raised.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing written, no temporary left


def test_convert_refuses_a_file_that_is_not_a_keras_model(ort, tmp_path):
    from rnncheck.onnx_graph import convert_keras_to_onnx

    path = tmp_path / "model.keras"
    path.write_text("not a zip")
    with pytest.raises(ValueError, match="not a Keras model file") as raised:
        convert_keras_to_onnx(path, tmp_path / "out.onnx")
    assert str(raised.value).startswith(f"{path}: ") and "\n" not in str(raised.value)
    assert not (tmp_path / "out.onnx").exists()


def test_convert_refuses_an_output_it_cannot_write(ort, tmp_path):
    from rnncheck.onnx_graph import convert_keras_to_onnx

    path = _saved(tmp_path, "model", lambda k: [k.layers.SimpleRNN(2)])
    with pytest.raises(IsADirectoryError, match="is a folder"):
        convert_keras_to_onnx(path, tmp_path)
    with pytest.raises(OSError, match=f"{tmp_path / 'missing' / 'out.onnx'}: cannot write it"):
        convert_keras_to_onnx(path, tmp_path / "missing" / "out.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]
