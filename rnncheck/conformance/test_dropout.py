"""dropout and recurrent_dropout: inert at inference, and in training what needs no access to Keras's random numbers.

How Keras 3.15 implements it (layers/rnn/dropout_rnn_cell.py, simple_rnn.py, gru.py, lstm.py and each backend's
random.dropout), as these properties find it:

- One mask per call, shared by every time step: RNN.call makes the cell's masks before the loop
  (`_maybe_config_dropout_masks`, from `ones_like(x[:, 0])` and `ones_like(h_0)`, both (batch, features)), the cell
  caches them for every step and the layer drops them after the call. A kept feature is scaled by 1 / (1 - rate).
- GRU and LSTM with recurrent_dropout > 0 switch to implementation 1: one mask per gate (3 or 4), for the inputs and
  for the recurrent state alike; otherwise one input mask serves every gate.
- The random numbers: tensorflow `tf.nn.experimental.stateless_dropout` seeded from the layer's SeedGenerator; jax
  `jax.random.bernoulli` on a key from the SeedGenerator (drawn before the scan, which stays stateless); torch, with a
  seed, `torch.bernoulli` with a `torch.Generator` seeded from the SeedGenerator, and without one
  `torch.nn.functional.dropout`, on torch's global generator. So `seed=` makes a layer repeat itself on every backend.
- GRU and LSTM cells apply a rate only when 0 < rate < 1 (gru.py:197, lstm.py:235); SimpleRNNCell applies any rate
  > 0. GRU.inner_loop and LSTM.inner_loop apply the input mask themselves, for every rate > 0, before trying the
  backend's fused loop (jax: GRU with reset_after, no mask, no unroll; torch: GRU with reset_after and LSTM, without
  a mask; tensorflow: cuDNN only), and fall back to the cell's loop on the raw inputs. What rate 1.0 does therefore
  depends on the backend and the options: test_dropout_one_drops_every_input and
  test_recurrent_dropout_one_drops_the_recurrence state what the documentation ("Fraction of the units to drop")
  says.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from rnncheck import reference
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance import divergences
from rnncheck.conformance.harness import TOLERANCES, assert_outputs_close, output_names
from rnncheck.conformance.layers import as_numpy, keras_layer
from rnncheck.conformance.model_strategies import DropoutCase, dropout_cases

between = st.sampled_from([0.1, 0.5, 0.9]) | st.floats(0.05, 0.95)  # a rate that drops some and keeps some


def keras_outputs(case: DropoutCase, *, training: bool, fresh: bool = False) -> list[np.ndarray]:
    """[output, *states] of a Keras layer with the case's rates, seed and weights."""
    layer = keras_layer(case.cell, **case.layer_options, fresh=fresh)
    return as_numpy(layer(case.x, training=training, **case.call_options))


def reference_outputs(case: DropoutCase, loop=divergences.as_documented, *, x=None, recurrent_kernel=None) -> list:
    """[output, *states] of the reference on x (default: the case's) with recurrent_kernel (default: the case's)."""
    x = case.x if x is None else x
    recurrent_kernel = case.recurrent_kernel if recurrent_kernel is None else recurrent_kernel
    return loop(reference.function(case.cell))(x, case.kernel, recurrent_kernel, case.bias, **case.reference_options)


def assert_layer_close(actual, expected, arguments) -> None:
    names = output_names(cell_facts(arguments["case"].cell).states, count=len(expected))
    assert_outputs_close(actual, expected, names=names, case=arguments)


# Inference: any rate, exactly the reference.

INFERENCE = divergences.Property(
    "test_dropout_is_inert_at_inference",
    actual=lambda case: keras_outputs(case, training=False),
    expected=lambda loop, case: reference_outputs(case, loop),
    compare=assert_layer_close,
)


@given(case=dropout_cases())
def test_dropout_is_inert_at_inference(case):
    INFERENCE.check(case=case)


test_dropout_is_inert_at_inference_on_recorded_examples = INFERENCE.replay_test()


# Training.

RATE_ZERO = divergences.Property(
    "test_rate_zero_changes_nothing_in_training",
    actual=lambda case: keras_outputs(case, training=True),
    expected=lambda loop, case: reference_outputs(case, loop),
    compare=assert_layer_close,
)


@given(case=dropout_cases(dropout=st.just(0.0), recurrent_dropout=st.just(0.0)))
def test_rate_zero_changes_nothing_in_training(case):
    RATE_ZERO.check(case=case)


