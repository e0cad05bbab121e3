"""Fixtures the suite and the project's own tests share."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fresh_keras_session():
    """Each test starts from a clean Keras session: no seeds or layer-name counters left by the one before
    (the layers rnncheck.conformance.layers shares outlive it, built once, given their weights at each use)."""
    import keras

    keras.utils.clear_session(free_memory=False)
