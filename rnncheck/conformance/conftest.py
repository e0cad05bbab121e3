"""The suite's own set-up, wherever it runs (a checkout, an installed wheel): profiles, warnings, a fresh session."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is first imported

from rnncheck.conform import VERSIONS_ENV  # noqa: E402  (rnncheck.conform imports no framework)
from rnncheck.conformance import compilation_cache  # noqa: E402

compilation_cache.share()  # before jax is first imported

import pytest  # noqa: E402

from rnncheck.conformance import profiles  # noqa: E402
from rnncheck.conformance.fixtures import fresh_keras_session  # noqa: E402, F401  (autouse)

profiles.register()

# Run from an installed package there is no project configuration: the suite brings the lines it needs.
WARNINGS = (
    "error",
    # Keras's model.save() (and get_weights() on jax and torch) call np.array(tensor) on tensors whose __array__
    # takes no copy= keyword, which NumPy 2.4 deprecates: Keras's code, not ours (ours reads tensors with np.asarray).
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning:keras",
    # torch's CUDA build, on a machine with no GPU driver, warns once per process when autograd first asks how many
    # devices there are (c10/cuda/CUDAFunctions.cpp): the machine's, not our code's; PyTorch then runs on the CPU.
    "ignore:CUDA initialization:UserWarning",
    # torch's CPU build with oneDNN, running nn.LSTM(proj_size > 0), says once that oneDNN has no projections and
    # PyTorch's own implementation runs instead (aten/src/ATen/native/RNN.cpp): that implementation is what is judged.
    "ignore:LSTM with projections is not supported with oneDNN:UserWarning",
)


def pytest_configure(config: pytest.Config) -> None:
    present = config.getini("filterwarnings")
    for line in WARNINGS:
        if line not in present:
            config.addinivalue_line("filterwarnings", line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # rnncheck conform asks the run which versions ran, rather than start a process that imports Keras and its
    # backend again to say it (2-5 s a column). Each process that imported Keras (every xdist worker, or the one
    # process) writes the same versions, each whole: written aside, then moved into place.
    path = os.environ.get(VERSIONS_ENV)
    if path and "keras" in sys.modules:
        from rnncheck.train import versions

        aside = Path(f"{path}.{os.getpid()}")
        aside.write_text(json.dumps(versions()), encoding="utf-8")
        os.replace(aside, path)
