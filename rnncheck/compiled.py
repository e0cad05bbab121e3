"""A Keras layer's call, compiled once per layer and reused while only its weights and inputs change.

On jax an eager call of a recurrent layer compiles its `lax.scan` anew every time (the step function is a new
closure each call), about 0.2 s; `jax.jit` of the layer's `stateless_call`, which takes the weights as arguments,
compiles once per input structure and then runs in milliseconds, as Keras's own jax trainer and predict do.
tensorflow and torch call the layer as it is (eager, as a user's direct call runs).
"""

from __future__ import annotations

import weakref

from rnncheck.model import keras

_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # layer -> its compiled call


def call(layer, inputs, **options):
    """layer(inputs, **options), what the layer returns; on jax through the layer's one jitted stateless_call.

    options are the call's: mask, initial_state (arrays, traced), training (a bool, static).
    """
    if keras.backend.backend() != "jax":
        return layer(inputs, **options)
    compiled = _COMPILED.get(layer)
    if compiled is None:
        compiled = _COMPILED[layer] = _jitted(layer)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    return compiled(trainable, non_trainable, inputs, **options)


def _jitted(layer):
    import jax

    held = weakref.ref(layer)  # not the layer: the cache's value would keep its key alive

    def run(trainable, non_trainable, inputs, training=None, **arrays):
        outputs, _ = held().stateless_call(trainable, non_trainable, inputs, training=training, **arrays)
        return outputs

    return jax.jit(run, static_argnames=("training",))
