"""Keras <-> PyTorch weight conversion: the converted torch module computes what the Keras layers compute."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import example, given

from rnncheck import reference
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance.backends import require
from rnncheck.conformance.harness import TOLERANCES, assert_outputs_close
from rnncheck.conformance.layers import as_numpy, keras_layer
from rnncheck.conformance.strategies import TorchStackCase, torch_cases_with_bias_hh, torch_stack_cases
from rnncheck.convert import dense_to_linear, keras_to_torch, torch_to_keras
from rnncheck.export import convert_keras_file

# The conversion and the export need no torch; the tests that run a torch module use this fixture.


@pytest.fixture(scope="module")
def with_torch():
    """torch, or a skip saying how to install it (a failure where RNNCHECK_REQUIRE_BACKENDS is set)."""
    return require("torch")


# Both frameworks compute in float32 (the reference in float64): at most 3 layers of 5 units over 5 steps.
FLOAT32_TOLERANCE = TOLERANCES["float32"]


def _pin(cell, *, layers=1, bidirectional=False, use_bias=True, initial_state=False, activation="tanh"):
    """A small fixed case: 2 sequences of 3 steps of 2 features, 2 units, weights from a seeded generator."""
    rng = np.random.default_rng(0)
    facts = cell_facts(cell)
    u, d, directions = 2, 2, 2 if bidirectional else 1
    draw = lambda *shape: rng.uniform(-1, 1, shape).astype(np.float32)  # noqa: E731
    weights = []
    for k in range(layers):
        layer = []
        for _ in range(directions):
            layer += [draw(d if k == 0 else directions * u, facts.gate_count * u), draw(u, facts.gate_count * u)]
            layer += [draw(*facts.bias_shape(u))] if use_bias else []  # GRU: reset_after=True, PyTorch's
        weights.append(tuple(layer))
    states = None
    if initial_state:
        states = tuple(tuple(draw(2, u) for _ in range(directions * len(facts.states))) for _ in range(layers))
    return TorchStackCase(cell, draw(2, 3, d), tuple(weights), use_bias, bidirectional, activation, states)


PINS = [
    _pin("simple"),
    _pin("simple", activation="relu", bidirectional=True),
    _pin("gru", layers=2, bidirectional=True, initial_state=True),
    _pin("lstm", layers=3, bidirectional=True, initial_state=True),
    _pin("lstm", use_bias=False, initial_state=True),
    _pin("gru", use_bias=False, layers=2),
]


def pinned(test, *, cases=PINS):
    for case in cases:
        test = example(case=case)(test)
    return test


# Keras, PyTorch and the NumPy reference, each returning [output (batch, time, directions*u), *final states]:
# the states layer by layer in Keras's order (forward h[, c], then backward h[, c]).


def keras_outputs(case: TorchStackCase) -> list[np.ndarray]:
    y, states = case.x, []
    for k in range(case.num_layers):
        call = {} if case.initial_state is None else {"initial_state": list(case.initial_state[k])}
        output, *layer_states = as_numpy(keras_layer(case.cell, **case.layer_options(k))(y, **call))
        y, states = output, states + layer_states
    return [y, *states]


def torch_state_dict(case: TorchStackCase) -> dict[str, np.ndarray]:
    state = {}
    for k, weights in enumerate(case.weights):
        state.update(keras_to_torch(case.cell, weights, bidirectional=case.bidirectional, layer=k))
    return state


def torch_outputs(case: TorchStackCase, state_dict: dict[str, np.ndarray]) -> list[np.ndarray]:
    import torch

    from rnncheck.torch_model import load_numpy_state, torch_module

    module = torch_module(
        case.cell,
        input_size=case.input_size,
        hidden_size=case.units,
        num_layers=case.num_layers,
        bias=case.use_bias,
        bidirectional=case.bidirectional,
        nonlinearity=case.activation,
    )
    load_numpy_state(module, state_dict)
    n_states = len(cell_facts(case.cell).states)
    hx = None
    if case.initial_state is not None:
        # Keras: per layer [fwd h, (fwd c), bwd h, (bwd c)]; torch: h0 (and c0) of (layers * directions, batch, u).
        by_kind = [
            np.stack([layer[d * n_states + s] for layer in case.initial_state for d in range(case.directions)])
            for s in range(n_states)
        ]
        hx = tuple(torch.from_numpy(h) for h in by_kind) if n_states == 2 else torch.from_numpy(by_kind[0])
    with torch.no_grad():
        output, final = module(torch.from_numpy(case.x), hx)
    final = [f.numpy() for f in (final if isinstance(final, tuple) else (final,))]  # each (layers * directions, ...)
    states = [final[s][k * case.directions + direction] for k in range(case.num_layers)
              for direction in range(case.directions) for s in range(n_states)]
    return [output.numpy(), *states]


def reference_outputs(case: TorchStackCase) -> list[np.ndarray]:
    run = reference.function(case.cell)
    layer = functools.partial(run, activation=case.activation) if case.cell == "simple" else run
    y, states = case.x, []
    for k, weights in enumerate(case.weights):
        per_direction = len(weights) // case.directions
        directions = [
            (*weights[i : i + 2], weights[i + 2] if case.use_bias else None)
            for i in range(0, len(weights), per_direction)
        ]  # (kernel, recurrent_kernel, bias or None) of each direction
        options = dict(return_sequences=True, return_state=True)
        options["initial_state"] = None if case.initial_state is None else list(case.initial_state[k])
        if case.bidirectional:
            y, *layer_states = reference.bidirectional(layer, y, *directions, **options)
        else:
            y, *layer_states = layer(y, *directions[0], **options)
        states += layer_states
    return [y, *states]


def stack_names(case: TorchStackCase) -> list[str]:
    """The whole sequence of the top layer, then each layer's final states, direction by direction."""
    suffixes = ["_forward", "_backward"][: case.directions] if case.bidirectional else [""]
    states = cell_facts(case.cell).states
    layers = range(case.num_layers)
    return ["output"] + [f"{state}{s} of layer {k}" for k in layers for s in suffixes for state in states]


