"""rnncheck.repro: each upstream reproducer, run as its own process on each backend its cause holds on, still shows
its divergence (exit 1, both answers printed); script() refuses an unknown id; the scripts import nothing but the
standard library, numpy, keras and what their cause's example needs (an exporter, onnxruntime: Cause.needs)."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from rnncheck import repro
from rnncheck.conformance.backends import require_findable
from rnncheck.conformance.causes import CAUSES, onednn_runs_avx512

# What each script prints for Keras (3.15.1) and for the documented answer: (keras_answer, documented), or a dict
# backend -> (keras_answer, documented) where the backends' answers differ.
PRINTS = {
    "torch-unroll-flip-tuple": ("AttributeError: 'tuple' object has no attribute 'shape'", "[[0.0]]"),
    "jax-scan-masked-output-h0": ("output [[1.0]], state [[1.0]]", "output [[0.0]], state [[1.0]]"),
    "jax-unroll-zero-output-for-mask-ignored": ("[[[0.7616], [0.7616]]]", "[[[0.7616], [0.0]]]"),
    "tensorflow-unroll-reversed-mask-zeroing": ("[[[0.0, 0.0], [0.0, 0.0]]]", "[[[0.0, 0.7616], [0.0, 0.0]]]"),
    "jax-scan-mask-rank": ("[[0.4621, 0.0], [0.4621, 0.0]]", "[[0.4621, 0.4621], [0.0, 0.0]]"),
    "masking-subnormal-flushed": ("mask [[False, True]]", "mask [[True, True]]"),
    "stacked-cells-one-cell": {
        "tensorflow": ("ValueError: The two structures don't have the same nested structure.", "output [[0.0]]"),
        "jax": ("ValueError: list arity mismatch; expected: 1, got: 2", "output [[0.0]]"),
        "torch": ("IndexError: list index out of range", "output [[0.0]]"),
    },
    "stacked-cells-eager-state-nest": ("[(1, 1), [(1, 1)], [(1, 1)]]", "[(1, 1), (1, 1), (1, 1)]"),
    "reset-state-states-refused": (
        "TypeError: RNN.reset_state() got an unexpected keyword argument 'states'",
        "state [[1.0]]",
    ),
    "bidirectional-stateful-return-state": (
        "TypeError: unsupported operand type(s) for *: 'generator' and 'int'",
        "[(1, 2), (1, 1), (1, 1)]",
    ),
    "tensorflow-stateful-predict-batch-unchecked": (
        "predictions of shape (4, 2) for 3 sequences, no error",
        "ValueError: If an RNN is stateful, the batch size of the input sequences must be the same as the batch size "
        "of the initial state.",
    ),
    "gru-lstm-dropout-one-ignored": ("output [[0.3546]]", "output [[0.0]]"),
    "bidirectional-go-backwards-refused": (
        "ValueError: Forward layer and backward layer should have different `go_backwards` value.",
        "constructed; output shape (1, 2)",
    ),
    "lstm-unit-forget-bias-keeps-bias-initializer": ("bias [1.0, 1.0, 1.0, 1.0]", "bias [0.0, 1.0, 0.0, 0.0]"),
    "tensorflow-cpu-conv-channels-first": (
        "UnimplementedError: The Conv2D op currently only supports the NHWC tensor format on the CPU",
        "output of shape (1, 1, 2)",
    ),
    "tensorflow-onednn-conv-one-column": (
        "conv: 2 of 4 values wrong; ConvLSTM2D: 2 of 4 h wrong (row 1 of each image)",
        "conv: every value 2.0; ConvLSTM2D: every h the same (0.6083)",
    ),
    "jax-onnx-export-reverse-scan": (
        "NotImplementedError: Reverse scan is not supported in IR pipeline.",
        "the graph is written, and onnxruntime runs it: [[0.0]]",
    ),
    "torch-onnx-export-traced-length": (
        "the graph is written; onnxruntime refuses it: Node (/ReduceMax) Op (ReduceMax) [ShapeInferenceError] axis "
        "must be in [-rank, rank-1]. Input rank was 0",
        "the graph is written, and onnxruntime runs it: [[0.0]]",
    ),
    "squareplus-float32-cancellation": (
        "squareplus(-1000) 0.00100708, squareplus(-10000) 0; LSTM output -0.23246",
        "squareplus(-1000) 0.000999999, squareplus(-10000) 0.0001; LSTM output -0.23220",
    ),
}

CASES = [(cause_id, backend) for cause_id in repro.CAUSE_IDS for backend in repro.BACKENDS[cause_id]]


def expected(cause_id: str, backend: str) -> tuple[str, str]:
    """What the script prints for Keras and for the documented answer on `backend`."""
    prints = PRINTS[cause_id]
    return prints[backend] if isinstance(prints, dict) else prints


def test_every_cause_has_its_backends_and_its_expected_output():
    assert set(repro.BACKENDS) == set(repro.CAUSE_IDS) == set(PRINTS)
    for cause_id, backends in repro.BACKENDS.items():
        assert isinstance(backends, tuple) and backends, cause_id
        assert set(backends) <= {"tensorflow", "jax", "torch"}, cause_id
        if isinstance(PRINTS[cause_id], dict):
            assert set(PRINTS[cause_id]) == set(backends), cause_id


@pytest.mark.parametrize(("cause_id", "backend"), CASES, ids=[f"{cause_id}-{backend}" for cause_id, backend in CASES])
def test_script_still_shows_the_divergence(cause_id, backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    for library in CAUSES[cause_id].needs:  # an exporter, onnxruntime: rnncheck[export], required in CI
        require_findable(library)
    path = tmp_path / repro.filename(cause_id)
    path.write_text(repro.script(cause_id), encoding="utf-8")  # as a reporter would: the file on its own
    env = {name: value for name, value in os.environ.items() if name != "KERAS_BACKEND"}
    argv = [backend] if len(repro.BACKENDS[cause_id]) > 1 else []  # a single-backend script takes no argument
    result = subprocess.run(
        [sys.executable, str(path), *argv], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    keras_answer, documented = expected(cause_id, backend)
    if cause_id == "tensorflow-onednn-conv-one-column" and not onednn_runs_avx512():
        # The script forces oneDNN on; without AVX-512 its AVX2 kernels run, and they compute it
        keras_answer = documented.split(" (")[0]
        assert result.returncode == 0, output
    else:
        assert result.returncode == 1, output
    lines = result.stdout.splitlines()
    assert f"backend {backend}" in lines[0], output
    assert any(line.startswith("Keras:") and keras_answer in line for line in lines), output
    assert any(line.startswith("documented:") and documented in line for line in lines), output


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="TensorFlow's oneDNN switch is x86's")
@pytest.mark.parametrize(("onednn", "holds"), [("0", True), ("1", False)])
def test_the_conv_cause_holds_exactly_where_tensorflow_runs_without_onednn(onednn, holds):
    check = "import sys; from rnncheck.conformance.causes import CAUSES; "
    check += "sys.exit(0 if CAUSES['tensorflow-cpu-conv-channels-first'].holds_here() else 3)"
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == (0 if holds else 3), f"TF_ENABLE_ONEDNN_OPTS={onednn}: {result.stderr[-2000:]}"


CONV_GRID = [1, 2, 3], [1, 2, 3], [1, 2, 3, 4, 5], [1, 2], [1, 2], [1, 3], [1, 2], [1, 3], ["valid", "same"]
# In a process of its own (TensorFlow reads TF_ENABLE_ONEDNN_OPTS once): the grid's shapes TensorFlow gets wrong
# against the reference's convolution, as JSON; exit 3 if one of them has row 0 wrong too.
WRONG_CONVOLUTIONS = """
import itertools, json, sys
import numpy as np
import tensorflow as tf
from rnncheck.cells.convlstm import _Conv

