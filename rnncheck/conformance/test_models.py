"""Recurrent layers inside models: masks made by Embedding and Masking reach every layer and the outputs are the
reference's; symbolic calls and compute_output_shape give the eager shapes; get_config / from_config and
model.save / load_model (on this backend and on another) keep what a layer computes; keras.layers.RNN over a
built-in cell, or a list of them, is the reference's layer, or stack."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import example, given

from rnncheck import compiled, reference
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance import divergences
from rnncheck.conformance.backends import require
from rnncheck.conformance.harness import assert_outputs_close, output_names
from rnncheck.conformance.layers import as_numpy
from rnncheck.conformance.model_strategies import (
    DenseBlock,
    MaskedModelCase,
    RoundTripCase,
    StackedCellsCase,
    SymbolicCase,
    masked_model_cases,
    round_trip_cases,
    stacked_cells_cases,
    symbolic_cases,
)
from rnncheck.conformance.strategies import SequenceCase, StackedLayer, sequence_cases
from rnncheck.model import recurrent_layer

UNROLL = pytest.mark.parametrize("unroll", [False, True], ids=["loop", "unroll"])
API = pytest.mark.parametrize("api", ["sequential", "functional"])
BACKENDS = ("tensorflow", "jax", "torch")


def listed(returned) -> list:
    return list(returned) if isinstance(returned, (list, tuple)) else [returned]


def keras_mask(tensor):
    """The mask Keras attached to a tensor (its _keras_mask), or None."""
    try:
        from keras.src.backend import get_keras_mask  # not in keras.backend's public API; Keras 3.6 and later
    except ImportError:  # Keras 3.3-3.5 keep the mask as the tensor's attribute (bench/history.py runs them)
        return getattr(tensor, "_keras_mask", None)
    return get_keras_mask(tensor)


# Masks through models.


def keras_block(block, *, return_sequences: bool = True, return_state: bool = False) -> keras.layers.Layer:
    """A fresh Keras layer for a drawn block (weights set once the model is built)."""
    if isinstance(block, DenseBlock):
        return keras.layers.TimeDistributed(keras.layers.Dense(block.output_size))
    return recurrent_layer(
        block.cell, units=block.units, use_bias=block.forward[2] is not None, reset_after=block.reset_after,
        bidirectional=block.backward is not None, merge_mode=block.merge_mode, zeros=True,
        return_sequences=return_sequences, return_state=return_state,
    )  # fmt: skip


def model_layers(case: MaskedModelCase) -> tuple[keras.layers.Layer, list[keras.layers.Layer]]:
    """The front (Embedding or Masking) and one layer per block, the top taking the case's return options."""
    if case.front == "embedding":
        front = keras.layers.Embedding(*case.embeddings.shape, mask_zero=True)
    else:
        front = keras.layers.Masking(mask_value=case.mask_value)
    *below, top = case.blocks
    layers = [keras_block(block) for block in below]
    layers.append(keras_block(top, return_sequences=case.return_sequences, return_state=case.return_state))
    return front, layers


def model_input(case: MaskedModelCase) -> keras.KerasTensor:
    if case.front == "embedding":
        return keras.Input(case.inputs.shape[1:], dtype="int32")
    return keras.Input(case.inputs.shape[1:])


def keras_model(case: MaskedModelCase, api: str) -> tuple[keras.Model, keras.layers.Layer, list]:
    """The case's model, built as a Sequential or with the functional API, holding the case's weights."""
    front, layers = model_layers(case)
    if api == "sequential":
        model = keras.Sequential([model_input(case), front, *layers])
    else:
        inputs = model_input(case)
        x = front(inputs)
        for layer in layers:
            x = layer(x)
        model = keras.Model(inputs, x)
    if case.front == "embedding":
        front.set_weights([case.embeddings])
    for layer, block in zip(layers, case.blocks, strict=True):
        layer.set_weights(block.weights)
    return model, front, layers


