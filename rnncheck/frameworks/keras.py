"""Keras's recurrent layers on the active backend (KERAS_BACKEND: tensorflow, jax or torch) as a framework under
test. Keras's own layout is the reference's, so no weight moves; the layers come from rnncheck.model."""

from __future__ import annotations

import os

from rnncheck.cells import CELLS


def backend() -> str:
    """The Keras backend this process runs (Keras reads KERAS_BACKEND once, at its import)."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def supports(cell: str, **options) -> str | None:
    """None: Keras has every cell rnncheck knows (each cell module names its Keras class)."""
    return None if cell in CELLS else f"rnncheck knows no cell {cell!r}"


def layer(cell: str, *, units: int, **options):
    """The Keras layer of `cell` (rnncheck.model.recurrent_layer; Bidirectional with bidirectional=True)."""
    from rnncheck.model import recurrent_layer

    return recurrent_layer(cell, units=units, **options)