def assert_all_close(actual: list[np.ndarray], expected: list[np.ndarray], case: TorchStackCase) -> None:
    assert_outputs_close(actual, expected, names=stack_names(case), case=case)


@pytest.mark.usefixtures("with_torch")
@pinned
@given(case=torch_stack_cases())
def test_torch_module_with_converted_weights_matches_keras(case):
    assert_all_close(torch_outputs(case, torch_state_dict(case)), keras_outputs(case), case)


@pytest.mark.usefixtures("with_torch")
@pinned
@given(case=torch_stack_cases())
def test_torch_module_with_converted_weights_matches_reference(case):
    assert_all_close(torch_outputs(case, torch_state_dict(case)), reference_outputs(case), case)


@pinned
@given(case=torch_stack_cases())
def test_keras_to_torch_to_keras_returns_the_same_weights(case):
    state = torch_state_dict(case)
    for k, weights in enumerate(case.weights):
        back = torch_to_keras(case.cell, state, bidirectional=case.bidirectional, layer=k)
        assert len(back) == len(weights)
        for returned, original in zip(back, weights, strict=True):
            assert returned.dtype == original.dtype
            np.testing.assert_array_equal(returned, original)


@pytest.mark.usefixtures("with_torch")
@given(case_bias_hh=torch_cases_with_bias_hh())
def test_torch_to_keras_to_torch_gives_the_same_outputs(case_bias_hh):
    # Start from a PyTorch state with both biases nonzero; the round trip merges them (bias_hh comes back 0).
    case, bias_hh = case_bias_hh
    state = torch_state_dict(case)
    assert bias_hh.keys() == {name for name in state if name.startswith("bias_hh")}  # every one PyTorch has
    original = {**state, **bias_hh}
    round_trip = {}
    for k in range(case.num_layers):
        weights = torch_to_keras(case.cell, original, bidirectional=case.bidirectional, layer=k)
        round_trip.update(keras_to_torch(case.cell, weights, bidirectional=case.bidirectional, layer=k))
    assert round_trip.keys() == original.keys()
    assert_all_close(torch_outputs(case, round_trip), torch_outputs(case, original), case)


@given(case=torch_stack_cases())
def test_converted_arrays_are_new_c_ordered_arrays(case):
    # C order: safetensors writes an array's raw buffer, so a Fortran-ordered (transposed) array would be saved
    # scrambled. New: changing the result must not change the caller's weights.
    state = torch_state_dict(case)
    keras_weights = torch_to_keras(case.cell, state, bidirectional=case.bidirectional)
    inputs = [w for layer in case.weights for w in layer] + list(state.values())
    for array in [*state.values(), *keras_weights]:
        assert array.flags["C_CONTIGUOUS"]
        assert not any(np.shares_memory(array, source) for source in inputs if source is not array)