def reference_block(block, loop=divergences.as_documented, **options):
    """block as rnncheck.reference.stack calls it: block(x, mask=..., return_sequences=...)."""
    if isinstance(block, DenseBlock):
        return lambda x, mask=None, return_sequences=True: np.asarray(x, np.float64) @ block.kernel + block.bias
    run = loop(reference.function(block.cell))
    if block.cell == "gru":
        options["reset_after"] = block.reset_after
    if block.backward is None:
        return lambda x, **call: run(x, *block.forward, **{**options, **call})
    return functools.partial(
        reference.bidirectional, run, forward=block.forward, backward=block.backward, merge_mode=block.merge_mode,
        **options,
    )  # fmt: skip


def reference_model_outputs(case: MaskedModelCase, loop=divergences.as_documented) -> list[np.ndarray]:
    """The reference's stack of the case's blocks on the embedded (or raw) steps, fed the mask the data implies."""
    *below, top = case.blocks
    layers = [reference_block(block, loop) for block in below]
    layers.append(reference_block(top, loop, return_sequences=case.return_sequences, return_state=case.return_state))
    return listed(reference.stack(case.x, layers, mask=case.mask))


def assert_model_close(actual, expected, arguments) -> None:
    case = arguments["case"]
    top = case.top
    names = output_names(cell_facts(top.cell).states, count=len(expected), directions=2 if top.backward else 1)
    names[0] = f"output of layer {len(case.blocks) - 1}"
    assert_outputs_close(actual, expected, names=names, case=arguments)


def masked_model_outputs(case: MaskedModelCase, api: str) -> list[np.ndarray]:
    model, _, _ = keras_model(case, api)
    return as_numpy(compiled.call(model, case.inputs))


MASKED_MODEL_MATCHES_REFERENCE = divergences.Property(
    "test_masked_model_matches_reference_stack",
    actual=lambda case, api: masked_model_outputs(case, api),
    expected=lambda loop, case, api: reference_model_outputs(case, loop),
    compare=assert_model_close,
)

# Three sequences over 3 steps: right-padded [5, 2, 0], left-padded [0, 0, 1] and all padding [0, 0, 0].
BY_HAND = MaskedModelCase(
    front="embedding",
    inputs=np.array([[5, 2, 0], [0, 0, 1], [0, 0, 0]], np.int32),
    embeddings=np.linspace(-1, 1, 12, dtype=np.float32).reshape(6, 2),
    blocks=(
        StackedLayer(
            cell="gru",
            forward=(np.full((2, 6), 0.5, np.float32), np.full((2, 6), -0.25, np.float32), None),
            backward=(np.full((2, 6), 0.25, np.float32), np.full((2, 6), 0.5, np.float32), None),
        ),
        DenseBlock(np.eye(4, 2, dtype=np.float32), np.full(2, 0.1, np.float32)),
        StackedLayer(cell="lstm", forward=(np.full((2, 8), 0.3, np.float32), np.eye(2, 8, dtype=np.float32), None)),
    ),
    return_sequences=True,
    paddings=("right", "left", "all"),
)


SUBNORMAL = divergences.SUBNORMAL  # Masking(0.0) on 1e-45, which is not 0.0


@API
@given(case=masked_model_cases())
@example(case=BY_HAND)
@example(case=SUBNORMAL)
def test_masked_model_matches_reference_stack(case, api):
    MASKED_MODEL_MATCHES_REFERENCE.check(case=case, api=api)


test_masked_model_matches_reference_stack_on_recorded_examples = MASKED_MODEL_MATCHES_REFERENCE.replay_test()


def assert_mask_is(actual, expected, *, what: str, case) -> None:
    """A Keras mask (tensor or None) is the expected one (bool array or None)."""
    if expected is None:
        assert actual is None, f"{what}: Keras passes on a mask, expected None\ncase: {case!r}"
        return
    assert actual is not None, f"{what}: Keras passes on no mask, expected {expected.tolist()}\ncase: {case!r}"
    actual = np.asarray(keras.ops.convert_to_numpy(actual))
    assert_outputs_close([actual.astype(np.float32)], [expected.astype(np.float32)], names=[what], case=case)


