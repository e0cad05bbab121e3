"""The suite's compiled call (rnncheck.compiled) returns what the layer's own call returns, on every backend, and
on jax compiles once per layer, reads the layer's current weights and lets the layer go; the jax compilation cache
(compilation_cache.share) is set up for jax only, and keeps a folder the user chose."""

from __future__ import annotations

import gc
import os
import weakref
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from rnncheck import compiled
from rnncheck.conformance import compilation_cache
from rnncheck.conformance.harness import assert_outputs_close
from rnncheck.conformance.layers import as_numpy

X = np.linspace(-1.0, 1.0, 2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)  # (batch, time, features)
MASK = np.array([[True, True, False], [True, False, False]])
H0 = np.full((2, 4), 0.5, np.float32)  # (batch, units)


def gru(**options):
    layer = keras.layers.GRU(4, return_sequences=True, return_state=True, **options)
    layer.build(X.shape)
    return layer


@pytest.mark.parametrize("options", [{}, {"mask": MASK}, {"initial_state": [H0]}, {"mask": MASK, "training": False}],
                         ids=["plain", "mask", "initial_state", "mask-training"])  # fmt: skip
def test_compiled_call_returns_what_the_layer_returns(options):
    layer = gru()
    expected = as_numpy(layer(X, **options))
    actual = as_numpy(compiled.call(layer, X, **options))
    assert_outputs_close(actual, expected, names=["output", "h"], case=options, framework="compiled.call")


def test_compiled_call_reads_the_weights_the_layer_has_now():
    layer = gru()
    before = as_numpy(compiled.call(layer, X))
    layer.set_weights([w + 0.25 for w in layer.get_weights()])
    after = as_numpy(compiled.call(layer, X))
    assert not np.allclose(before[0], after[0]), "the call ran the old weights"
    assert_outputs_close(after, as_numpy(layer(X)), names=["output", "h"], case={}, framework="compiled.call")


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="only jax compiles: tensorflow and torch call eagerly")
def test_on_jax_one_compiled_function_per_layer_which_lets_the_layer_go():
    layer = gru()
    compiled.call(layer, X)
    held = compiled._COMPILED[layer]
    compiled.call(layer, X, mask=MASK)
    assert compiled._COMPILED[layer] is held, "a second call compiled the layer again"
    alive = weakref.ref(layer)
    del layer, held
    gc.collect()
    assert alive() is None, "the compiled call keeps a deleted layer alive"


@pytest.fixture
def environ(monkeypatch):
    """os.environ without the cache's variables, restored afterwards; atexit calls recorded, not registered."""
    for name in (compilation_cache.CACHE_DIR, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
                 "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "KERAS_BACKEND"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    registered = []
    recorder = SimpleNamespace(register=lambda *call, **_: registered.append(call))
    monkeypatch.setattr(compilation_cache, "atexit", recorder)
    return registered


def test_the_cache_is_set_up_on_jax_only(environ, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    compilation_cache.share()
    assert compilation_cache.CACHE_DIR not in os.environ and not environ


def test_on_jax_every_compilation_is_cached_in_a_folder_removed_at_exit(environ, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    compilation_cache.share()
    folder = os.environ[compilation_cache.CACHE_DIR]
    try:
        assert os.path.isdir(folder)
        assert os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0"
        assert os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] == "0"
        assert [call[1] for call in environ] == [folder], "the folder is not removed at exit"
    finally:
        os.rmdir(folder)


def test_a_cache_folder_the_user_set_is_kept(environ, monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv(compilation_cache.CACHE_DIR, str(tmp_path))
    compilation_cache.share()
    assert os.environ[compilation_cache.CACHE_DIR] == str(tmp_path) and not environ
