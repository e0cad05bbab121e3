"""pytest plugin of bench/jax_compiles.py: every jax trace, lowering and XLA compile of the run, one JSON line each in
$RNNCHECK_JAX_COMPILE_LOG (jax.monitoring's duration events), with its test and the rnncheck frame that caused it;
each test's own time; and each compiled.call, with its layer and the structure its jitted call is compiled for.
Loaded with `-p jax_compile_log`, this folder on PYTHONPATH; inert on other backends."""

from __future__ import annotations

import itertools
import json
import os
import traceback
import weakref

import pytest

PHASES = {
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
    "/jax/core/compile/backend_compile_duration": "compile",  # XLA's, or a persistent-cache hit's read
}
_now = {"test": "(collection)", "hit": False}
_log = []


def pytest_configure(config):
    # Not in xdist's controller: its workers' reports reach it too, and it compiles nothing of the tests'.
    controller = not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no"
    if os.environ.get("KERAS_BACKEND") != "jax" or controller:
        return
    import jax

    log = open(os.environ["RNNCHECK_JAX_COMPILE_LOG"], "a", buffering=1, encoding="utf-8")  # xdist workers append
    _log.append(log)
    config.add_cleanup(log.close)

    def on_event(event, **_):
        if event == "/jax/compilation_cache/cache_hits":  # recorded inside the compile event it belongs to
            _now["hit"] = True

    def on_duration(event, seconds, *, fun_name="", **_):
        phase = PHASES.get(event)
        if phase is None:
            return
        hit, _now["hit"] = (_now["hit"], False) if phase == "compile" else (False, _now["hit"])
        write(phase=phase, seconds=seconds, function=fun_name, caller=caller(), hit=hit)

    jax.monitoring.register_event_listener(on_event)
    jax.monitoring.register_event_duration_secs_listener(on_duration)
    log_layer_calls()


def log_layer_calls():
    """Wrap rnncheck.compiled.call (the suite looks it up on the module at each call) to log each call's layer,
    numbered, and its structure: class, configuration without the name, and the shapes of inputs and weights."""
    import keras
    import numpy as np

    from rnncheck import compiled

    plain, numbers, serial = compiled.call, weakref.WeakKeyDictionary(), itertools.count()

    def shapes(value):
        return [list(np.shape(t)) for t in keras.tree.flatten(value)]

    def call(layer, inputs, **options):
        if layer not in numbers:
            numbers[layer] = next(serial)
        config = {k: v for k, v in layer.get_config().items() if k != "name"}
        arguments = sorted((k, v if k == "training" else shapes(v)) for k, v in options.items())
        weights = [list(v.shape) for v in layer.weights]
        structure = [type(layer).__qualname__, config, shapes(inputs), arguments, weights]
        write(phase="layer call", layer=numbers[layer], structure=json.dumps(structure, sort_keys=True, default=str))
        return plain(layer, inputs, **options)

    compiled.call = call


def write(**record):
    if _log:
        _log[0].write(json.dumps({"test": _now["test"], **record}) + "\n")


def caller() -> str:
    """The innermost frame of rnncheck's own code (the package, its suite) on the stack: file:line function."""
    for frame in reversed(traceback.extract_stack()):
        path = frame.filename.replace(os.sep, "/")
        if "/rnncheck/" in path and frame.filename != __file__:
            return f"{path.rsplit('/rnncheck/', 1)[1]}:{frame.lineno} {frame.name}"
    return "(outside rnncheck)"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _now["test"] = item.nodeid


def pytest_runtest_logreport(report):
    if report.when == "call":
        write(phase="test", seconds=report.duration, function="", caller="", hit=False)