def every_output_model(case: MaskedModelCase) -> tuple[keras.Model, list, list[int]]:
    """A functional model of the case that returns every layer's outputs (the front's, then each layer's, states
    included), holding the case's weights; its layers after the front; and how many outputs each has."""
    front, layers = model_layers(case)
    inputs = model_input(case)
    x = front(inputs)
    outputs, counts = [x], []
    for layer in layers:
        returned = listed(layer(x))
        outputs += returned
        counts.append(len(returned))
        x = returned[0]
    model = keras.Model(inputs, outputs)
    if case.front == "embedding":
        front.set_weights([case.embeddings])
    for layer, block in zip(layers, case.blocks, strict=True):
        layer.set_weights(block.weights)
    return model, layers, counts


def keras_masks(case: MaskedModelCase) -> list:
    """The mask on the front's output, then per layer the mask on each of its outputs and what its compute_mask
    gives for them (bool arrays or None), from one call of a model returning every layer's outputs."""
    model, layers, counts = every_output_model(case)
    returned = listed(model(case.inputs))  # one call: every layer's outputs, with the masks Keras attached
    x, at = returned[0], 1
    masks = [keras_mask(x)]
    for layer, count in zip(layers, counts, strict=True):
        outputs, at = returned[at : at + count], at + count
        computed = keras.tree.flatten(layer.compute_mask(x, keras_mask(x)))
        computed += [None] * (count - len(computed))  # Keras zips the masks with the outputs
        masks += [keras_mask(tensor) for tensor in outputs] + computed[:count]
        x = outputs[0]
    return [None if m is None else np.asarray(keras.ops.convert_to_numpy(m)) for m in masks]


def documented_masks(case: MaskedModelCase) -> list:
    # Keras's RNN docstring and compute_mask: the input mask goes on with return_sequences=True, no mask without;
    # a state (return_state) carries none. TimeDistributed(Dense) passes its input's mask on.
    masks = [case.mask]
    for depth, block in enumerate(case.blocks):
        top = depth == len(case.blocks) - 1
        passes = isinstance(block, DenseBlock) or not top or case.return_sequences
        expected = [case.mask if passes else None]
        if top and case.return_state:
            expected += [None] * (len(cell_facts(block.cell).states) * (2 if block.backward else 1))
        masks += expected + expected  # on the outputs, and from compute_mask
    return masks


def mask_names(case: MaskedModelCase) -> list[str]:
    names = ["mask of the front"]
    for depth, block in enumerate(case.blocks):
        top = depth == len(case.blocks) - 1
        count = 1 + (len(cell_facts(block.cell).states) * (2 if block.backward else 1) if top and case.return_state
                     else 0)  # fmt: skip
        kind = "TimeDistributed" if isinstance(block, DenseBlock) else "recurrent"
        outputs = [f"mask of layer {depth} ({kind}) on its output {i}" for i in range(count)]
        names += outputs + [f"compute_mask: {name}" for name in outputs]
    return names


def assert_masks_are(actual, expected, arguments) -> None:
    case = arguments["case"]
    names = mask_names(case)
    assert len(actual) == len(expected) == len(names), f"{len(actual)} masks, expected {len(expected)}\ncase: {case!r}"
    for mask, want, name in zip(actual, expected, names, strict=True):
        assert_mask_is(mask, want, what=name, case=case)


EACH_LAYER_PASSES_THE_MASK = divergences.Property(
    "test_each_layer_passes_on_the_documented_mask",
    actual=keras_masks,
    expected=lambda loop, case: documented_masks(case),
    compare=assert_masks_are,
)


@given(case=masked_model_cases())
@example(case=BY_HAND)
@example(case=SUBNORMAL)
def test_each_layer_passes_on_the_documented_mask(case):
    EACH_LAYER_PASSES_THE_MASK.check(case=case)