@pytest.mark.usefixtures("with_torch")
@pytest.mark.parametrize("cell", ["simple", "gru", "lstm"])
def test_torch_to_keras_reads_a_torch_state_dict(cell):
    import torch

    from rnncheck.torch_model import torch_module

    torch.manual_seed(0)
    module = torch_module(cell, input_size=3, hidden_size=4, num_layers=2, bidirectional=True)  # torch's own init
    tensors = module.state_dict()
    arrays = {name: tensor.numpy() for name, tensor in tensors.items()}
    for k in range(2):
        from_tensors = torch_to_keras(cell, tensors, bidirectional=True, layer=k)
        from_arrays = torch_to_keras(cell, arrays, bidirectional=True, layer=k)
        for a, b in zip(from_tensors, from_arrays, strict=True):
            assert isinstance(a, np.ndarray)
            np.testing.assert_array_equal(a, b)


# GRU gate order, spelled out once on a case small enough to read: Keras z, r, h; PyTorch r, z, n.


def test_gru_gate_blocks_move_to_torch_order():
    z, r, h = np.full((1, 1), 1.0), np.full((1, 1), 2.0), np.full((1, 1), 3.0)
    kernel = np.concatenate([z, r, h], axis=1)  # (d=1, 3u=3) in Keras's order
    bias = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])  # input bias row, recurrent bias row
    state = keras_to_torch("gru", [kernel, 2 * kernel, bias])
    np.testing.assert_array_equal(state["weight_ih_l0"][:, 0], [2.0, 1.0, 3.0])  # r, z, n
    np.testing.assert_array_equal(state["weight_hh_l0"][:, 0], [4.0, 2.0, 6.0])
    np.testing.assert_array_equal(state["bias_ih_l0"], [20.0, 10.0, 30.0])
    np.testing.assert_array_equal(state["bias_hh_l0"], [50.0, 40.0, 60.0])


def test_lstm_torch_biases_add_up_to_the_keras_bias():
    u = 1
    state = {
        "weight_ih_l0": np.zeros((4 * u, 2)),
        "weight_hh_l0": np.zeros((4 * u, u)),
        "bias_ih_l0": np.array([1.0, 2.0, 3.0, 4.0]),
        "bias_hh_l0": np.array([10.0, 20.0, 30.0, 40.0]),
    }
    _, _, bias = torch_to_keras("lstm", state)
    np.testing.assert_array_equal(bias, [11.0, 22.0, 33.0, 44.0])  # i, f, c/g, o: the same order in both


def test_keras_gru_without_reset_after_has_no_torch_equivalent():
    weights = [np.zeros((2, 9)), np.zeros((3, 9)), np.zeros(9)]
    with pytest.raises(ValueError, match="reset_after=False has no PyTorch equivalent"):
        keras_to_torch("gru", weights, reset_after=False)


def _lstm(kernel=(2, 12), recurrent_kernel=(3, 12), bias=(12,)) -> list[np.ndarray]:
    """Zero weights of an LSTM with 2 inputs and 3 units, or of other shapes where given."""
    return [np.zeros(kernel), np.zeros(recurrent_kernel)] + ([] if bias is None else [np.zeros(bias)])


_KERAS_BAD = {
    "kernel": ("lstm", _lstm(kernel=(2, 8)), "kernel must be"),
    "recurrent_kernel": ("lstm", _lstm(recurrent_kernel=(3, 3)), "recurrent_kernel must be"),
    "bias": ("lstm", _lstm(bias=(5,)), "bias must be"),
    "gru-bias-of-reset-after-false": ("gru", [np.zeros((2, 9)), np.zeros((3, 9)), np.zeros(9)], "reset_after=False"),
    "count": ("lstm", _lstm()[:1], "weights must be"),
    "backward-count": ("lstm", _lstm() + _lstm(bias=None), "weights must be"),
}


@pytest.mark.parametrize(("cell", "weights", "message"), _KERAS_BAD.values(), ids=_KERAS_BAD)
def test_bad_keras_weights_raise_a_value_error_naming_the_weight(cell, weights, message):
    with pytest.raises(ValueError, match=message):
        keras_to_torch(cell, weights, bidirectional=len(weights) > 3)


def _torch_lstm_state(**changes) -> dict[str, np.ndarray]:
    state = {
        "weight_ih_l0": np.zeros((8, 3)),
        "weight_hh_l0": np.zeros((8, 2)),
        "bias_ih_l0": np.zeros(8),
        "bias_hh_l0": np.zeros(8),
    }
    state.update(changes)
    return {name: value for name, value in state.items() if value is not None}


