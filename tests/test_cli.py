"""The rnncheck command: what it prints, what it refuses, and that `params` needs no TensorFlow."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from rnncheck import cli
from rnncheck.conformance.backends import require
from tests.files import tiny_arrays, write_npz


def run(capsys, *argv) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    try:
        code = cli.main(list(argv))
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def test_params_default_prints_the_classic_rows_with_breakdown(capsys):
    code, out, _ = run(capsys, "params")
    assert code == 0
    for units, total, breakdown, model in [
        (10, 390, "28x10 + 10x10 + 10", 500),
        (20, 980, "28x20 + 20x20 + 20", 1190),
        (30, 1770, "28x30 + 30x30 + 30", 2080),
    ]:
        row = next(line for line in out.splitlines() if line.split()[:2] == [str(units), str(total)])
        assert breakdown in row and row.split()[-1] == str(model)


PARAMS_ROWS = {
    "gru": (["--cell", "gru", "--input-size", "4", "--units", "5"], 165),
    "gru-no-reset-after": (["--cell", "gru", "--input-size", "4", "--units", "5", "--no-reset-after"], 150),
    "bidirectional-lstm": (["--cell", "lstm", "--bidirectional", "--input-size", "10", "--units", "64"], 38400),
    "torch-lstm": (["--cell", "lstm", "--input-size", "4", "--units", "5", "--framework", "torch"], 220),
    "no-bias": (["--input-size", "28", "--units", "10", "--no-bias"], 380),
    "stacked": (["--input-size", "28", "--units", "10", "--num-layers", "2"], 390 + 10 * (10 + 10 + 1)),
}


@pytest.mark.parametrize("argv, recurrent", PARAMS_ROWS.values(), ids=PARAMS_ROWS.keys())
def test_params_json_reports_totals_and_weights(capsys, argv, recurrent):
    code, out, _ = run(capsys, "params", "--json", *argv)
    (row,) = json.loads(out)
    *layers, head = row["layers"]
    assert code == 0 and row["recurrent"] == recurrent and row["total"] == recurrent + head["total"]
    assert sum(layer["directions"] * sum(w["count"] for w in layer["weights"]) for layer in layers) == recurrent
    assert all(w["count"] == math.prod(w["shape"]) for layer in row["layers"] for w in layer["weights"])


VERIFIED = {
    "classic": [],
    "gru": ["--cell", "gru", "--input-size", "4", "--units", "5"],
    "gru-no-reset-after": ["--cell", "gru", "--input-size", "4", "--units", "5", "--no-reset-after"],
    "bidirectional-lstm": ["--cell", "lstm", "--bidirectional", "--input-size", "10", "--units", "64"],
    "bidirectional-sum-no-bias": ["--bidirectional", "--merge-mode", "sum", "--no-bias", "--units", "3", "7"],
    "stacked-gru": ["--cell", "gru", "--num-layers", "3", "--units", "4"],
}


@pytest.mark.parametrize("argv", VERIFIED.values(), ids=VERIFIED.keys())
def test_params_verify_agrees_with_keras(capsys, argv):
    code, out, _ = run(capsys, "params", "--verify", "--json", *argv)
    rows = json.loads(out)
    assert code == 0
    assert all(r["verified"] == {"recurrent": r["recurrent"], "total": r["total"]} for r in rows)


def test_params_verify_fails_when_keras_disagrees(capsys, monkeypatch):
    import rnncheck.model

    monkeypatch.setattr(rnncheck.model, "keras_param_counts", lambda *a, **k: (391, 501))  # the formula says 390, 500
    code, _, err = run(capsys, "params", "--verify", "--units", "10")
    assert code == 1 and "disagree" in err


BAD_ARGUMENTS = {
    "zero-units": (["params", "--units", "0"], "'0' is less than 1"),
    "negative-units": (["params", "--units", "-3"], "'-3' is less than 1"),
    "text-size": (["params", "--input-size", "abc"], "'abc' is not an integer"),
    "fractional-size": (["params", "--input-size", "2.5"], "'2.5' is not an integer"),
    "unknown-cell": (["params", "--cell", "rnn"], "invalid choice"),
    "gru-no-reset-after-in-torch": (
        ["params", "--framework", "torch", "--cell", "gru", "--no-reset-after"],
        "no PyTorch equivalent",
    ),
    "proj-size-for-keras": (["params", "--cell", "lstm", "--proj-size", "4"], "--proj-size is PyTorch's"),
    "proj-size-for-gru": (["params", "--framework", "torch", "--cell", "gru", "--proj-size", "4"], "LSTM only"),
    "proj-size-too-big": (
        ["params", "--framework", "torch", "--cell", "lstm", "--units", "4", "--proj-size", "4"],
        "proj_size must be an integer from 0 to units - 1 = 3",
    ),
    "torch-merge-mode": (
        ["params", "--framework", "torch", "--bidirectional", "--merge-mode", "sum"],
        "always concatenate",
    ),
    "zero-learning-rate": (["train", "--learning-rate", "0"], "'0' is not a positive finite number"),
    "text-learning-rate": (["train", "--learning-rate", "fast"], "'fast' is not a number"),
    "zero-epochs": (["train", "--epochs", "0"], "'0' is less than 1"),
    "missing-data": (["train", "--data", "/no/such/mnist.npz"], "/no/such/mnist.npz does not exist"),
    "plot-folder-missing": (
        ["reproduce", "--plot", "/no/such/folder/plot.png"],
        "folder /no/such/folder does not exist",
    ),
}


@pytest.mark.parametrize("argv, complaint", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_bad_arguments_exit_nonzero_with_one_line(capsys, argv, complaint):
    code, out, err = run(capsys, *argv)
    assert code != 0 and out == ""
    assert complaint in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("rnncheck")


def test_bad_dataset_is_one_line_not_a_traceback(capsys, tmp_path):
    (tmp_path / "broken.npz").write_text("not a zip")
    code, _, err = run(capsys, "train", "--data", str(tmp_path / "broken.npz"))
    (line,) = err.strip().splitlines()
    assert code == 2
    assert line.startswith(f"rnncheck train: error: {tmp_path / 'broken.npz'}: not a readable .npz archive")


def test_params_answers_without_importing_tensorflow():
    code = "import sys; from rnncheck.cli import main; main(['params']); assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "rnncheck", "params", "--units", "10"], capture_output=True, text=True
    )
    assert result.returncode == 0 and " 390 " in result.stdout


@pytest.fixture
def tiny_npz(tmp_path):
    return write_npz(tmp_path / "tiny.npz", tiny_arrays(train=32, test=8))


def test_train_json_reports_loss_accuracy_and_config(capsys, tiny_npz):
    code, out, _ = run(
        capsys,
        "train",
        "--data",
        str(tiny_npz),
        "--no-verify",
        "--units",
        "4",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--json",
    )
    result = json.loads(out)
    assert code == 0
    assert result["params"] == 4 * (28 + 4 + 1) + (4 + 1) * 10
    assert 0.0 <= result["test_accuracy"] <= 1.0 and result["test_loss"] > 0
    assert result["config"]["units"] == 4 and result["config"]["learning_rate"] == 1e-4  # the classic default
    assert len(result["history"]) == 2


def test_train_prints_test_loss_and_accuracy(capsys, tiny_npz, monkeypatch):
    import rnncheck.train

    ran = []

    def untrained(config, data, *, verbose):  # what train returns, without training (the JSON test above trains)
        ran.append(config)
        scores = dict(params=135, test_loss=0.25, test_accuracy=0.9375, fit_seconds=1.0, seconds=1.5, history=())
        return rnncheck.train.TrainResult(config, **scores)

    monkeypatch.setattr(rnncheck.train, "train", untrained)
    code, out, _ = run(capsys, "train", "--data", str(tiny_npz), "--no-verify", "--units", "3", "--epochs", "1")
    assert code == 0 and [(c.units, c.epochs) for c in ran] == [(3, 1)]
    printed = ["parameters: 135", "test loss: 0.2500", "test accuracy: 0.9375", "seconds: 1.5 (fit 1.0)"]
    assert out.splitlines() == printed


def test_train_refuses_unofficial_data_unless_told(capsys, tiny_npz):
    code, _, err = run(capsys, "train", "--data", str(tiny_npz), "--epochs", "1")
    assert code == 2 and "not the official MNIST" in err and "--no-verify" in err


def untrained_rows(data, *, units):
    """Rows as rnncheck.train.reproduce yields them, without training (test_train.py and test_gate.py train)."""
    import rnncheck.train

    for u in units:
        yield rnncheck.train.ReproducedRow(u, 10 * u, 11 * u, 12 * u, test_loss=2.3, test_accuracy=0.1, seconds=0.5)


def test_reproduce_prints_a_row_per_size_and_writes_the_plot(capsys, tiny_npz, tmp_path, monkeypatch):
    import rnncheck.train

    monkeypatch.setattr(rnncheck.train, "reproduce", untrained_rows)
    plot = tmp_path / "classic.png"
    code, out, err = run(
        capsys, "reproduce", "--data", str(tiny_npz), "--no-verify", "--units", "2", "3", "--json", "--plot", str(plot)
    )
    assert code == 0 and json.loads(out) == [row.to_dict() for row in untrained_rows(None, units=[2, 3])]
    assert "[1/2] SimpleRNN(2): test accuracy 0.1000 in 0.5 s" in err and "[2/2] SimpleRNN(3)" in err
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reproduce_prints_its_results_before_a_failing_plot(capsys, tiny_npz, tmp_path, monkeypatch):
    import rnncheck.plot
    import rnncheck.train

    def broken_plot(rows, path):
        raise ValueError("plotting needs matplotlib")

    monkeypatch.setattr(rnncheck.train, "reproduce", untrained_rows)
    monkeypatch.setattr(rnncheck.plot, "plot_reproduction", broken_plot)
    argv = [
        "reproduce",
        "--data",
        str(tiny_npz),
        "--no-verify",
        "--units",
        "2",
        "--json",
        "--plot",
        str(tmp_path / "p.png"),
    ]
    code, out, err = run(capsys, *argv)
    assert code == 2 and "plotting needs matplotlib" in err
    assert [row["units"] for row in json.loads(out)] == [2]  # the table survived the failed plot


def test_a_bug_raises_instead_of_becoming_a_one_line_error(capsys, monkeypatch):
    def buggy(*args, **kwargs):
        raise TypeError("unsupported operand")  # a programming error, not bad input

    monkeypatch.setattr(cli, "model_params", buggy)
    with pytest.raises(TypeError, match="unsupported operand"):
        cli.main(["params"])


def test_convert_writes_safetensors_and_prints_the_torch_model(capsys, tmp_path):
    import keras

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.GRU(4), keras.layers.Dense(10, "softmax")])
    model.save(tmp_path / "gru.keras")
    code, out, err = run(capsys, "convert", str(tmp_path / "gru.keras"), str(tmp_path / "gru.safetensors"))
    assert code == 0 and "torch.nn.GRU(28, 4, batch_first=True)" in out
    assert f"written to {tmp_path / 'gru.safetensors'}" in err
    assert (tmp_path / "gru.safetensors").stat().st_size > 4 * 3 * 4 * (28 + 4 + 2)  # the float32 weights at least


def test_convert_refuses_a_file_that_is_not_a_keras_model(capsys, tmp_path):
    (tmp_path / "notes.keras").write_text("not a model")
    code, out, err = run(capsys, "convert", str(tmp_path / "notes.keras"), str(tmp_path / "out.safetensors"))
    (line,) = err.strip().splitlines()
    assert code == 2 and out == "" and "not a Keras model file" in line
    assert not (tmp_path / "out.safetensors").exists()


def test_params_verify_agrees_with_torch(capsys):
    from rnncheck.conformance.backends import require

    require("torch")
    argv = ["--framework", "torch", "--cell", "lstm", "--input-size", "28", "--units", "64", "--proj-size", "16"]
    code, out, _ = run(capsys, "params", "--verify", "--json", *argv, "--num-layers", "2", "--bidirectional")
    (row,) = json.loads(out)
    assert code == 0 and row["verified"] == {"recurrent": 53248, "total": 53248 + (32 + 1) * 10} == {
        "recurrent": row["recurrent"],
        "total": row["total"],
    }


def test_gradients_trains_both_models_and_prints_a_norm_per_row(capsys, tiny_npz, tmp_path):
    plot = tmp_path / "rows.png"
    argv = ["gradients", "--data", str(tiny_npz), "--no-verify", "--units", "8", "--images", "4", "--json"]
    argv += ["--preset", "classic"]  # the default (gate) unrolls 28 steps: twice the time, spent tracing
    code, out, err = run(capsys, *argv, "--plot", str(plot))
    simple, lstm = json.loads(out)
    assert code == 0
    assert (simple["layer"], simple["units"], simple["params"]) == ("SimpleRNN", 8, 8 * (28 + 8 + 1) + 9 * 10)
    assert (lstm["layer"], lstm["units"], lstm["params"]) == (
        "LSTM",
        3,
        4 * 3 * (28 + 3 + 1) + 4 * 10,
    )  # nearest budget
    assert all(len(r["norms"]) == 28 and all(n > 0 for n in r["norms"]) and r["images"] == 4 for r in (simple, lstm))
    assert "trained (classic preset) to test accuracy" in err and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gradients_measures_a_saved_model_without_training(capsys, tiny_npz, tmp_path):
    import keras

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.GRU(3), keras.layers.Dense(10, "softmax")])
    model.save(tmp_path / "gru.keras")
    argv = [
        "gradients",
        "--data",
        str(tiny_npz),
        "--no-verify",
        "--model",
        str(tmp_path / "gru.keras"),
        "--images",
        "2",
    ]
    code, out, err = run(capsys, *argv)
    header, *rows = out.strip().splitlines()
    assert code == 0 and header.split() == ["row", "GRU(3)"] and len(rows) == 28
    assert "trained" not in err


# rnncheck divergences: the causes table, and each cause's standalone script.


def test_divergences_lists_every_cause_with_its_backend_and_releases(capsys):
    from rnncheck.conformance.causes import CAUSES

    assert cli.main(["divergences"]) == 0
    out = capsys.readouterr().out
    for cause in CAUSES.values():
        assert f"{cause.id}  ({cause.backend}; Keras {', '.join(cause.releases)})\n    {cause.summary}" in out


def test_divergences_json_has_the_documented_fields(capsys):
    assert cli.main(["divergences", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    keys = {"id", "backend", "backends", "summary", "releases", "keras", "documented", "upstream", "report", "needs"}
    assert rows and all(set(row) == keys | {"machine"} for row in rows)
    machines = {row["id"]: row["machine"] for row in rows if row["machine"]}
    assert set(machines) == {"tensorflow-cpu-conv-channels-first", "tensorflow-onednn-conv-one-column"}, machines
    assert all(row["backend"] == ", ".join(row["backends"]) for row in rows)
    assert all(Path(row["report"]).name == f"{row['id']}.md" for row in rows)


def test_divergences_repro_prints_a_script_that_needs_no_rnncheck(capsys):
    assert cli.main(["divergences", "--repro", "tensorflow-unroll-reversed-mask-zeroing"]) == 0
    script = capsys.readouterr().out
    compile(script, "repro.py", "exec")
    assert "import keras" in script and "rnncheck" not in script.split('"""', 2)[-1]


def test_divergences_repro_refuses_an_unknown_id_naming_the_ids(capsys):
    assert cli.main(["divergences", "--repro", "no-such-cause"]) == 2
    assert "unknown cause id 'no-such-cause'; the ids are: torch-unroll-flip-tuple" in capsys.readouterr().err


def test_convert_to_onnx_writes_the_graph_and_refuses_a_non_model(tmp_path, capsys):
    import keras

    require("onnx")  # the onnx extra; a failure where RNNCHECK_REQUIRE_BACKENDS is set
    model = keras.Sequential([keras.Input((3, 2)), keras.layers.GRU(4), keras.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "model.keras")
    assert cli.main(["convert", str(tmp_path / "model.keras"), str(tmp_path / "model.onnx"), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["input"]["shape"] == ["batch", "time", 2] and (tmp_path / "model.onnx").stat().st_size > 0
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    assert cli.main(["convert", str(tmp_path / "junk.keras"), str(tmp_path / "junk.onnx")]) == 2
    assert "junk.keras: not a Keras model file" in capsys.readouterr().err and not (tmp_path / "junk.onnx").exists()