test_each_layer_passes_on_the_documented_mask_on_recorded_examples = EACH_LAYER_PASSES_THE_MASK.replay_test()


# Symbolic shapes: keras.Input through a layer, a stack or a Bidirectional, against the eager call.


def symbolic_layers(case: SymbolicCase) -> list[keras.layers.Layer]:
    """Fresh layers (zero weights) for the case, bottom first; every one below the top returns sequences."""
    top = len(case.cells) - 1
    return [
        recurrent_layer(
            cell, units=units, zeros=True, bidirectional=case.kind == "bidirectional", merge_mode=case.merge_mode,
            return_sequences=depth < top or case.return_sequences, return_state=depth == top and case.return_state,
        )  # fmt: skip
        for depth, (cell, units) in enumerate(zip(case.cells, case.units, strict=True))
    ]


def symbolic_input_shape(case: SymbolicCase) -> tuple:
    return (case.batch if case.fixed_batch else None, case.time if case.fixed_time else None, case.input_size)


def open_axes(shape: tuple, case: SymbolicCase) -> tuple:
    """An eager shape with the axes keras.Input left open as None: batch, and time where the output has it."""
    shape = list(shape)
    if not case.fixed_batch:
        shape[0] = None
    if not case.fixed_time and len(shape) == 3:
        shape[1] = None
    return tuple(shape)


def shapes_of(returned) -> list[tuple]:
    return [tuple(t.shape) for t in keras.tree.flatten(returned)]


def symbolic_and_eager(case: SymbolicCase):
    """(the symbolic outputs' shapes, the eager outputs' shapes with open axes as None, the layers, the input shape)."""
    layers = symbolic_layers(case)
    input_shape = symbolic_input_shape(case)
    symbolic = keras.Input(batch_shape=input_shape)
    for layer in layers:
        symbolic = layer(symbolic)
    eager = np.zeros((case.batch, case.time, case.input_size), np.float32)
    for layer in layers:
        eager = layer(eager)
    return shapes_of(symbolic), [open_axes(s, case) for s in shapes_of(eager)], layers, input_shape


@given(case=symbolic_cases())
@example(case=SymbolicCase("bidirectional", ("lstm",), (3,), 2, 4, 5, True, True, None))
def test_symbolic_call_gives_the_eager_shapes(case):
    symbolic, eager, _, _ = symbolic_and_eager(case)
    assert symbolic == eager, f"symbolic {symbolic} != eager {eager}\ncase: {case!r}"


def shape_list(shapes) -> list[tuple]:
    """compute_output_shape's answer (a shape, or a nest of them) as a flat list of shapes."""
    if isinstance(shapes, (list, tuple)) and all(isinstance(s, int) or s is None for s in shapes):
        return [tuple(shapes)]
    return [s for shape in shapes for s in shape_list(shape)]


@given(case=symbolic_cases())
@example(case=SymbolicCase("bidirectional", ("gru",), (3,), 2, 4, 5, True, True, None))
def test_compute_output_shape_gives_the_eager_shapes(case):
    _, eager, layers, input_shape = symbolic_and_eager(case)
    shape = input_shape
    for layer in layers[:-1]:
        shape = layer.compute_output_shape(shape)  # a lower layer returns one tensor
    computed = shape_list(layers[-1].compute_output_shape(shape))
    assert computed == eager, f"compute_output_shape {computed} != eager {eager}\ncase: {case!r}"


# Round trips: get_config / from_config and model.save / load_model keep every option.


def round_trip_layer(case: RoundTripCase) -> keras.layers.Layer:
    """A fresh layer with the case's options, built and holding the case's weights."""
    options = case.keras_options
    layer = recurrent_layer(case.cell, units=case.units, bidirectional=case.bidirectional, merge_mode=case.merge_mode,
                            zeros=True, **options)  # fmt: skip
    layer.build((None, None, case.input_size))
    layer.set_weights(list(case.weights))
    return layer


