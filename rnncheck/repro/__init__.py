"""Standalone reproducers of the Keras divergences rnncheck found (rnncheck.conformance.divergences), one script
per cause, ready to paste into an upstream issue (docs/upstream/<id>.md).

Each script imports only os, sys, numpy and keras, sets KERAS_BACKEND itself, prints Keras's answer beside the
documented one, and exits 1 while the divergence holds, 0 once Keras is fixed. This module imports no framework
(rnncheck.conformance.causes needs NumPy only).
"""

from __future__ import annotations

from importlib import resources

from rnncheck.conformance.causes import CAUSES

CAUSE_IDS = tuple(CAUSES)  # the causes table is the one list of them
BACKEND = {cause.id: cause.backend for cause in CAUSES.values()}


def filename(cause_id: str) -> str:
    """The script's file name in this package: the id with - as _."""
    if cause_id not in CAUSE_IDS:
        raise ValueError(f"unknown cause id {cause_id!r}; the ids are: {', '.join(CAUSE_IDS)}")
    return cause_id.replace("-", "_") + ".py"


def script(cause_id: str) -> str:
    """The text of the reproducer script for `cause_id`."""
    return resources.files(__name__).joinpath(filename(cause_id)).read_text(encoding="utf-8")
