"""stateful=True: each call starts from the states the last one left (keras.layers.RNN's docstring: "the last state
for each sample at index i in a batch will be used as initial state for the sample of index i in the following
batch"), so consecutive chunks of a sequence are one call on the whole; reset_state() restarts from zeros and
reset_state(states=...) from given states ("You can specify the initial state of RNN layers numerically by calling
reset_state() with the keyword argument states"); a batch of another size is refused."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
from hypothesis import example, given

from rnncheck import reference
from rnncheck.cells import SEQUENCE_CELLS
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance import divergences
from rnncheck.conformance.harness import assert_outputs_close, output_names
from rnncheck.conformance.layers import as_numpy
from rnncheck.conformance.model_strategies import StatefulCase, stateful_cases
from rnncheck.model import recurrent_layer


def stateful_model(case: StatefulCase, **overrides) -> tuple[keras.Sequential, keras.layers.Layer]:
    """A fresh stateful layer holding the case's weights, in a Sequential on keras.Input(batch_shape=(batch, time, d))
    (the fixed batch size a stateful layer needs), and the layer."""
    options = dict(return_sequences=case.return_sequences, go_backwards=case.go_backwards) | overrides
    layer = recurrent_layer(
        case.cell, units=case.units, use_bias=case.forward[2] is not None, reset_after=case.reset_after,
        bidirectional=case.bidirectional, merge_mode=case.merge_mode, zeros=True, stateful=True, **options,
    )  # fmt: skip
    model = keras.Sequential([keras.Input(batch_shape=case.x.shape), layer])
    layer.set_weights(case.weights)
    return model, layer


def stateful_layer(case: StatefulCase, **overrides) -> keras.layers.Layer:
    return stateful_model(case, **overrides)[1]


def keras_states(layer) -> list[np.ndarray]:
    """A stateful layer's states as it holds them now (Bidirectional: the forward layer's, then the backward's):
    copies, since torch assigns a state in place and a view would change with the next call."""
    return [np.array(state, copy=True) for state in as_numpy([state.value for state in layer.states])]


def chunk_call(case: StatefulCase, start: int, stop: int) -> dict:
    return {} if case.mask is None else {"mask": case.mask[:, start:stop]}


def reference_call(case: StatefulCase, x, *, loop, initial_state, mask, **options) -> list[np.ndarray]:
    """[outputs..., states...] of the reference's layer (or Bidirectional) on x from initial_state."""
    run = loop(reference.function(case.cell))
    if case.cell == "gru":
        options["reset_after"] = case.reset_after
    if not case.bidirectional:
        return run(x, *case.forward, initial_state=initial_state, mask=mask, return_state=True,
                   go_backwards=case.go_backwards, **options)  # fmt: skip
    return reference.bidirectional(run, x, case.forward, case.backward, merge_mode=case.merge_mode,
                                   initial_state=initial_state, mask=mask, return_state=True, **options)  # fmt: skip


def zero_states(case: StatefulCase) -> list[np.ndarray]:
    directions = 2 if case.bidirectional else 1
    return [np.zeros((case.x.shape[0], case.units)) for _ in range(directions * len(cell_facts(case.cell).states))]


def output_count(case: StatefulCase) -> int:
    return 2 if case.bidirectional and case.merge_mode is None else 1


def chunk_names(case: StatefulCase) -> list[str]:
    """Each chunk's output(s), then the final states, named."""
    states = output_names(cell_facts(case.cell).states, count=99, directions=2 if case.bidirectional else 1,
                          merged=case.merge_mode is not None)  # fmt: skip
    outputs, states = states[: output_count(case)], states[output_count(case) :]
    return [f"{name} of chunk {k}" for k in range(len(case.chunks)) for name in outputs] + states[
        : len(zero_states(case))
    ]


# Consecutive chunks: call k is the reference on chunk k started from the states chunk k - 1 left.


def keras_chunks(case: StatefulCase) -> list[np.ndarray]:
    layer = stateful_layer(case)
    outputs = []
    for start, stop in case.bounds:
        outputs += as_numpy(layer(case.x[:, start:stop], **chunk_call(case, start, stop)))
    return outputs + keras_states(layer)


def reference_chunks(case: StatefulCase, loop=divergences.as_documented) -> list[np.ndarray]:
    outputs, states, count = [], zero_states(case), output_count(case)
    for start, stop in case.bounds:
        mask = None if case.mask is None else case.mask[:, start:stop]
        returned = reference_call(case, case.x[:, start:stop], loop=loop, initial_state=states, mask=mask,
                                  return_sequences=case.return_sequences)  # fmt: skip
        outputs += returned[:count]
        states = returned[count:]
    return outputs + list(states)