def round_trip_call(case: RoundTripCase) -> dict:
    options = {}
    if case.mask is not None:
        options["mask"] = case.mask
    if case.initial_state is not None:
        options["initial_state"] = list(case.initial_state)
    return options


def outputs_or_error(run) -> tuple[list | None, BaseException | None]:
    try:
        return as_numpy(run()), None
    except Exception as error:  # what the original raises, the copy must raise too
        return None, error


def assert_same_behaviour(copy, original, *, case, names) -> None:
    """The copy returns what the original returns or, where the original raises, raises the same."""
    (actual, copy_error), (expected, original_error) = copy, original
    if original_error is not None or copy_error is not None:
        described = [None if e is None else f"{type(e).__name__}: {e}" for e in (copy_error, original_error)]
        assert described[0] == described[1], f"copy {described[0]!r}, original {described[1]!r}\ncase: {case!r}"
        return
    assert_outputs_close(actual, expected, names=names, case=case)


def round_trip_names(case: RoundTripCase, count: int) -> list[str]:
    merged = not case.bidirectional or case.merge_mode is not None
    return output_names(cell_facts(case.cell).states, count=count, directions=2 if case.bidirectional else 1,
                        merged=merged)  # fmt: skip


ROUND_TRIP_EXAMPLE = RoundTripCase(
    cell="gru",
    x=np.linspace(-1, 1, 2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2),
    weights=(np.full((2, 6), 0.5, np.float32), np.full((2, 6), -0.5, np.float32), np.ones((6,), np.float32)) * 2,
    options=tuple(sorted(dict(
        activation="relu", recurrent_activation="hard_sigmoid", use_bias=True, reset_after=False, return_sequences=True,
        return_state=True, go_backwards=False, unroll=False, zero_output_for_mask=True, dropout=0.25,
        recurrent_dropout=0.5, seed=7,
    ).items())),  # fmt: skip
    bidirectional=True,
    merge_mode=None,
    mask=np.array([[True, True, False], [False, True, True]]),
)


def config_copy_behaviour(case: RoundTripCase) -> tuple:
    """What a layer made by from_config(get_config()) of the case's layer returns (or raises) on the case's call."""
    original = round_trip_layer(case)
    copy = type(original).from_config(original.get_config())
    copy.build((None, None, case.input_size))
    copy.set_weights(original.get_weights())
    return outputs_or_error(lambda: copy(case.x, **round_trip_call(case)))


def original_behaviour(case: RoundTripCase) -> tuple:
    return outputs_or_error(lambda: round_trip_layer(case)(case.x, **round_trip_call(case)))


def assert_same_as_original(actual, expected, arguments) -> None:
    case = arguments["case"]
    count = len(actual[0] or expected[0] or [None])
    assert_same_behaviour(actual, expected, case=case, names=round_trip_names(case, count))


CONFIG_ROUND_TRIP = divergences.Property(
    "test_config_round_trip_gives_the_same_outputs",
    actual=config_copy_behaviour,
    expected=lambda loop, case: original_behaviour(case),  # the original layer is the copy's reference
    compare=assert_same_as_original,
)


@given(case=round_trip_cases())
@example(case=ROUND_TRIP_EXAMPLE)
def test_config_round_trip_gives_the_same_outputs(case):
    CONFIG_ROUND_TRIP.check(case=case)


test_config_round_trip_gives_the_same_outputs_on_recorded_examples = CONFIG_ROUND_TRIP.replay_test()


def round_trip_model(case: RoundTripCase) -> tuple[keras.Model, list]:
    """A functional model of the case's layer with the call's mask and initial states as inputs, and those inputs."""
    batch, time, d = case.x.shape
    layer = round_trip_layer(case)
    inputs, values, call = [keras.Input((time, d))], [case.x], {}
    if case.mask is not None:
        inputs.append(keras.Input((time,), dtype="bool"))
        values.append(case.mask)
        call["mask"] = inputs[-1]
    if case.initial_state is not None:
        states = [keras.Input((case.units,)) for _ in case.initial_state]
        inputs += states
        values += list(case.initial_state)
        call["initial_state"] = states
    return keras.Model(inputs, layer(inputs[0], **call)), values