_TORCH_BAD = {
    "weight_ih": (dict(weight_ih_l0=np.zeros((6, 3))), "weight_ih_l0 must be"),
    "weight_hh": (dict(weight_hh_l0=np.zeros((8, 3))), "weight_hh_l0 must be"),
    "bias_hh-shape": (dict(bias_hh_l0=np.zeros(4)), "bias_hh_l0 must be"),
    "bias_hh-missing": (dict(bias_hh_l0=None), "no bias_hh_l0"),
    "weight_ih-missing": (dict(weight_ih_l0=None), "no weight_ih_l0"),
    "projection": (dict(weight_hr_l0=np.zeros((1, 2))), "weight_hr_l0: an LSTM with proj_size"),
    "reverse-not-asked": (dict(weight_ih_l0_reverse=np.zeros((8, 3))), "bidirectional=True"),
}


@pytest.mark.parametrize(("changes", "message"), _TORCH_BAD.values(), ids=_TORCH_BAD)
def test_bad_torch_state_raises_a_value_error_naming_the_weight(changes, message):
    with pytest.raises(ValueError, match=message):
        torch_to_keras("lstm", _torch_lstm_state(**changes))


def test_dense_becomes_linear():
    kernel, bias = np.arange(6.0).reshape(2, 3), np.arange(3.0)  # (d=2, k=3)
    state = dense_to_linear([kernel, bias], prefix="head.")
    np.testing.assert_array_equal(state["head.weight"], kernel.T)
    np.testing.assert_array_equal(state["head.bias"], bias)


# rnncheck.export: a saved Keras model file -> safetensors -> the PyTorch model.

EXPORTED = {
    "simple-rnn": dict(cell="simple"),
    "relu-rnn-bidirectional": dict(cell="simple", bidirectional=True, options={"activation": "relu"}),
    "gru-2-layers-bidirectional": dict(cell="gru", num_layers=2, bidirectional=True),
    "lstm-3-layers-no-bias-linear-head": dict(
        cell="lstm", num_layers=3, options={"use_bias": False}, head={"activation": "linear", "use_bias": False}
    ),
    "gru-head-on-every-step": dict(cell="gru", sequences=True),
    "lstm-bidirectional-no-head": dict(cell="lstm", bidirectional=True, head=None),
}


