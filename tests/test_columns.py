"""The columns that are not Keras backends run on whichever backend KERAS_BACKEND names (rnncheck.conform:
`KERAS_BACKEND=torch rnncheck conform --backends onnxruntime`): their tests that build Keras models pass on each.

CI's pytest runs those columns on tensorflow only; a Keras output read with np.asarray (torch's requires grad)
failed onnxruntime's column on torch, unseen there. These are onnxruntime's conversion tests, the ones that build,
save and convert Keras models; the rest of its file and pytorch's compute without Keras.
"""

from __future__ import annotations

import importlib.util

import pytest

from rnncheck import conform
from rnncheck.conformance.backends import missing

CONVERSIONS = ["-k", "convert", "-n", "0"]  # test_convert_*, test_converted_*: one process (-n 0), not a worker each


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_onnxruntime_column_converts_keras_models_on_every_backend(backend, monkeypatch):
    if importlib.util.find_spec(backend) is None:
        missing(backend)
    monkeypatch.setenv("KERAS_BACKEND", backend)
    run = conform.run_backend("onnxruntime", tests=conform.suite_folder(), pytest_args=CONVERSIONS)
    names = [o.test.split("::")[-1] for o in run.outcomes]
    assert run.ok and run.count("passed") >= 10, (
        f"onnxruntime's column on KERAS_BACKEND={backend}: {run.count('passed')} passed, failures "
        f"{[(o.test, o.message) for o in run.unexpected]}{run.output}"
    )
    assert all("convert" in name for name in names), f"ran more than the conversions: {names}"
    assert run.versions.get("backend") == backend, f"the column ran on {run.versions}, not {backend}"
