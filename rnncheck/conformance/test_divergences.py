"""The divergence tables are consistent: every occurrence's example lies in its own region and in no other's, every
cause is recorded once and occurs somewhere (Keras's in DIVERGENCES, onnx.reference's in test_onnx.py's
ONNX_REFERENCE_DIVERGENCES, each replayed there as a strict xfail), and says what the framework does there; and the
harness's messages name what differs."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from rnncheck.conformance import test_onnx as onnx_suite  # a module: pytest collects none of its tests here
from rnncheck.conformance.causes import CAUSES, ONNX_CAUSES, ONNXRUNTIME_CAUSES
from rnncheck.conformance.divergences import DIVERGENCES, Property, regions
from rnncheck.conformance.harness import assert_outputs_close, output_names
from rnncheck.conformance.test_onnx import (
    ONNX_REFERENCE_DIVERGENCES,
    expected_outputs,
    onnx_reference_expectation,
    operator_attributes,
)

OCCURRENCES = pytest.mark.parametrize("row", DIVERGENCES, ids=lambda row: f"{row.test}-{row.id}")


@OCCURRENCES
def test_each_example_lies_in_its_own_region(row):
    assert row.covers(**row.example)


@OCCURRENCES
def test_no_other_region_of_the_same_property_and_backend_holds_the_example(row):
    for backend in row.backends:
        assert regions(row.test, backend, **row.example) == [row], backend


@OCCURRENCES
def test_each_occurrence_holds_on_backends_of_its_cause(row):
    assert row.backends and set(row.backends) <= set(row.facts.backends)


@OCCURRENCES
def test_each_occurrence_names_a_recorded_cause(row):
    assert row.cause in CAUSES


def test_each_cause_occurs_and_says_what_the_framework_does_there():
    assert {row.cause for row in DIVERGENCES} == set(CAUSES)
    assert [row.cause for row in ONNX_REFERENCE_DIVERGENCES] == list(ONNX_CAUSES)  # each once, in the table's order
    assert not set(CAUSES) & set(ONNX_CAUSES) and not set(ONNXRUNTIME_CAUSES) & (set(CAUSES) | set(ONNX_CAUSES))
    for cause in CAUSES.values():
        models = [cause.loop, cause.reads, cause.raises, cause.returns or None]
        assert sum(model is not None for model in models) == 1, cause.id  # a loop, a reading, an error or a return
        assert cause.agrees is None or cause.returns, cause.id  # a part it gets right, of a return no model computes
        assert set(cause.backends) <= {"tensorflow", "jax", "torch"} and cause.backends, cause.id
    for cause in ONNX_CAUSES.values():
        assert cause.backends == ("onnx.reference",) and cause.loop is None, cause.id
        assert (cause.reads is None) != (cause.raises is None), cause.id  # a reading of the case, or an error
    for cause in ONNXRUNTIME_CAUSES.values():
        assert cause.backends == ("onnxruntime",) and cause.reads is not None, cause.id  # a reading of the case
    for cause in [*CAUSES.values(), *ONNX_CAUSES.values(), *ONNXRUNTIME_CAUSES.values()]:
        assert cause.releases and cause.upstream and cause.documented, cause.id
        assert cause.raises is None or cause.match, cause.id


def test_each_onnx_reference_cause_is_replayed_as_a_strict_xfail_tagged_with_its_id():
    replays = onnx_suite.test_onnx_reference_on_recorded_examples.pytestmark
    (marks,) = [m for m in replays if m.name == "parametrize"]
    replayed = {}
    for param in marks.args[1]:
        (xfail,) = [m for m in param.marks if m.name == "xfail"]
        (row,) = param.values
        replayed[row.cause] = xfail.kwargs
    assert set(replayed) == set(ONNX_CAUSES)
    for cause_id, xfail in replayed.items():
        cause = ONNX_CAUSES[cause_id]
        assert xfail["strict"] and xfail["reason"].endswith(f"[{cause_id}]"), cause_id  # rnncheck conform's tag
        assert xfail["raises"] is (cause.raises or AssertionError), cause_id


ONNX_ROWS = pytest.mark.parametrize("row", ONNX_REFERENCE_DIVERGENCES, ids=lambda row: row.cause)


@ONNX_ROWS
def test_each_onnx_reference_example_lies_in_its_own_region(row):
    attributes = operator_attributes(row.example) if row.attributes is None else row.attributes
    assert row.covers(row.example, attributes)
    expectation = onnx_reference_expectation(row.example, row.attributes)
    assert any(applied is row for applied in expectation.rows)
    assert (expectation.error is row.facts) == (row.facts.raises is not None)  # its own error, the first one met


@ONNX_ROWS
def test_each_onnx_reference_reading_changes_the_answer_on_its_example(row):
    # A reading predicts a divergence: on the minimal example, the case as onnx.reference reads it is another case.
    if row.facts.reads is None:
        return
    documented, read = expected_outputs(row.example), expected_outputs(row.facts.reads(row.example))
    assert any(a.shape != b.shape or not np.allclose(a, b, atol=1e-3) for a, b in zip(read, documented, strict=True))


def test_occurrence_ids_are_unique_per_property():
    ids = [(row.test, row.id) for row in DIVERGENCES]
    assert len(ids) == len(set(ids))


# The harness: a failure names the framework, the output, the worst element's time step, and the case.


def test_a_differing_state_is_named_with_its_time_step_and_the_case():
    expected = [np.zeros((2, 3, 4)), np.zeros((2, 4)), np.zeros((2, 4))]
    actual = [a.copy() for a in expected]
    actual[0][1, 2, 3] = 1.0  # output, time step 2
    names = output_names(("h", "c"), count=3)
    message = r": output differs .* at index \(1, 2, 3\) \(time step 2\).*\ncase: 'the case'"
    with pytest.raises(AssertionError, match=message):
        assert_outputs_close(actual, expected, names=names, case="the case")
    actual = [a.copy() for a in expected]
    actual[2][0, 1] = np.nan
    with pytest.raises(AssertionError, match=r": c differs .* in 1 of 8 values"):
        assert_outputs_close(actual, expected, names=names)


def test_the_element_named_is_the_one_furthest_past_its_allowance():
    # Slack lets element 0 be off by 10; element 1, off by 0.1 with no slack, is the one that fails.
    actual, expected, slack = [np.array([10.0, 0.1])], [np.zeros(2)], [np.array([20.0, 0.0])]
    with pytest.raises(AssertionError, match=r"in 1 of 2 values; worst at index \(1,\): error 0.1, allowed 1e-05"):
        assert_outputs_close(actual, expected, names=["h"], slack=slack)


def test_a_wrong_shape_or_count_is_named():
    with pytest.raises(AssertionError, match=r"h_backward has shape \(1, 2\), the reference \(1, 3\)"):
        assert_outputs_close(
            [np.zeros((1, 6)), np.zeros((1, 3)), np.zeros((1, 2))],
            [np.zeros((1, 6)), np.zeros((1, 3)), np.zeros((1, 3))],
            names=output_names(("h",), count=3, directions=2),
        )
    with pytest.raises(AssertionError, match="returned 1 arrays, the reference 2"):
        assert_outputs_close([np.zeros(1)], [np.zeros(1), np.zeros(1)], names=["output", "h"])


def test_output_names_follow_keras_order():
    assert output_names(("h", "c"), count=5, directions=2) == [
        "output", "h_forward", "c_forward", "h_backward", "c_backward"
    ]  # fmt: skip
    assert output_names(("h",), count=4, directions=2, merged=False) == [
        "output_forward", "output_backward", "h_forward", "h_backward"
    ]  # fmt: skip


def test_a_replay_raising_another_error_of_its_causes_type_fails_not_xfails():
    """A cause that raises Exception (a framework's own class) holds only where the message is the recorded one."""
    row = next(row for row in DIVERGENCES if row.cause == "torch-onnx-export-traced-length")
    row = dataclasses.replace(row, on=(keras.backend.backend(),))

    def raises(message):
        def actual(**_):
            raise RuntimeError(message)

        return Property(row.test, actual=actual, expected=lambda loop, **_: [], compare=lambda *_: None)

    with pytest.raises(pytest.fail.Exception, match="torch-onnx-export-go_backwards raised RuntimeError: no verbose"):
        raises("no verbose").replay(row)
    with pytest.raises(RuntimeError, match="ReduceMax"):  # the recorded error: the strict xfail takes it
        raises("Node (/ReduceMax) axis must be in [-rank, rank-1]. Input rank was 0").replay(row)


def test_values_within_tolerance_pass():
    assert_outputs_close([np.ones(3) + 5e-6], [np.ones(3)], names=["output"])


# The framework registry: every entry's adapter loads without its library and says what it supports.


def test_every_framework_adapter_loads_and_says_what_it_supports():
    from rnncheck.frameworks import FRAMEWORKS

    for framework in FRAMEWORKS.values():
        adapter = framework.load()
        assert adapter.supports("lstm") is None, framework.name
        reason = adapter.supports("convlstm2d")
        assert reason is None if framework.keras_backend else "ConvLSTM2D" in reason, (framework.name, reason)