def assert_chunks_close(actual, expected, arguments) -> None:
    assert_outputs_close(actual, expected, names=chunk_names(arguments["case"]), case=arguments)


CHUNKS_CONTINUE = divergences.Property(
    "test_each_chunk_continues_from_the_states_the_last_left",
    actual=lambda case: keras_chunks(case),
    expected=lambda loop, case: reference_chunks(case, loop),
    compare=assert_chunks_close,
)

# One unit, W = U = 1: chunk 2 starts from h = tanh(1), as the whole sequence's step 2 does.
BY_HAND = StatefulCase(
    cell="simple",
    x=np.ones((1, 3, 1), np.float32),
    forward=(np.ones((1, 1), np.float32), np.ones((1, 1), np.float32), None),
    chunks=(1, 2),
    return_sequences=True,
    states=(np.zeros((1, 1), np.float32),),
)


@given(case=stateful_cases())
@example(case=BY_HAND)
def test_each_chunk_continues_from_the_states_the_last_left(case):
    CHUNKS_CONTINUE.check(case=case)


test_each_chunk_continues_from_the_states_the_last_left_on_recorded_examples = CHUNKS_CONTINUE.replay_test()


# Chunks against one call on the whole sequence: the same outputs at every real step and the same final states.
# (A masked step repeats the previous output of the same call, zeros before its first real step: a chunk that begins
# with masked steps does not see the last chunk's output, which the test above checks; Bidirectional's backward
# direction reads each chunk from its own end, so only its forward direction is one whole call.)


def whole_case(case: StatefulCase) -> StatefulCase:
    """The case returning sequences, and a Bidirectional returning its directions apart (merge_mode None)."""
    return dataclasses.replace(case, return_sequences=True, merge_mode=None if case.bidirectional else "concat")


def at_real_steps(y: np.ndarray, mask) -> np.ndarray:
    return y if mask is None else np.where(mask[..., None], y, 0.0)


def keras_forward_chunks(case: StatefulCase) -> list[np.ndarray]:
    """The forward output of the chunks, joined along time (zero at masked steps), and the forward final states."""
    layer = stateful_layer(case)
    outputs = []
    for start, stop in case.bounds:
        outputs.append(as_numpy(layer(case.x[:, start:stop], **chunk_call(case, start, stop)))[0])
    states = keras_states(layer)
    return [at_real_steps(np.concatenate(outputs, axis=1), case.mask)] + states[: len(cell_facts(case.cell).states)]


def reference_whole(case: StatefulCase, loop=divergences.as_documented) -> list[np.ndarray]:
    run = loop(reference.function(case.cell))
    options = {"reset_after": case.reset_after} if case.cell == "gru" else {}
    y, *states = run(case.x, *case.forward, mask=case.mask, return_sequences=True, return_state=True, **options)
    return [at_real_steps(y, case.mask), *states]


def assert_whole_close(actual, expected, arguments) -> None:
    names = output_names(cell_facts(arguments["case"].cell).states, count=len(expected))
    names[0] = "chunks' output at the real steps"
    assert_outputs_close(actual, expected, names=names, case=arguments)


CHUNKS_ARE_ONE_CALL = divergences.Property(
    "test_consecutive_chunks_equal_one_call_on_the_whole_sequence",
    actual=lambda case: keras_forward_chunks(whole_case(case)),
    expected=lambda loop, case: reference_whole(whole_case(case), loop),
    compare=assert_whole_close,
)


@given(case=stateful_cases(go_backwards=False))
@example(case=BY_HAND)
def test_consecutive_chunks_equal_one_call_on_the_whole_sequence(case):
    CHUNKS_ARE_ONE_CALL.check(case=case)



# reset_state.


def reset_to_zeros(case: StatefulCase) -> list[np.ndarray]:
    """A call, reset_state(), the states it holds then, and a second call's outputs and states."""
    layer = stateful_layer(case)
    layer(case.x)
    layer.reset_state()
    held = keras_states(layer)
    return held + as_numpy(layer(case.x, **chunk_call(case, 0, case.x.shape[1]))) + keras_states(layer)


def reference_from_zeros(case: StatefulCase, loop=divergences.as_documented) -> list[np.ndarray]:
    returned = reference_call(case, case.x, loop=loop, initial_state=zero_states(case), mask=case.mask,
                              return_sequences=case.return_sequences)  # fmt: skip
    return zero_states(case) + returned[: output_count(case)] + returned[output_count(case) :]


def assert_reset_close(actual, expected, arguments) -> None:
    case = arguments["case"]
    n = len(zero_states(case))
    names = output_names(cell_facts(case.cell).states, count=99, directions=2 if case.bidirectional else 1,
                         merged=case.merge_mode is not None)  # fmt: skip
    outputs, states = names[: output_count(case)], names[output_count(case) :][:n]
    names = [f"{s} held after reset_state" for s in states] + outputs + [f"{s} after the call" for s in states]
    assert_outputs_close(actual, expected, names=names, case=arguments)


