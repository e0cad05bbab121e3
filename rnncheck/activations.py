"""Keras's activations in NumPy (float64), each with its derivative, as the reference and backprop use them.

`ACTIVATIONS[name] = (f, df)`: f(a) and df(a) = f'(a) of a pre-activation a, elementwise. Names are Keras's
(`keras.activations.get(name)`); `hard_sigmoid` is Keras 3's relu6(x + 3) / 6.
"""

from __future__ import annotations

import numpy as np

from rnncheck.checks import check_choice


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), without overflow


def _d_sigmoid(a):
    s = sigmoid(a)
    return s * (1.0 - s)


def _softplus(a):
    return np.logaddexp(0.0, a)


def _elu(a):
    return np.where(a > 0, a, np.expm1(np.minimum(a, 0.0)))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


ACTIVATIONS = {
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": (sigmoid, _d_sigmoid),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(np.float64)),
    "linear": (lambda a: a, np.ones_like),
    "hard_sigmoid": (lambda a: np.clip(a / 6.0 + 0.5, 0.0, 1.0), lambda a: ((a > -3) & (a < 3)) / 6.0),
    "relu6": (lambda a: np.clip(a, 0.0, 6.0), lambda a: ((a > 0) & (a < 6)).astype(np.float64)),
    "softsign": (lambda a: a / (1.0 + np.abs(a)), lambda a: 1.0 / (1.0 + np.abs(a)) ** 2),
    "softplus": (_softplus, sigmoid),
    "elu": (_elu, lambda a: np.where(a > 0, 1.0, np.exp(np.minimum(a, 0.0)))),
    "selu": (
        lambda a: _SELU_SCALE * np.where(a > 0, a, _SELU_ALPHA * np.expm1(np.minimum(a, 0.0))),
        lambda a: _SELU_SCALE * np.where(a > 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(a, 0.0))),
    ),
    "exponential": (np.exp, np.exp),
    "silu": (lambda a: a * sigmoid(a), lambda a: sigmoid(a) * (1.0 + a * (1.0 - sigmoid(a)))),
    "hard_silu": (
        lambda a: a * np.clip(a / 6.0 + 0.5, 0.0, 1.0),
        lambda a: np.where(a <= -3, 0.0, np.where(a >= 3, 1.0, a / 3.0 + 0.5)),
    ),
}
ACTIVATION_NAMES = tuple(ACTIVATIONS)


def activation(name: str):
    """(f, f') of Keras activation `name`, or a ValueError naming those the reference has."""
    return ACTIVATIONS[check_choice("activation", name, ACTIVATION_NAMES)]
