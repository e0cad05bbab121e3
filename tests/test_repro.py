"""rnncheck.repro: each upstream reproducer, run as its own process, still shows its divergence (exit 1, both
answers printed); script() refuses an unknown id; the scripts import nothing but os, sys, numpy and keras."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys

import pytest

from rnncheck import repro

# What each script prints for Keras (3.15.1) and for the documented answer.
PRINTS = {
    "torch-unroll-flip-tuple": ("AttributeError: 'tuple' object has no attribute 'shape'", "[[0.0]]"),
    "jax-scan-masked-output-h0": ("output [[1.0]], state [[1.0]]", "output [[0.0]], state [[1.0]]"),
    "jax-unroll-zero-output-for-mask-ignored": ("[[[0.7616], [0.7616]]]", "[[[0.7616], [0.0]]]"),
    "tensorflow-unroll-reversed-mask-zeroing": ("[[[0.0, 0.0], [0.0, 0.0]]]", "[[[0.0, 0.7616], [0.0, 0.0]]]"),
    "jax-scan-mask-rank": ("[[0.4621, 0.0], [0.4621, 0.0]]", "[[0.4621, 0.4621], [0.0, 0.0]]"),
}


def test_every_cause_has_a_backend_and_its_expected_output():
    assert set(repro.BACKEND) == set(repro.CAUSE_IDS) == set(PRINTS)


@pytest.mark.parametrize("cause_id", repro.CAUSE_IDS)
def test_script_still_shows_the_divergence(cause_id, tmp_path):
    backend = repro.BACKEND[cause_id]
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    path = tmp_path / repro.filename(cause_id)
    path.write_text(repro.script(cause_id), encoding="utf-8")  # as a reporter would: the file on its own
    env = {name: value for name, value in os.environ.items() if name != "KERAS_BACKEND"}
    result = subprocess.run(
        [sys.executable, str(path)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    keras_answer, documented = PRINTS[cause_id]
    lines = result.stdout.splitlines()
    assert f"backend {backend}" in lines[0], output
    assert any(line.startswith("Keras:") and keras_answer in line for line in lines), output
    assert any(line.startswith("documented:") and documented in line for line in lines), output


def test_script_refuses_an_unknown_id():
    with pytest.raises(ValueError, match="unknown cause id 'no-such-cause'") as raised:
        repro.script("no-such-cause")
    assert all(cause_id in str(raised.value) for cause_id in repro.CAUSE_IDS)


@pytest.mark.parametrize("cause_id", repro.CAUSE_IDS)
def test_script_imports_only_os_sys_numpy_and_keras(cause_id):
    tree = ast.parse(repro.script(cause_id))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else node.module.split(".")[0])
    assert imported <= {"os", "sys", "numpy", "keras"}, imported
    assert ast.get_docstring(tree) and "Run: python " in ast.get_docstring(tree)