RESET_TO_ZEROS = divergences.Property(
    "test_reset_state_restarts_from_zeros",
    actual=lambda case: reset_to_zeros(case),
    expected=lambda loop, case: reference_from_zeros(case, loop),
    compare=assert_reset_close,
)


@given(case=stateful_cases())
def test_reset_state_restarts_from_zeros(case):
    RESET_TO_ZEROS.check(case=case)


test_reset_state_restarts_from_zeros_on_recorded_examples = RESET_TO_ZEROS.replay_test()


def reset_to_given(case: StatefulCase) -> list[np.ndarray]:
    """A call, reset_state(states=case.states) as RNN's docstring has it, the states held, and a second call."""
    layer = stateful_layer(case)
    layer(case.x)
    layer.reset_state(states=[np.asarray(s) for s in case.states])
    held = keras_states(layer)
    return held + as_numpy(layer(case.x, **chunk_call(case, 0, case.x.shape[1]))) + keras_states(layer)


def reference_from_given(case: StatefulCase, loop=divergences.as_documented) -> list[np.ndarray]:
    returned = reference_call(case, case.x, loop=loop, initial_state=list(case.states), mask=case.mask,
                              return_sequences=case.return_sequences)  # fmt: skip
    return list(case.states) + returned[: output_count(case)] + returned[output_count(case) :]


RESET_TO_GIVEN = divergences.Property(
    "test_reset_state_with_states_starts_from_them",
    actual=lambda case: reset_to_given(case),
    expected=lambda loop, case: reference_from_given(case, loop),
    compare=assert_reset_close,
)


@given(case=stateful_cases())
def test_reset_state_with_states_starts_from_them(case):
    RESET_TO_GIVEN.check(case=case)


test_reset_state_with_states_starts_from_them_on_recorded_examples = RESET_TO_GIVEN.replay_test()


# Another batch size.

PINNED = [
    StatefulCase(
        cell=cell,
        x=np.full((2, 3, 2), 0.5, np.float32),
        forward=tuple(np.full(s, 0.25, np.float32) for s in [(2, gu), (2, gu), (gu,)]),
        backward=tuple(np.full(s, -0.25, np.float32) for s in [(2, gu), (2, gu), (gu,)]) if bidi else None,
        reset_after=False,
        chunks=(3,),
        states=(),
    )
    for cell, gu in zip(SEQUENCE_CELLS, (2, 6, 8), strict=True)  # 2 units: G * 2 wide
    for bidi in (False, True)
]
PINNED_IDS = [f"{case.cell}{'-bidirectional' if case.bidirectional else ''}" for case in PINNED]


@pytest.mark.parametrize("case", PINNED, ids=PINNED_IDS)
@pytest.mark.parametrize("batch", [1, 3], ids=["smaller", "larger"])
def test_stateful_layer_refuses_a_batch_of_another_size(case, batch):
    layer = stateful_layer(case)
    other = np.zeros((batch, 3, 2), np.float32)
    message = rf"batch size of the input sequences must be the same as the batch size of the initial state.*\n" \
              rf"- Expected batch size: 2\n- Received batch size: {batch}"  # fmt: skip
    with pytest.raises(ValueError, match=message):
        layer(other)


@pytest.mark.parametrize(
    "case", divergences.marked("test_stateful_model_refuses_a_last_batch_of_another_size", PINNED[::2], PINNED_IDS[::2])
)
def test_stateful_model_refuses_a_last_batch_of_another_size(case):
    # predict on 3 sequences, 2 at a time: the last batch holds 1, which the layer's 2 states do not fit.
    model, _ = stateful_model(case)
    with pytest.raises(ValueError, match=r"Expected batch size: 2\n- Received batch size: 1"):
        model.predict(np.zeros((3, 3, 2), np.float32), batch_size=2, verbose=0)


# Bidirectional with return_state.


def stateful_bidirectional_states(case: StatefulCase) -> list[np.ndarray]:
    layer = stateful_layer(case, return_state=True)
    return as_numpy(layer(case.x))


@pytest.mark.parametrize(
    "case", divergences.marked("test_stateful_bidirectional_returns_its_states", PINNED[1::2], PINNED_IDS[1::2])
)
def test_stateful_bidirectional_returns_its_states(case):
    actual = stateful_bidirectional_states(case)
    expected = reference_call(case, case.x, loop=divergences.as_documented, initial_state=zero_states(case),
                              mask=None, return_sequences=False)  # fmt: skip
    names = output_names(cell_facts(case.cell).states, count=len(expected), directions=2)
    assert_outputs_close(actual, expected, names=names, case=case)
