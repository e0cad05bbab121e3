"""Gradients by the active Keras backend's own automatic differentiation, in float32.

One small adapter per backend (tf.GradientTape, jax.grad under jax.jit, torch.autograd), picked by
keras.backend.backend(); each imports its library only when it runs. Each gives the gradient of a scalar
objective(call, *inputs, **constants) with respect to `inputs` and, optionally, the layer's trainable weights.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rnncheck.checks import check_size
from rnncheck.model import keras
from rnncheck.params import model_params

# objective(call, *inputs, **constants) -> a scalar tensor; call(*args, **kwargs) runs the layer.
Objective = Callable[..., object]


def vjp(layer, x, d_output, *, initial_state=None, mask=None) -> dict:
    """Gradients of L = sum(layer(x, initial_state=..., mask=...) * d_output), computed by the backend.

    d_output has the structure of what the layer returns: one array, or [output, *states] with return_state.
    Returns {"x": dL/dx, one entry per trainable weight (keyed as weight_names(layer) says: "kernel",
    "recurrent_kernel", "bias"), "initial_state": a tuple, one per state (only when initial_state is given)}.
    """
    x = _float32(x)
    states = [] if initial_state is None else [_float32(s) for s in _as_list(initial_state)]
    cotangents = {f"d{i}": _float32(d) for i, d in enumerate(_as_list(d_output))}
    masks = {} if mask is None else {"mask": np.asarray(mask, dtype=bool)}
    grads = gradient_function(layer, _vjp_objective, weights=True)([x, *states], **cotangents, **masks)
    result = {"x": grads[0], **dict(zip(weight_names(layer), grads[1 + len(states) :], strict=True))}
    if states:
        result["initial_state"] = tuple(grads[1 : 1 + len(states)])
    return result


def _vjp_objective(call, x, *states, mask=None, **cotangents):
    """sum(call(x, initial_state=states, mask=mask) * d), d the cotangents d0, d1, ... of its outputs in order."""
    options = {} if mask is None else {"mask": mask}
    if states:
        options["initial_state"] = list(states)
    outputs = _as_list(call(x, **options))
    wanted = [cotangents[f"d{i}"] for i in range(len(cotangents))]
    shapes = [tuple(keras.ops.shape(o)) for o in outputs]
    if shapes != [tuple(d.shape) for d in wanted]:
        got = [tuple(d.shape) for d in wanted]
        raise ValueError(f"d_output must match what the layer returns, {shapes}; got {got}")
    return sum(keras.ops.sum(keras.ops.multiply(o, d)) for o, d in zip(outputs, wanted, strict=True))


def weight_names(layer) -> list[str]:
    """How vjp names layer.trainable_variables: by name ("kernel"), or by path ("dense_1/kernel") where names repeat."""
    names = [v.name for v in layer.trainable_variables]
    return names if len(set(names)) == len(names) else [v.path for v in layer.trainable_variables]


def gradient_function(layer, objective: Objective, *, weights: bool = False) -> Callable[..., list[np.ndarray]]:
    """fn(inputs, **constants): d objective(call, *inputs, **constants) / d each of `inputs`, then (weights=True)
    d objective / d each of layer.trainable_variables, as float32 NumPy arrays.

    Build it once and call it on many batches: JAX then compiles once per batch shape.
    """
    backend = keras.backend.backend()
    adapter = _ADAPTERS.get(backend)
    if adapter is None:
        raise ValueError(f"no autodiff adapter for Keras backend {backend!r}; there are: {', '.join(_ADAPTERS)}")
    run = adapter(layer, objective, weights)

    def fn(inputs: Sequence, **constants) -> list[np.ndarray]:
        return run([_float32(a) for a in inputs], {k: np.asarray(c) for k, c in constants.items()})

    return fn


def _tensorflow(layer, objective, weights):
    import tensorflow as tf

    def run(inputs, constants):
        inputs = [tf.constant(a) for a in inputs]
        variables = [v.value for v in layer.trainable_variables] if weights else []
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            value = objective(layer, *inputs, **constants)
        grads = tape.gradient(value, inputs + variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return [np.asarray(tf.convert_to_tensor(g)) for g in grads]

    return run


def _jax(layer, objective, weights):
    import jax

    held = weakref.ref(layer)  # not the layer: the cache's value would keep its key alive

    def value(trainable, non_trainable, inputs, constants):
        def call(*args, **kwargs):
            outputs, _ = held().stateless_call(trainable, non_trainable, *args, **kwargs)
            return outputs

        return objective(call, *inputs, **constants)

    # Compiled once per layer and objective, as Keras's JAX trainer compiles its steps: far fewer compilations
    # than op by op, and none again while only the weights and the inputs' values change.
    compiled = _JAX_GRADIENTS.setdefault(layer, {})
    key = (objective, weights)
    if key not in compiled:
        compiled[key] = jax.jit(jax.grad(value, argnums=(0, 2) if weights else 2))
    grad = compiled[key]

    def run(inputs, constants):
        trainable = [v.value for v in layer.trainable_variables]
        non_trainable = [v.value for v in layer.non_trainable_variables]
        result = grad(trainable, non_trainable, inputs, constants)
        d_trainable, d_inputs = result if weights else ([], result)
        return [np.asarray(g) for g in [*d_inputs, *d_trainable]]

    return run


_JAX_GRADIENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # layer -> {(objective, weights): jitted}


def _torch(layer, objective, weights):
    import torch

    def run(inputs, constants):
        inputs = [keras.ops.convert_to_tensor(a).detach().requires_grad_(True) for a in inputs]
        sources = inputs + ([v.value for v in layer.trainable_variables] if weights else [])
        with torch.enable_grad():
            value = objective(layer, *inputs, **constants)
        if not value.requires_grad:  # nothing reached the objective (every step masked, say): all gradients zero
            grads = [None] * len(sources)
        else:
            grads = torch.autograd.grad(value, sources, allow_unused=True)
        return [
            np.zeros(tuple(s.shape), np.float32) if g is None else g.detach().cpu().numpy()
            for g, s in zip(grads, sources, strict=True)
        ]

    return run


_ADAPTERS = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}


def _float32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


# Seen on MNIST: how much each row of pixels moves the loss.


@dataclass(frozen=True)
class RowGradients:
    """The average ||dL/d(row t)||_2 over test images, for each row t (top to bottom), of one trained model."""

    layer: str  # the recurrent layer's Keras class: "SimpleRNN", "LSTM", ...
    units: int
    params: int  # the whole model, as Keras counts it
    images: int
    norms: tuple[float, ...]  # one per row (time step)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def row_gradient_norms(model, images, labels, *, batch_size: int = 1000) -> np.ndarray:
    """mean over images of ||dL/dx_t||_2 for each row t, (rows,); L is the image's sparse categorical cross-entropy.

    `model` maps (n, rows, pixels) images to class probabilities (the MNIST RNN); images go through it
    `batch_size` at a time, so 10000 test images fit in memory.
    """
    images, labels = np.asarray(images, dtype=np.float32), np.asarray(labels)
    if images.ndim != 3:
        raise ValueError(f"images must be (n, rows, pixels), got shape {images.shape}")
    if labels.shape != images.shape[:1]:
        raise ValueError(f"labels must be (n,) = {images.shape[:1]}, got {labels.shape}")
    check_size("batch_size", batch_size)
    totals = np.zeros(images.shape[1])  # (rows,)

    def loss(call, x, *, labels):
        probabilities = call(x, training=False)  # (batch, classes)
        return keras.ops.sum(keras.losses.sparse_categorical_crossentropy(labels, probabilities))

    d_loss = gradient_function(model, loss)
    for start in range(0, len(images), batch_size):
        batch = slice(start, start + batch_size)
        (d_images,) = d_loss([images[batch]], labels=labels[batch].astype(np.int32))  # (batch, rows, pixels)
        totals += np.linalg.norm(d_images.astype(np.float64), axis=2).sum(axis=0)
    return totals / max(len(images), 1)


def row_gradients(model, images, labels, *, batch_size: int = 1000) -> RowGradients:
    """row_gradient_norms(model, images, labels) with what produced them: the recurrent layer, its size, the count."""
    recurrent = next((layer for layer in model.layers if isinstance(layer, keras.layers.RNN)), None)
    if recurrent is None:
        raise ValueError(f"model {model.name!r} has no recurrent layer (SimpleRNN, GRU, LSTM)")
    norms = row_gradient_norms(model, images, labels, batch_size=batch_size)
    return RowGradients(
        layer=type(recurrent).__name__,
        units=int(recurrent.cell.units),
        params=int(model.count_params()),
        images=len(images),
        norms=tuple(float(n) for n in norms),
    )


def lstm_units_for_budget(simple_units: int, *, input_size: int = 28, num_classes: int = 10) -> int:
    """The LSTM size whose MNIST model (LSTM -> Dense) has the parameter count nearest SimpleRNN(simple_units)'s.

    Whole models are compared, Dense head included; a tie goes to the smaller LSTM. SimpleRNN(64) on 28 inputs
    (6602 parameters) gives LSTM(28) (6674).
    """
    options = dict(input_size=input_size, num_classes=num_classes)
    target = model_params("simple", units=check_size("simple_units", simple_units), **options).total
    return min(
        range(1, simple_units + 1),  # an LSTM unit holds 4 times a SimpleRNN unit's weights: never more units
        key=lambda units: (abs(model_params("lstm", units=units, **options).total - target), units),
    )
