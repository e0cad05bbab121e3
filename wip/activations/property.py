"""Goes back into rnncheck/conformance/test_reference.py (see README.md)."""

# FLOAT32_TOLERANCE was set for tanh and sigmoid: slopes at most 1 and states in [-1, 1], so a step's rounding
# error neither grows nor scales with the states. Other activations grow it (selu's slope is 1.76, exponential's
# its value) and their states are unbounded, so sums cancel (a GRU's z h + (1 - z) h~ with linear gates). The
# property allows each output, on top, what rounding the case's numbers to float32 moves the reference by: a
# float32 step's sums of n = d + u + 1 products are exact for inputs perturbed by at most n 2^-24 each (Higham's
# gamma_n), so that perturbation, drawn with random signs, estimates the error float32 arithmetic can reach.
ROUNDING_DRAWS = 4
UNIT_ROUNDOFF = 2.0**-24  # float32's
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _perturbed(array, rng, relative):
    if array is None:
        return None
    array = np.asarray(array, np.float64)
    return array * (1.0 + relative * rng.choice([-1.0, 1.0], size=array.shape))


def rounding_slack(case: SequenceCase, loop=divergences.as_documented) -> list[np.ndarray]:
    """Per output, the largest |change| of the reference over ROUNDING_DRAWS perturbations of x, the weights and
    the initial state, each element by a relative +-(d + u + 1) 2^-24 (seeded: the same case, the same slack)."""
    rng = np.random.default_rng(0)
    relative = (case.input_size + case.units + 1) * UNIT_ROUNDOFF
    expected = reference_outputs(case, loop)
    slack = [np.zeros_like(e) for e in expected]
    for _ in range(ROUNDING_DRAWS):
        states = None if case.initial_state is None else tuple(_perturbed(s, rng, relative) for s in case.initial_state)
        moved = dataclasses.replace(
            case,
            x=_perturbed(case.x, rng, relative),
            kernel=_perturbed(case.kernel, rng, relative),
            recurrent_kernel=_perturbed(case.recurrent_kernel, rng, relative),
            bias=_perturbed(case.bias, rng, relative),
            initial_state=states,
        )
        outputs = reference_outputs(moved, loop)
        slack = [np.maximum(s, np.abs(m - e)) for s, m, e in zip(slack, outputs, expected, strict=True)]
    return slack


def within_float32(case: SequenceCase) -> bool:
    """Everything the reference computes stays 1000x inside float32's range: beyond it (exponential, which a
    few steps can take past e^88) Keras's float32 overflows where the float64 reference does not, which is about
    float32, not the layer."""
    options = case.reference_options
    magnitude = reference.largest_magnitude(case.cell, case.x, case.kernel, case.recurrent_kernel, case.bias, **options)
    return magnitude < FLOAT32_MAX / 1e3


def assert_layer_close_for_its_conditioning(actual, expected, arguments) -> None:
    case = arguments["case"]
    names = output_names(cell_facts(case.cell).states, count=len(expected))
    assert_outputs_close(actual, expected, names=names, case=arguments, slack=rounding_slack(case))


EVERY_ACTIVATION = dataclasses.replace(REFERENCE_MATCHES_KERAS, compare=assert_layer_close_for_its_conditioning)


@pytest.mark.parametrize("unroll", [False, True], ids=["loop", "unroll"])
@given(case=sequence_cases(activations=ACTIVATION_NAMES))
def test_reference_matches_keras_for_every_activation(case, unroll):
    # The occurrences of test_reference_matches_keras hold here: the same layer, other activations drawn.
    assume(within_float32(case))
    EVERY_ACTIVATION.check(case=case, unroll=unroll)