test_rate_zero_changes_nothing_in_training_on_recorded_examples = RATE_ZERO.replay_test()


NO_RECURRENCE = divergences.Property(
    "test_recurrent_dropout_changes_nothing_without_a_recurrent_kernel",
    actual=lambda case: keras_outputs(case, training=True),
    expected=lambda loop, case: reference_outputs(case, loop),
    compare=assert_layer_close,
)


@given(case=dropout_cases(dropout=st.just(0.0), zero_recurrent_kernel=True))
def test_recurrent_dropout_changes_nothing_without_a_recurrent_kernel(case):
    # With U = 0 the dropped state only ever multiplies zeros; GRU's z * h_{t-1} is never dropped.
    NO_RECURRENCE.check(case=case)


test_recurrent_dropout_changes_nothing_without_a_recurrent_kernel_on_recorded_examples = NO_RECURRENCE.replay_test()


def assert_same(actual, expected, arguments) -> None:
    """A second layer's outputs equal a first's."""
    names = output_names(cell_facts(arguments["case"].cell).states, count=len(expected))
    assert_outputs_close(actual, expected, names=[f"{name} of a second layer, same seed" for name in names],
                         case=arguments)  # fmt: skip


SAME_SEED = divergences.Property(
    "test_the_same_seed_gives_the_same_result",
    actual=lambda case: keras_outputs(case, training=True, fresh=True),
    expected=lambda loop, case: keras_outputs(case, training=True, fresh=True),  # a first layer: the "reference"
    compare=assert_same,
)


@given(case=dropout_cases(dropout=between, recurrent_dropout=st.just(0.0) | between))
def test_the_same_seed_gives_the_same_result(case):
    SAME_SEED.check(case=case)


test_the_same_seed_gives_the_same_result_on_recorded_examples = SAME_SEED.replay_test()


# One mask per sequence: Keras's output is the reference's on x * m / (1 - rate) for some m in {0, 1}^d per
# sequence (the same at every step), found by trying every m; recurrent dropout likewise scales the rows of each
# gate's block of U.


def candidates(bits: int):
    return [np.array(m, dtype=np.float64) for m in itertools.product((0.0, 1.0), repeat=bits)]


def dropped_inputs(case: DropoutCase, loop=divergences.as_documented) -> list[list[np.ndarray]]:
    """The reference's [output, *states] for each input mask m (every sequence dropping the same features)."""
    keep = 1.0 - case.dropout
    return [reference_outputs(case, loop, x=case.x * (m / keep)) for m in candidates(case.input_size)]


def dropped_recurrence(case: DropoutCase, loop=divergences.as_documented) -> list[list[np.ndarray]]:
    """The same for each recurrent mask: one per gate with recurrent_dropout (implementation 1), SimpleRNN's one."""
    keep, u = 1.0 - case.recurrent_dropout, case.units
    gates = cell_facts(case.cell).gate_count
    outputs = []
    for m in candidates(gates * u):
        scale = m.reshape(gates, u).T / keep  # (u, gates): row i of gate g's block of U is scaled by m[g, i]
        outputs.append(reference_outputs(case, loop, recurrent_kernel=case.recurrent_kernel * np.repeat(scale, u, 1)))
    return outputs


def assert_one_mask_per_sequence(actual, every_mask, arguments) -> None:
    """Each sequence (batch row) of Keras's outputs is one mask's reference outputs: the closest one must fit."""
    tol = TOLERANCES["float32"]
    rows = []
    for b in range(actual[0].shape[0]):
        errors = [
            max(float(np.max(np.abs(a[b] - e[b]) - tol["rtol"] * np.abs(e[b]), initial=0.0)) for a, e in
                zip(actual, outputs, strict=True))
            for outputs in every_mask
        ]  # fmt: skip
        rows.append(int(np.nanargmin(errors)) if not np.all(np.isnan(errors)) else 0)
    expected = [np.stack([every_mask[j][k][b] for b, j in enumerate(rows)]) for k in range(len(actual))]
    case = arguments["case"]
    names = output_names(cell_facts(case.cell).states, count=len(expected))
    names = [f"{name} (the closest of {len(every_mask)} masks per sequence)" for name in names]
    assert_outputs_close(actual, expected, names=names, case=arguments)