def keras_model_file_like_a_trained_one(
    cell, *, num_layers=1, bidirectional=False, options=None, head=None, sequences=False, time=7, features=5
) -> tuple[keras.Model, np.ndarray]:
    """Recurrent layers (Dropout after each), then a Dense(3) head unless head=None: every weight (biases too)
    drawn at random, and the compiled optimizer's state built, so the saved file holds what a fit model's does."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, time, features)).astype(np.float32)  # (batch, time, features)
    layers = [keras.Input((time, features))]
    for k in range(num_layers):
        last = k == num_layers - 1
        layer = getattr(keras.layers, cell_facts(cell).keras_class)(6, return_sequences=sequences or not last,
                                                                    **(options or {}))
        layers += [keras.layers.Bidirectional(layer) if bidirectional else layer, keras.layers.Dropout(0.1)]
    if head is not None:
        layers.append(keras.layers.Dense(3, **head))
    model = keras.Sequential(layers)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.optimizer.build(model.trainable_variables)  # its moments are saved with the model, as after fit
    return model, x


@pytest.mark.usefixtures("with_torch")
@pytest.mark.parametrize("model_options", EXPORTED.values(), ids=EXPORTED)
def test_exported_file_gives_torch_the_keras_predictions(tmp_path, model_options):
    import torch
    from safetensors.torch import load_file

    from rnncheck.torch_model import MnistTorch

    model_options = {"head": {"activation": "softmax"}, **model_options}
    model, x = keras_model_file_like_a_trained_one(**model_options)
    model.save(tmp_path / "model.keras")
    record = convert_keras_file(tmp_path / "model.keras", tmp_path / "model.safetensors")
    torch_model = MnistTorch(**record.module_options)
    torch_model.load_state_dict(load_file(tmp_path / "model.safetensors"))  # strict: every name
    torch_model.eval()
    with torch.no_grad():
        predictions = torch_model(torch.from_numpy(x)).numpy()
    expected = np.asarray(keras.ops.stop_gradient(model(x, training=False)))  # what predict() returns
    np.testing.assert_allclose(predictions, expected, **FLOAT32_TOLERANCE)


def test_torch_code_of_the_classic_model(tmp_path):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.SimpleRNN(10), keras.layers.Dense(10, "softmax")])
    model.save(tmp_path / "classic.keras")
    record = convert_keras_file(tmp_path / "classic.keras", tmp_path / "classic.safetensors")
    assert record.total == 500 + 10  # Keras's 500, and PyTorch's second bias vector (bias_hh, zero)
    assert record.torch_code().splitlines() == [
        "import torch",
        "from safetensors.torch import load_file",
        "",
        "model = torch.nn.ModuleDict({",
        '    "rnn": torch.nn.RNN(28, 10, batch_first=True),',
        '    "head": torch.nn.Linear(10, 10),',
        "})",
        f"model.load_state_dict(load_file({str(tmp_path / 'classic.safetensors')!r}))",
        "model.eval()",
        'output, h_n = model["rnn"](x)  # x: (batch, time, 28) float32',
        "probabilities = torch.softmax(model[\"head\"](h_n[-1]), dim=-1)  # Keras's predict()",
    ]


def _save(tmp_path, *layers) -> Path:
    path = tmp_path / "model.keras"
    keras.Sequential([keras.Input((4, 3)), *layers]).save(path)
    return path


def _bad_model(kind: str, tmp_path) -> Path:
    """A model file convert_keras_file must refuse."""
    layers = keras.layers
    if kind == "missing":
        return tmp_path / "missing.keras"
    if kind == "folder":
        return tmp_path
    if kind == "two-outputs":
        x = keras.Input((4, 3))
        keras.Model(x, [keras.layers.GRU(2)(x), keras.layers.GRU(2)(x)]).save(tmp_path / "model.keras")
        return tmp_path / "model.keras"
    if kind == "not-a-zip":
        (tmp_path / "junk.keras").write_bytes(b"not a zip")
        return tmp_path / "junk.keras"
    return _save(tmp_path, *{
        "flatten": [layers.Flatten(), layers.Dense(2)],
        "no-recurrent-layer": [layers.Dense(2)],
        "gru-reset-after-false": [layers.GRU(2, reset_after=False)],
        "go-backwards": [layers.LSTM(2, go_backwards=True)],
        "merge-sum": [layers.Bidirectional(layers.GRU(2), merge_mode="sum")],
        "stack-of-two-sizes": [layers.LSTM(2, return_sequences=True), layers.LSTM(3)],
        "sigmoid-rnn": [layers.SimpleRNN(2, activation="sigmoid")],
        "relu-head": [layers.GRU(2), layers.Dense(2, activation="relu")],
        "hard-sigmoid-backward": [layers.Bidirectional(
            layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, recurrent_activation="hard_sigmoid")
        )],
    }[kind])  # fmt: skip


REFUSED = {
    "missing": (FileNotFoundError, "no such file"),
    "folder": (ValueError, "not a Keras model file"),
    "not-a-zip": (ValueError, "not a Keras model file"),
    "flatten": (ValueError, "'flatten' \\(Flatten\\) has no PyTorch counterpart"),
    "no-recurrent-layer": (ValueError, "no recurrent layer"),
    "gru-reset-after-false": (ValueError, "reset_after=False has no PyTorch equivalent"),
    "go-backwards": (ValueError, "go_backwards"),
    "merge-sum": (ValueError, "merge_mode='sum'"),
    "stack-of-two-sizes": (ValueError, "all alike"),
    "sigmoid-rnn": (ValueError, "activation='sigmoid'"),
    "relu-head": (ValueError, "activation 'relu'"),
    "hard-sigmoid-backward": (ValueError, "backward layer: recurrent_activation='hard_sigmoid'"),
    "two-outputs": (ValueError, "2 outputs"),
}


@pytest.mark.parametrize(("kind", "error", "message"), [(k, *v) for k, v in REFUSED.items()], ids=REFUSED)
def test_export_refuses_bad_input_and_writes_nothing(tmp_path, kind, error, message):
    out = tmp_path / "out" / "model.safetensors"
    out.parent.mkdir()
    with pytest.raises(error, match=message):
        convert_keras_file(_bad_model(kind, tmp_path), out)
    assert list(out.parent.iterdir()) == []


def test_export_to_a_missing_folder_raises_os_error_naming_the_output(tmp_path):
    out = tmp_path / "no-such-folder" / "model.safetensors"
    with pytest.raises(OSError, match=f"{out}: cannot write it"):
        convert_keras_file(_save(tmp_path, keras.layers.SimpleRNN(2)), out)
    assert not out.parent.exists()


def test_export_failing_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "out" / "model.safetensors"
    out.parent.mkdir()
    out.write_bytes(b"old")

    def half_written(tensors, path, metadata=None):
        Path(path).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr("rnncheck.export.save_file", half_written)
    with pytest.raises(OSError, match="disk full"):
        convert_keras_file(_save(tmp_path, keras.layers.SimpleRNN(2)), out)
    assert [p.name for p in out.parent.iterdir()] == ["model.safetensors"] and out.read_bytes() == b"old"


def test_convert_imports_no_framework():
    code = "import sys, rnncheck.convert; print(sorted({'keras', 'tensorflow', 'jax', 'torch'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "[]"