def loaded_behaviour(case: RoundTripCase) -> tuple:
    """What the case's model returns (or raises) once saved as .keras and loaded again."""
    model, values = round_trip_model(case)
    with tempfile.TemporaryDirectory() as folder:  # not tmp_path: one folder per example
        path = Path(folder) / "model.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
    return outputs_or_error(lambda: loaded(values))


def saved_model_behaviour(case: RoundTripCase) -> tuple:
    model, values = round_trip_model(case)
    return outputs_or_error(lambda: model(values))


SAVED_MODEL_ROUND_TRIP = divergences.Property(
    "test_saved_model_loads_with_the_same_outputs",
    actual=loaded_behaviour,
    expected=lambda loop, case: saved_model_behaviour(case),  # the model before saving is the reference
    compare=assert_same_as_original,
)


@given(case=round_trip_cases())
@example(case=ROUND_TRIP_EXAMPLE)
def test_saved_model_loads_with_the_same_outputs(case):
    SAVED_MODEL_ROUND_TRIP.check(case=case)


test_saved_model_loads_with_the_same_outputs_on_recorded_examples = SAVED_MODEL_ROUND_TRIP.replay_test()


# One model with every cell, masks from an Embedding, a Bidirectional and a TimeDistributed(Dense), for another backend.

CROSS_BACKEND_IDS = np.array([[3, 1, 4, 0, 0], [0, 0, 2, 5, 1], [0, 0, 0, 0, 0]], np.int32)  # right, left, all padding

CHILD = """
import sys
import numpy as np, keras
model = keras.saving.load_model(sys.argv[1])
output = model(np.load(sys.argv[2]))
np.save(sys.argv[3], keras.ops.convert_to_numpy(keras.ops.stop_gradient(output)))
print(keras.backend.backend())
"""


