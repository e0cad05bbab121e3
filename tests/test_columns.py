"""The columns that are not Keras backends run on whichever backend KERAS_BACKEND names (rnncheck.conform:
`KERAS_BACKEND=torch rnncheck conform --backends onnxruntime`): their tests that build Keras models pass on each,
and the run itself says which versions ran.

CI's pytest runs those columns on tensorflow only; a Keras output read with np.asarray (torch's requires grad)
failed onnxruntime's column on torch, unseen there. These are onnxruntime's conversion tests, the ones that build,
save and convert Keras models; the rest of its file and pytorch's compute without Keras.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

import pytest

from rnncheck import conform
from rnncheck.conformance.backends import missing

CONVERSIONS = ["-k", "convert", "-n", "0"]  # test_convert_*, test_converted_*: one process (-n 0), not a worker each
PROBED = {"probed": "conform started a process to ask for the versions: the run did not write them"}


@pytest.fixture(scope="module", params=["jax", "torch"])
def conversions(request) -> tuple[str, conform.BackendRun]:
    """onnxruntime's conversion tests, run by conform on KERAS_BACKEND=param, its version probe marked."""
    backend = request.param
    if importlib.util.find_spec(backend) is None:
        missing(backend)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERAS_BACKEND", backend)
        patch.setattr(conform, "backend_versions", lambda env: PROBED)
        return backend, conform.run_backend("onnxruntime", tests=conform.suite_folder(), pytest_args=CONVERSIONS)


def test_onnxruntime_column_converts_keras_models_on_every_backend(conversions):
    backend, run = conversions
    names = [o.test.split("::")[-1] for o in run.outcomes]
    assert run.ok and run.count("passed") >= 10, (
        f"onnxruntime's column on KERAS_BACKEND={backend}: {run.count('passed')} passed, failures "
        f"{[(o.test, o.message) for o in run.unexpected]}{run.output}"
    )
    assert all("convert" in name for name in names), f"ran more than the conversions: {names}"


def test_the_run_reports_the_backend_and_versions_that_ran(conversions):
    backend, run = conversions
    assert run.versions != PROBED, PROBED["probed"]
    installed = importlib.metadata.version(backend)  # not imported here: torch after TensorFlow can crash
    assert run.versions.get("backend") == backend, f"the column ran on {run.versions}, not {backend}"
    # torch's own __version__ carries its build (2.14.1+cu130), its distribution's version does not
    reported = str(run.versions.get(backend, "")).split("+")[0]
    assert reported == installed, f"{run.versions}: {backend} {installed} is installed"
