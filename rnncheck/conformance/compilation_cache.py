"""One jax compilation cache for a run of the suite, shared by its xdist workers (pure Python: jax is not imported).

Keras's eager call of a recurrent layer on jax compiles its `lax.scan` anew each time: the step function is a new
closure every call, so jax's in-memory cache misses. The computation, and so its HLO, is the same for every layer
of one structure and shape, and jax's persistent cache is keyed by the HLO: with it an eager call of a small GRU
takes 0.035 s instead of 0.2 s. Nothing is checked less: the executable is the one XLA compiled for that HLO.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

CACHE_DIR = "JAX_COMPILATION_CACHE_DIR"  # jax reads its options from these variables when it is imported


def share() -> None:
    """On jax, before jax is imported: cache every compilation (however quick) in JAX_COMPILATION_CACHE_DIR, or
    where that is unset in a temporary folder of this run, removed when the process that made it exits.

    pytest's own process runs this first, before xdist starts its workers, which inherit the environment.
    """
    if os.environ.get("KERAS_BACKEND") != "jax":
        return
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    if CACHE_DIR not in os.environ:
        folder = tempfile.mkdtemp(prefix="rnncheck-jax-cache-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ[CACHE_DIR] = folder
