"""Standalone reproducers of the Keras divergences rnncheck found (rnncheck.conformance.divergences), one script
per cause, ready to paste into an upstream issue (docs/upstream/<id>.md).

Each script imports only the standard library, numpy and keras (and what its cause's example needs: an exporter,
onnxruntime, Cause.needs), sets KERAS_BACKEND itself, prints Keras's answer beside the
documented one, and exits 1 while the divergence holds, 0 once Keras is fixed. A cause that holds on several
backends has one script for all of them: it takes the backend as its optional first argument (its cause's first
backend by default); a single-backend script takes none. This module imports no framework
(rnncheck.conformance.causes needs NumPy only).
"""

from __future__ import annotations

from importlib import resources

from rnncheck.conformance.causes import CAUSES

CAUSE_IDS = tuple(CAUSES)  # the causes table is the one list of them
BACKENDS = {cause.id: cause.backends for cause in CAUSES.values()}  # the KERAS_BACKENDs where each holds, in order


def filename(cause_id: str) -> str:
    """The script's file name in this package: the id with - as _."""
    if cause_id not in CAUSE_IDS:
        raise ValueError(f"unknown cause id {cause_id!r}; the ids are: {', '.join(CAUSE_IDS)}")
    return cause_id.replace("-", "_") + ".py"


def script(cause_id: str) -> str:
    """The text of the reproducer script for `cause_id`."""
    return resources.files(__name__).joinpath(filename(cause_id)).read_text(encoding="utf-8")
