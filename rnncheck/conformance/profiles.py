"""Hypothesis profiles of the suite (pick one with Hypothesis's own --hypothesis-profile=NAME):
    dev   the default on a workstation: quick, randomized
    ci    Hypothesis's built-in one (derandomized, no deadline, no database), loaded where Hypothesis detects CI
    fuzz  thousands of random examples per property (RNNCHECK_FUZZ_EXAMPLES, default 2000); run it with -n auto

Whatever the profile, a draw depends on its seed and strategy only: Hypothesis's pool of "local constants" is kept
empty (no_local_constants), as it already is for an installed wheel.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    GitHubArtifactDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

_registered = False


def example_database(*, in_ci: bool):
    """Where failing examples are kept: .hypothesis/examples, and on a developer's machine (RNNCHECK_SHARED_DB set
    to owner/repo, GITHUB_TOKEN set) also, read-only, the nightly fuzz job's for this backend."""
    local = DirectoryBasedExampleDatabase(".hypothesis/examples")
    shared = os.environ.get("RNNCHECK_SHARED_DB")
    if in_ci or not shared:  # CI writes its own; the fuzz workflow uploads it
        return local
    owner, _, repo = shared.partition("/")
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    name = f"hypothesis-example-db-{backend}"
    nightly = GitHubArtifactDatabase(owner, repo, artifact_name=name, path=f".hypothesis/github-artifacts/{name}")
    return MultiplexedDatabase(local, ReadOnlyDatabase(nightly))


def no_local_constants() -> None:
    """Keep Hypothesis from drawing constants found in the source of the modules imported so far.

    Hypothesis (6.131 on) sometimes draws a literal from a "local" module's source, one outside site-packages and
    not a test file: a checkout's rnncheck, not an installed wheel's. That pool grows with each import, so the
    same derandomized property drew other examples in a checkout than from the wheel, and in one process than in
    another that imported in another order (a divergence that one CI column found and another did not). Kept
    empty, every run draws what the wheel draws. Hypothesis has no setting for this: its provider's one function
    is replaced, and RuntimeError names a Hypothesis that no longer has it.
    """
    import hypothesis
    from hypothesis.internal.conjecture import providers

    if not hasattr(providers, "_get_local_constants") or not hasattr(providers, "Constants"):
        raise RuntimeError(
            f"hypothesis {hypothesis.__version__}: hypothesis.internal.conjecture.providers has no "
            "_get_local_constants to replace; rnncheck.conformance.profiles.no_local_constants needs updating"
        )
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()  # pools computed before this call


def register() -> None:
    """Register dev, ci (50 examples) and fuzz, and load ci where Hypothesis detected CI, else dev. Once a process:
    a later call keeps what was loaded (a --hypothesis-profile given to pytest, say)."""
    global _registered
    if _registered:
        return
    _registered = True
    no_local_constants()
    # Hypothesis has already loaded its built-in "ci" profile if it detected a CI system (CI, GITHUB_ACTIONS, ...).
    in_ci = settings.get_current_profile_name() == "ci"
    database = example_database(in_ci=in_ci)
    settings.register_profile("dev", max_examples=30, deadline=None, database=database)
    settings.register_profile("ci", parent=settings.get_profile("ci"), max_examples=50)
    settings.register_profile(
        "fuzz",
        max_examples=int(os.environ.get("RNNCHECK_FUZZ_EXAMPLES", "2000")),
        deadline=None, database=database, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("ci" if in_ci else "dev")