rng = np.random.default_rng(0)
wrong = []
for batch, rows, columns, channels, kr, kc, sr, sc, padding in itertools.product(*json.loads(sys.argv[1])):
    if padding == "valid" and (kr > rows or kc > columns):
        continue
    x = rng.standard_normal((batch, rows, columns, channels)).astype(np.float32)
    kernel = rng.standard_normal((kr, kc, channels, 2)).astype(np.float32)
    actual = tf.nn.convolution(x, kernel, strides=(sr, sc), padding=padding.upper()).numpy()
    conv = _Conv((rows, columns), (kr, kc), strides=(sr, sc), dilations=(1, 1), padding=padding)
    expected = conv.forward(x, kernel)  # (batch, rows, columns, 2)
    if not np.allclose(actual, expected, atol=1e-4):
        wrong.append([batch, rows, columns, channels, kr, kc, sr, sc, padding])
        if not np.allclose(actual[:, 0], expected[:, 0], atol=1e-4):
            sys.exit(f"{wrong[-1]}: row 0 wrong too")
print(json.dumps(wrong))
"""


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="TensorFlow's oneDNN switch is x86's")
@pytest.mark.parametrize("onednn", ["0", "1"])
def test_onednn_misreads_exactly_the_convolutions_its_region_names_after_their_first_row(onednn):
    from rnncheck.conformance.causes import onednn_misreads_conv

    named = set()
    for batch, rows, columns, channels, kr, kc, sr, sc, padding in itertools.product(*CONV_GRID):
        if padding == "valid" and (kr > rows or kc > columns):
            continue
        region = dict(batch=batch, spatial=(rows, columns), channels=channels, kernel_size=(kr, kc))
        if onednn_misreads_conv(**region, strides=(sr, sc), padding=padding):
            named.add((batch, rows, columns, channels, kr, kc, sr, sc, padding))
    assert named, "the grid holds none of the region"
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", WRONG_CONVOLUTIONS, json.dumps(CONV_GRID)], env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"TF_ENABLE_ONEDNN_OPTS={onednn}: {result.stderr[-2000:]}"
    wrong = {tuple(shape) for shape in json.loads(result.stdout)}
    expected = named if onednn == "1" and onednn_runs_avx512() else set()  # oneDNN's AVX2 kernels compute it
    assert wrong == expected, (
        f"TF_ENABLE_ONEDNN_OPTS={onednn}, AVX-512 {onednn_runs_avx512()}: "
        f"wrong, not named: {sorted(wrong - expected)}; named, right: {sorted(expected - wrong)}"
    )


@pytest.mark.parametrize("cause_id", repro.CAUSE_IDS)
def test_each_cause_has_an_upstream_report_holding_its_script_as_shipped(cause_id):
    report = Path(__file__).parents[1] / CAUSES[cause_id].to_dict()["report"]
    assert report.is_file(), f"{cause_id}: no report at {report}"
    text = report.read_text(encoding="utf-8")
    assert cause_id in text, f"{report.name} does not name its cause"
    shipped = f"```python\n{repro.script(cause_id).rstrip()}\n```"
    assert shipped in text, f"{report.name}: its script is not the shipped one"


def test_script_refuses_an_unknown_id():
    with pytest.raises(ValueError, match="unknown cause id 'no-such-cause'") as raised:
        repro.script("no-such-cause")
    assert all(cause_id in str(raised.value) for cause_id in repro.CAUSE_IDS)


@pytest.mark.parametrize("cause_id", repro.CAUSE_IDS)
def test_script_imports_only_the_standard_library_numpy_keras_and_what_its_cause_needs(cause_id):
    tree = ast.parse(repro.script(cause_id))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) <= {"numpy", "keras", *CAUSES[cause_id].needs}, imported
    assert ast.get_docstring(tree) and "Run: python " in ast.get_docstring(tree)


@pytest.mark.parametrize("cause_id", repro.CAUSE_IDS)
def test_script_takes_the_backend_as_argument_only_where_its_cause_has_several(cause_id):
    backends = repro.BACKENDS[cause_id]
    text = repro.script(cause_id)
    run = next(line for line in ast.get_docstring(ast.parse(text)).splitlines() if line.startswith("Run: python "))
    if len(backends) > 1:
        assert f'sys.argv[1] if len(sys.argv) > 1 else "{backends[0]}"' in text
        assert f"Run: python {repro.filename(cause_id)} [{'|'.join(backends)}]" in run
    else:
        assert f'os.environ["KERAS_BACKEND"] = "{backends[0]}"' in text
        assert "[" not in run.split("(")[0]