def cross_backend_model() -> keras.Model:
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((5,), dtype="int32"),
        keras.layers.Embedding(6, 3, mask_zero=True),
        keras.layers.SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True),
        keras.layers.Bidirectional(keras.layers.GRU(2, reset_after=False, return_sequences=True), merge_mode="sum"),
        keras.layers.TimeDistributed(keras.layers.Dense(2)),
        keras.layers.LSTM(2, unit_forget_bias=False),
    ])  # fmt: skip
    model.set_weights([rng.uniform(-1, 1, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def test_model_saved_on_one_backend_loads_on_another(tmp_path):
    here = keras.backend.backend()
    there = BACKENDS[(BACKENDS.index(here) + 1) % len(BACKENDS)] if here in BACKENDS else "tensorflow"
    library = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[there]
    if importlib.util.find_spec(library) is None:
        require(library)  # skips (or fails, where backends are required) saying how to install it
    model = cross_backend_model()
    expected = as_numpy(model(CROSS_BACKEND_IDS))
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "ids.npy", CROSS_BACKEND_IDS)
    env = {**os.environ, "KERAS_BACKEND": there, "TF_CPP_MIN_LOG_LEVEL": "3"}
    args = [str(tmp_path / name) for name in ("model.keras", "ids.npy", "output.npy")]
    result = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"loading on {there} failed:\n{result.stderr[-3000:]}"
    assert result.stdout.split()[-1] == there
    actual = [np.load(tmp_path / "output.npy")]
    assert_outputs_close(actual, expected, names=[f"output saved on {here}, loaded on {there}"])


# keras.layers.RNN over a built-in cell, and over a list of cells.


@functools.lru_cache(maxsize=256)
def _rnn_of_cell(cell: str, units: int, input_size: int, use_bias: bool, reset_after: bool, unroll: bool,
                 return_sequences: bool, go_backwards: bool) -> keras.layers.RNN:  # fmt: skip
    # Shared as rnncheck.conformance.layers shares its layers: one per structure, given each example's weights.
    options = {"reset_after": reset_after} if cell == "gru" else {}
    zeros = dict(kernel_initializer="zeros", recurrent_initializer="zeros", bias_initializer="zeros")
    built = getattr(keras.layers, cell_facts(cell).keras_class + "Cell")(units, use_bias=use_bias, **zeros, **options)
    layer = keras.layers.RNN(built, return_sequences=return_sequences, go_backwards=go_backwards, return_state=True,
                             unroll=unroll)  # fmt: skip
    layer.build((None, None, input_size))
    return layer


def rnn_of_cell_outputs(case: SequenceCase, *, unroll: bool) -> list[np.ndarray]:
    layer = _rnn_of_cell(case.cell, case.units, case.input_size, case.bias is not None, case.reset_after, unroll,
                         case.return_sequences, case.go_backwards)  # fmt: skip
    layer.set_weights(case.weights)
    return as_numpy(compiled.call(layer, case.x, **case.call_options))


def reference_layer_outputs(case: SequenceCase, loop=divergences.as_documented) -> list[np.ndarray]:
    return loop(reference.function(case.cell))(
        case.x, case.kernel, case.recurrent_kernel, case.bias, return_state=True, **case.reference_options
    )


def assert_layer_close(actual, expected, arguments) -> None:
    names = output_names(cell_facts(arguments["case"].cell).states, count=len(expected))
    assert_outputs_close(actual, expected, names=names, case=arguments)


RNN_OF_CELL_MATCHES_REFERENCE = divergences.Property(
    "test_rnn_of_a_builtin_cell_matches_reference",
    actual=lambda case, unroll: rnn_of_cell_outputs(case, unroll=unroll),
    expected=lambda loop, case, unroll: reference_layer_outputs(case, loop),
    compare=assert_layer_close,
)


@UNROLL
@given(case=sequence_cases())
def test_rnn_of_a_builtin_cell_matches_reference(case, unroll):
    RNN_OF_CELL_MATCHES_REFERENCE.check(case=case, unroll=unroll)


test_rnn_of_a_builtin_cell_matches_reference_on_recorded_examples = RNN_OF_CELL_MATCHES_REFERENCE.replay_test()


def stacked_cells_layer(case: StackedCellsCase) -> keras.layers.RNN:
    cells = []
    for cell, weights, reset_after in zip(case.cells, case.weights, case.reset_after, strict=True):
        options = {"reset_after": reset_after} if cell == "gru" else {}
        units = weights[1].shape[0]
        cells.append(getattr(keras.layers, cell_facts(cell).keras_class + "Cell")(
            units, use_bias=weights[2] is not None, **options))  # fmt: skip
    layer = keras.layers.RNN(cells, return_sequences=case.return_sequences, go_backwards=case.go_backwards,
                             return_state=True)  # fmt: skip
    layer.build((None, None, case.x.shape[2]))
    layer.set_weights([w for weights in case.weights for w in weights if w is not None])
    return layer


def stacked_cells_call(case: StackedCellsCase) -> dict:
    options = {} if case.mask is None else {"mask": case.mask}
    if case.initial_state is not None:
        options["initial_state"] = [list(states) for states in case.initial_state]  # per cell, as get_initial_state
    return options


def stacked_cells_outputs(case: StackedCellsCase) -> list[np.ndarray]:
    """[output, each cell's states in order], flattened."""
    return as_numpy(keras.tree.flatten(compiled.call(stacked_cells_layer(case), case.x, **stacked_cells_call(case))))


def reference_stacked_cells(case: StackedCellsCase, loop=divergences.as_documented) -> list[np.ndarray]:
    """The cells as a stack of layers over one time loop: each cell's output sequence feeds the next; a masked step
    keeps every cell's states. go_backwards reads the sequence (and mask) from the end, as one forward stack."""
    x, mask = case.x, case.mask
    if case.go_backwards:
        x, mask = x[:, ::-1], None if mask is None else mask[:, ::-1]
    states, top = [], len(case.cells) - 1
    for k, (cell, weights, reset_after) in enumerate(zip(case.cells, case.weights, case.reset_after, strict=True)):
        options = {"reset_after": reset_after} if cell == "gru" else {}
        initial_state = None if case.initial_state is None else case.initial_state[k]
        x, *final = loop(reference.function(cell))(
            x, *weights, mask=mask, initial_state=initial_state, return_state=True,
            return_sequences=k < top or case.return_sequences, **options,
        )  # fmt: skip
        states += final
    return [x, *states]


def assert_stacked_cells_close(actual, expected, arguments) -> None:
    case = arguments["case"]
    states = [f"{state} of cell {k}" for k, cell in enumerate(case.cells) for state in cell_facts(cell).states]
    names = ["output", *states]
    assert_outputs_close(actual, expected, names=names, case=arguments)


STACKED_CELLS_MATCH_REFERENCE = divergences.Property(
    "test_stacked_cells_match_the_reference_stack",
    actual=lambda case: stacked_cells_outputs(case),
    expected=lambda loop, case: reference_stacked_cells(case, loop),
    compare=assert_stacked_cells_close,
)


@given(case=stacked_cells_cases())
@example(case=divergences.ONE_LSTM_CELL_MASKED)  # fuzzing found it on torch
def test_stacked_cells_match_the_reference_stack(case):
    # Keras's RNN docstring: with return_state, "the remaining tensors are the last states": each cell's, in order.
    STACKED_CELLS_MATCH_REFERENCE.check(case=case)


test_stacked_cells_match_the_reference_stack_on_recorded_examples = STACKED_CELLS_MATCH_REFERENCE.replay_test()


def nesting(returned) -> object:
    """The nest of lists (tuples as lists) a call returned, each tensor or shape as its shape."""
    if isinstance(returned, (list, tuple)) and not all(isinstance(s, int) or s is None for s in returned):
        return [nesting(item) for item in returned]
    return tuple(returned if isinstance(returned, (list, tuple)) else returned.shape)


def documented_nest(case: StackedCellsCase) -> list:
    """RNN's docstring, return_state: "The first tensor is the output. The remaining tensors are the last states,
    each with shape (batch_size, state_size)", and its compute_output_shape (rnn.py:234-255) for a list of cells:
    per cell, its state's shape, or the list of them for a cell of several states (LSTM's [h, c])."""
    batch, time, _ = case.x.shape
    output = (batch, time, case.units[-1]) if case.return_sequences else (batch, case.units[-1])
    states = []
    for cell, units in zip(case.cells, case.units, strict=True):
        shapes = [(batch, units) for _ in cell_facts(cell).states]
        states.append(shapes[0] if len(shapes) == 1 else shapes)
    return [output, *states]


def assert_nest_is(actual, expected, arguments) -> None:
    assert actual == expected, f"{keras.backend.backend()}: returns {actual}, documented {expected}\ncase: {arguments}"


EAGER_NEST = divergences.Property(
    "test_stacked_cells_return_the_documented_nest_eagerly",
    actual=lambda case: nesting(stacked_cells_layer(case)(case.x)),
    expected=lambda loop, case: documented_nest(case),
    compare=assert_nest_is,
)


@given(case=stacked_cells_cases())
def test_stacked_cells_return_the_documented_nest_eagerly(case):
    EAGER_NEST.check(case=case)


test_stacked_cells_return_the_documented_nest_eagerly_on_recorded_examples = EAGER_NEST.replay_test()


@given(case=stacked_cells_cases())
def test_stacked_cells_return_the_documented_nest_symbolically(case):
    layer = stacked_cells_layer(case)
    symbolic = nesting(layer(keras.Input(batch_shape=case.x.shape)))
    computed = nesting(layer.compute_output_shape(case.x.shape))
    documented = documented_nest(case)
    assert symbolic == computed == documented, f"symbolic {symbolic}, compute_output_shape {computed}, documented " \
                                               f"{documented}\ncase: {case!r}"  # fmt: skip