ONE_INPUT_MASK = divergences.Property(
    "test_one_dropout_mask_per_sequence",
    actual=lambda case: keras_outputs(case, training=True),
    expected=lambda loop, case: dropped_inputs(case, loop),
    compare=assert_one_mask_per_sequence,
)

# x the same at every step and U = 0: every step's pre-activation sees the same dropped features (SimpleRNN: every
# step's output is equal).
CONSTANT = DropoutCase(
    cell="simple",
    x=np.tile(np.array([[[1.0, -0.5, 2.0]]], np.float32), (2, 5, 1)),
    kernel=np.array([[0.5, -1.0], [1.0, 0.25], [-0.5, 0.5]], np.float32),
    recurrent_kernel=np.zeros((2, 2), np.float32),
    bias=np.array([0.1, -0.1], np.float32),
    dropout=0.5,
    seed=1,
)


@given(case=dropout_cases(dropout=between, recurrent_dropout=st.just(0.0)))
@example(case=CONSTANT)
def test_one_dropout_mask_per_sequence(case):
    ONE_INPUT_MASK.check(case=case)


test_one_dropout_mask_per_sequence_on_recorded_examples = ONE_INPUT_MASK.replay_test()


def constant_step_outputs(case: DropoutCase) -> list[np.ndarray]:
    output = keras_outputs(case, training=True)[0]  # (batch, time, u)
    return [output[:, t] for t in range(output.shape[1])]


@given(
    case=dropout_cases(cell="simple", dropout=between, recurrent_dropout=st.just(0.0), options=False,
                       zero_recurrent_kernel=True)  # fmt: skip
)
@example(case=CONSTANT)
def test_simple_rnn_without_recurrence_outputs_one_value_per_sequence_under_dropout(case):
    case = dataclasses.replace(case, x=np.repeat(case.x[:, :1], case.x.shape[1], axis=1))  # x_t = x_0
    steps = constant_step_outputs(case)
    assert_outputs_close(steps, [steps[0]] * len(steps), names=[f"output at step {t}" for t in range(len(steps))],
                         case=case)  # fmt: skip


ONE_RECURRENT_MASK = divergences.Property(
    "test_one_recurrent_dropout_mask_per_sequence",
    actual=lambda case: keras_outputs(case, training=True),
    expected=lambda loop, case: dropped_recurrence(case, loop),
    compare=assert_one_mask_per_sequence,
)


@given(case=dropout_cases(dropout=st.just(0.0), recurrent_dropout=between, max_units=2, max_batch=2))
def test_one_recurrent_dropout_mask_per_sequence(case):
    ONE_RECURRENT_MASK.check(case=case)


test_one_recurrent_dropout_mask_per_sequence_on_recorded_examples = ONE_RECURRENT_MASK.replay_test()


# Rate 1: "Fraction of the units to drop" (every cell's docstring), all of them.

def kept(values: np.ndarray, rate: float) -> np.ndarray:
    """What a rate keeps of values at rate 0 or 1: all of them, or none (0 * values / (1 - 1) is no number)."""
    return np.zeros_like(values) if rate == 1.0 else values


ALL_INPUTS_DROPPED = divergences.Property(
    "test_dropout_one_drops_every_input",
    actual=lambda case: keras_outputs(case, training=True),
    expected=lambda loop, case: reference_outputs(case, loop, x=kept(case.x, case.dropout)),
    compare=assert_layer_close,
)


@given(case=dropout_cases(dropout=st.just(1.0), recurrent_dropout=st.just(0.0)))
def test_dropout_one_drops_every_input(case):
    ALL_INPUTS_DROPPED.check(case=case)


test_dropout_one_drops_every_input_on_recorded_examples = ALL_INPUTS_DROPPED.replay_test()


RECURRENCE_DROPPED = divergences.Property(
    "test_recurrent_dropout_one_drops_the_recurrence",
    actual=lambda case: keras_outputs(case, training=True),
    expected=lambda loop, case: reference_outputs(
        case, loop, recurrent_kernel=kept(case.recurrent_kernel, case.recurrent_dropout)
    ),
    compare=assert_layer_close,
)


@given(case=dropout_cases(dropout=st.just(0.0), recurrent_dropout=st.just(1.0)))
def test_recurrent_dropout_one_drops_the_recurrence(case):
    RECURRENCE_DROPPED.check(case=case)


test_recurrent_dropout_one_drops_the_recurrence_on_recorded_examples = RECURRENCE_DROPPED.replay_test()
