"""Goes back into rnncheck/conformance/test_reference.py (see README.md)."""

FLOAT32_MAX = float(np.finfo(np.float32).max)


@pytest.mark.parametrize("unroll", [False, True], ids=["loop", "unroll"])
@given(case=sequence_cases(options=False, activations=ACTIVATION_NAMES))
def test_reference_matches_keras_for_every_activation(case, unroll):
    expected = reference_outputs(case)
    # exponential, linear and the other unbounded activations can outgrow float32 over a few steps; that case is
    # about float32, not about the layer (the reference, in float64, has the larger range).
    assume(all(np.all(np.abs(e) < FLOAT32_MAX / 1e3) for e in expected))
    names = output_names(cell_facts(case.cell).states, count=len(expected))
    actual = keras_outputs(case, unroll=unroll)
    assert_outputs_close(actual, expected, names=names, case=dict(case=case, unroll=unroll))


