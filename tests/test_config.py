"""TrainConfig checks itself, and each backend gets the configuration it can run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnncheck.config import BACKEND_LIMITS, CLASSIC, GATE, PRESETS, TrainConfig, for_backend
from rnncheck.frameworks import KERAS_BACKENDS

BAD_VALUES = [
    ("units", 0, ValueError),
    ("units", 2.5, TypeError),
    ("batch_size", -1, ValueError),
    ("epochs", True, TypeError),
    ("steps_per_execution", 0, ValueError),
    ("seed", -1, ValueError),
    ("seed", 1.5, TypeError),
    ("seed", "0", TypeError),
    ("learning_rate", 0, ValueError),
    ("learning_rate", float("nan"), ValueError),
    ("learning_rate", "fast", TypeError),
    ("clipnorm", -1.0, ValueError),
]


@pytest.mark.parametrize("field, value, error", BAD_VALUES, ids=[f"{f}={v!r}" for f, v, _ in BAD_VALUES])
def test_bad_fields_raise_naming_the_field(field, value, error):
    with pytest.raises(error, match=field):
        TrainConfig(**{field: value})


def test_numpy_integers_are_integers():
    config = TrainConfig(units=np.int64(8), seed=np.uint8(3))
    assert (config.units, config.seed) == (8, 3)


def test_decay_steps_count_every_optimizer_step():
    assert TrainConfig(batch_size=128, epochs=3).decay_steps(60_000) == 3 * 469  # ceil(60000 / 128) = 469


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("backend", KERAS_BACKENDS)
def test_presets_adapt_only_what_a_backend_cannot_run(name, backend):
    adapted = for_backend(PRESETS[name], backend)
    changed = {
        f.name for f in dataclasses.fields(TrainConfig) if getattr(adapted, f.name) != getattr(PRESETS[name], f.name)
    }
    assert changed <= set(BACKEND_LIMITS.get(backend, {}))


def test_torch_runs_one_step_per_execution():
    assert GATE.steps_per_execution > 1 and for_backend(GATE, "torch").steps_per_execution == 1
    assert for_backend(CLASSIC, "torch") == CLASSIC
