"""The strategies themselves: they draw what they promise, and refuse bounds that make no sense."""

from __future__ import annotations

import importlib
import sys

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from rnncheck.cells import cell as cell_facts
from rnncheck.conformance.strategies import layer_specs, past_changes, sequence_cases, shape_cases, softmax_head_cases


@given(spec=layer_specs(min_depth=1, max_depth=3))
def test_layer_specs_draw_gru_and_merge_options_only_where_they_matter(spec):
    assert 1 <= len(spec.units) <= 3 and all(1 <= u <= 512 for u in spec.units)
    assert spec.cell == "gru" or spec.reset_after  # Keras's default where the option does not exist
    assert spec.bidirectional or spec.merge_mode == "concat"


@given(case=shape_cases(max_size=5))
def test_shape_cases_respect_max_size(case):
    assert all(1 <= n <= 5 for n in (case.batch, case.time, case.input_size, case.units))
    assert case.bidirectional or case.merge_mode == "concat"


@given(case=sequence_cases(max_batch=2, max_time=3, max_input_size=4, max_units=5))
def test_sequence_cases_have_consistent_shapes(case):
    batch, time, d = case.x.shape
    gates, states = cell_facts(case.cell).gate_count, len(cell_facts(case.cell).states)
    assert batch <= 2 and time <= 3 and d <= 4 and case.units <= 5
    assert case.kernel.shape == (d, gates * case.units)
    assert case.recurrent_kernel.shape == (case.units, gates * case.units)
    assert case.bias is None or case.bias.shape == ((2,) if case.cell == "gru" and case.reset_after else ()) + (
        gates * case.units,
    )
    assert case.initial_state is None or [s.shape for s in case.initial_state] == [(batch, case.units)] * states
    assert case.mask is None or case.mask.shape == (batch, time)
    assert case.cell == "gru" or case.reset_after


@given(pair=past_changes())
def test_past_changes_differ_before_the_last_step_only(pair):
    x, changed = pair
    assert x.shape == changed.shape and x.shape[1] >= 2
    assert (changed[:, -1] == x[:, -1]).all() and (changed[:, :-1] != x[:, :-1]).all()


@given(head_case=softmax_head_cases(max_classes=3, max_batch_size=2))
def test_softmax_head_cases_label_every_sequence_within_the_classes(head_case):
    batch, units = head_case.case.x.shape[0], head_case.case.units
    assert head_case.head_kernel.shape == (units, head_case.classes) and 2 <= head_case.classes <= 3
    assert head_case.labels.shape == (batch,) and 0 <= head_case.labels.min() <= head_case.labels.max() < 3
    assert 1 <= head_case.batch_size <= 2


@pytest.mark.parametrize(
    "strategy, bounds",
    [
        (sequence_cases, {"max_time": 0}),
        (layer_specs, {"min_depth": 3, "max_depth": 2}),
        (shape_cases, {"max_size": 0}),
        (softmax_head_cases, {"max_batch_size": 0}),
    ],
    ids=["no-time", "depth-upside-down", "no-size", "no-batch-size"],
)
def test_nonsense_bounds_are_refused_up_front(strategy, bounds):
    with pytest.raises(ValueError, match="need 1 <= min <= max"):
        strategy(**bounds)


def test_a_derandomized_draw_does_not_depend_on_the_modules_imported(tmp_path, monkeypatch):
    # Hypothesis would sometimes draw a literal of a newly imported local module (profiles.no_local_constants):
    # here fifty integers no strategy would otherwise favour.
    def draws() -> list[int]:
        seen = []

        @settings(derandomize=True, max_examples=300, database=None, phases=[Phase.generate])
        @given(st.integers(-(10**6), 10**6))
        def collect(n):
            seen.append(n)

        collect()
        return seen

    before = draws()
    (tmp_path / "pool_of_constants.py").write_text(f"VALUES = {[123457 + 7 * i for i in range(50)]}\n")
    monkeypatch.syspath_prepend(tmp_path)
    try:
        importlib.import_module("pool_of_constants")
        after = draws()
    finally:
        sys.modules.pop("pool_of_constants", None)
    assert len(before) == 300
    assert after == before, f"{sum(n >= 123457 for n in after)} draws came from the new module's constants"
