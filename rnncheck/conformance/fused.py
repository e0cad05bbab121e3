"""Counts the calls of Keras's fused recurrent kernels (cuDNN's LSTM and GRU) while the suite runs: a pytest plugin.

Keras's LSTM and GRU try `keras.src.backend.lstm` / `gru` first and fall back to the generic loop when it raises
NotImplementedError (no GPU, a mask on jax, an activation cuDNN lacks, unroll...). A call that returns is a fused
kernel that ran. With `-p rnncheck.conformance.fused` and RNNCHECK_FUSED_COUNTS=PATH, the counts (tried and ran,
per function) are written to PATH as JSON when the session ends: the proof that a device run took the fused path.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from pathlib import Path

COUNTS_ENV = "RNNCHECK_FUSED_COUNTS"
FUNCTIONS = ("lstm", "gru")
counts: Counter = Counter()


def _counted(name: str, function):
    @functools.wraps(function)
    def run(*args, **kwargs):
        counts[f"{name} tried"] += 1
        result = function(*args, **kwargs)  # NotImplementedError: the layer falls back to its loop
        counts[f"{name} ran"] += 1
        return result

    return run


def pytest_configure(config) -> None:
    from keras.src import backend

    for name in FUNCTIONS:
        if hasattr(backend, name) and not hasattr(getattr(backend, name), "__wrapped__"):
            setattr(backend, name, _counted(name, getattr(backend, name)))


def pytest_sessionfinish(session, exitstatus) -> None:
    path = os.environ.get(COUNTS_ENV)
    if path:
        record = {f"{name} {what}": counts[f"{name} {what}"] for name in FUNCTIONS for what in ("tried", "ran")}
        record["backend"] = os.environ.get("KERAS_BACKEND", "tensorflow")
        Path(path).write_text(json.dumps(record))
