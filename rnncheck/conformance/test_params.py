"""The parameter formulas: hand-checkable goldens, then properties against Keras itself."""

from __future__ import annotations

import keras
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rnncheck.cells import MERGE_MODES, SEQUENCE_CELLS
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance.layers import keras_cell, keras_layer
from rnncheck.conformance.strategies import LayerSpec, cells, invalid_sizes, layer_specs, sizes
from rnncheck.params import dense_params, model_params, recurrent_params, stack_params

# (cell, input_size, units, options, total): each total can be checked by hand.
GOLDENS = [
    ("simple", 28, 10, {}, 390),  # 10 * (28 + 10 + 1)
    ("simple", 28, 20, {}, 980),  # 20 * (28 + 20 + 1)
    ("simple", 28, 30, {}, 1770),  # 30 * (28 + 30 + 1)
    ("simple", 28, 10, {"use_bias": False}, 380),  # 10 * (28 + 10)
    ("gru", 4, 5, {}, 165),  # 3 * 5 * (4 + 5 + 2): reset_after adds a second bias
    ("gru", 4, 5, {"reset_after": False}, 150),  # 3 * 5 * (4 + 5 + 1)
    ("lstm", 4, 5, {}, 200),  # 4 * 5 * (4 + 5 + 1)
    ("lstm", 10, 64, {"bidirectional": True}, 38400),  # 2 * 4 * 64 * (10 + 64 + 1)
    ("simple", 28, 10, {"framework": "torch"}, 400),  # 10 * (28 + 10 + 2): bias_ih and bias_hh
    ("gru", 4, 5, {"framework": "torch"}, 165),  # 3 * 5 * (4 + 5 + 2), the same as Keras's default
    ("lstm", 4, 5, {"framework": "torch"}, 220),  # 4 * 5 * (4 + 5 + 2)
]


@pytest.mark.parametrize("cell, input_size, units, options, total", GOLDENS)
def test_recurrent_params_goldens(cell, input_size, units, options, total):
    assert recurrent_params(cell, input_size=input_size, units=units, **options).total == total


def test_simple_rnn_breakdown_is_input_plus_recurrent_plus_bias():
    layer = recurrent_params("simple", input_size=28, units=10)
    assert [(w.name, w.shape, w.count) for w in layer.weights] == [
        ("kernel", (28, 10), 280),
        ("recurrent_kernel", (10, 10), 100),
        ("bias", (10,), 10),
    ]
    assert layer.breakdown == "28x10 + 10x10 + 10"


def test_classic_mnist_model_is_390_plus_110():
    model = model_params()
    assert [layer.total for layer in model.layers] == [390, 110]
    assert model.total == 500


def test_dense_head_is_inputs_plus_one_times_classes():
    assert dense_params(input_size=10, units=10).total == 110
    assert dense_params(input_size=10, units=10, use_bias=False).total == 100


@pytest.mark.parametrize("merge_mode, second_input", [("concat", 16), ("sum", 8), ("ave", 8), ("mul", 8)])
def test_bidirectional_stack_feeds_merged_size_to_next_layer(merge_mode, second_input):
    stack = stack_params("simple", input_size=3, units=[8, 5], bidirectional=True, merge_mode=merge_mode)
    assert [layer.input_size for layer in stack.layers] == [3, second_input]
    assert stack.layers[1].total == 2 * 5 * (second_input + 5 + 1)


@given(cell=cells, input_size=sizes, units=sizes)
def test_torch_convention_adds_one_bias_vector_per_gate(cell, input_size, units):
    keras_counts = recurrent_params(cell, input_size=input_size, units=units)
    torch_counts = recurrent_params(cell, input_size=input_size, units=units, framework="torch")
    gates = cell_facts(cell).gate_count
    extra_keras_bias = gates * units if cell == "gru" else 0  # Keras's GRU already has two
    assert torch_counts.total - keras_counts.total == gates * units - extra_keras_bias


@given(value=invalid_sizes, argument=st.sampled_from(["input_size", "units"]))
def test_invalid_sizes_raise_naming_the_argument(value, argument):
    sizes = {"input_size": 28, "units": 10, argument: value}
    with pytest.raises((TypeError, ValueError), match=argument):
        recurrent_params("simple", **sizes)


@pytest.mark.parametrize(
    "options, message",
    [({"cell": "rnn"}, "cell"), ({"framework": "jax"}, "framework"), ({"merge_mode": "max"}, "merge_mode")],
)
def test_unknown_choices_raise_naming_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        recurrent_params(**{"cell": "simple", "input_size": 2, "units": 2, **options})


def weight_shapes(layer: keras.layers.Layer) -> dict[str, tuple]:
    return {v.name: tuple(v.shape) for v in layer.weights}


def assert_params_match_keras(spec: LayerSpec) -> None:
    """Per layer of the stack: Keras's cell has the formula's weights, and the formula's total is its count_params()."""
    formula = stack_params(spec.cell, input_size=spec.input_size, units=spec.units, **spec.options)
    for layer in formula.layers:
        cell = keras_cell(spec.cell, units=layer.units, input_size=layer.input_size, **spec.cell_options)
        assert weight_shapes(cell) == {w.name: w.shape for w in layer.weights}
        assert layer.total == layer.directions * cell.count_params()


# Every structure a LayerSpec can take, as a stack of two: cell, bias, GRU mode, plain or each merge mode.
STRUCTURES = [
    LayerSpec(cell, 3, (4, 5), use_bias, reset_after, bidirectional=merge is not None, merge_mode=merge or "concat")
    for cell in SEQUENCE_CELLS
    for use_bias in (True, False)
    for reset_after in ((True, False) if cell == "gru" else (True,))
    for merge in (None, *MERGE_MODES)
]


@pytest.mark.parametrize("spec", STRUCTURES, ids=repr)
def test_keras_layers_hold_only_their_cells_weights(spec):
    """Keras's layer (or each direction of a Bidirectional) holds exactly its cell's weights, and feeds
    the next layer the formula's size: what assert_params_match_keras relies on."""
    formula = stack_params(spec.cell, input_size=spec.input_size, units=spec.units, **spec.options)
    for i, layer in enumerate(formula.layers):
        shape = dict(units=layer.units, input_size=layer.input_size)
        built = keras_layer(spec.cell, **shape, return_sequences=i == 0, **spec.options)
        directions = [built.forward_layer, built.backward_layer] if spec.bidirectional else [built]
        cell = keras_cell(spec.cell, **shape, **spec.cell_options)
        assert [weight_shapes(d) for d in directions] == [weight_shapes(cell)] * layer.directions
        assert built.count_params() == layer.directions * cell.count_params()
        assert built.compute_output_shape((None, None, layer.input_size))[-1] == layer.output_size


@given(spec=layer_specs())
@example(spec=LayerSpec("simple", 28, (10,)))
@example(spec=LayerSpec("simple", 28, (20,)))
@example(spec=LayerSpec("simple", 28, (30,)))
@example(spec=LayerSpec("gru", 4, (5,), reset_after=False))
@example(spec=LayerSpec("lstm", 10, (64,), bidirectional=True))
def test_recurrent_params_match_keras(spec):
    assert_params_match_keras(spec)


@given(spec=layer_specs(min_depth=2, max_depth=3))
@example(spec=LayerSpec("lstm", 28, (10, 20, 30), bidirectional=True, merge_mode="sum"))
def test_stacked_params_match_keras(spec):
    assert_params_match_keras(spec)
