"""Keras's activations in NumPy (float64), each with its derivative, as the reference and backprop use them.

`ACTIVATIONS[name] = (f, df)`: f(a) and df(a) = f'(a) of a pre-activation a, elementwise. Names are Keras's
(`keras.activations.get(name)`): every elementwise one Keras 3 lists (NOT_ELEMENTWISE says why the others are
not here). `hard_sigmoid` is Keras 3's relu6(x + 3) / 6; gelu is exact (Keras's default approximate=False);
leaky_relu's slope is Keras's default 0.2, squareplus's b 4, the shrinks' threshold 0.5.
"""

from __future__ import annotations

import math

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
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(a):  # Keras's default, approximate=False: x Phi(x)
    return 0.5 * a * (1.0 + _erf(a / math.sqrt(2.0)))


def _d_gelu(a):
    return 0.5 * (1.0 + _erf(a / math.sqrt(2.0))) + a * np.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi)


def _mish(a):
    return a * np.tanh(_softplus(a))


def _d_mish(a):
    t = np.tanh(_softplus(a))
    return t + a * sigmoid(a) * (1.0 - t * t)


def _hard_silu(a):
    return a * np.clip(a / 6.0 + 0.5, 0.0, 1.0)


def _d_hard_silu(a):
    return np.where(a <= -3, 0.0, np.where(a >= 3, 1.0, a / 3.0 + 0.5))


def _silu(a):
    return a * sigmoid(a)


def _d_silu(a):
    return sigmoid(a) * (1.0 + a * (1.0 - sigmoid(a)))


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
    "silu": (_silu, _d_silu),
    "swish": (_silu, _d_silu),
    "hard_silu": (_hard_silu, _d_hard_silu),
    "hard_swish": (_hard_silu, _d_hard_silu),
    "celu": (_elu, lambda a: np.where(a > 0, 1.0, np.exp(np.minimum(a, 0.0)))),  # Keras's alpha 1: elu
    "gelu": (_gelu, _d_gelu),
    "mish": (_mish, _d_mish),
    "leaky_relu": (lambda a: np.where(a >= 0, a, 0.2 * a), lambda a: np.where(a >= 0, 1.0, 0.2)),
    "log_sigmoid": (lambda a: -_softplus(-a), lambda a: sigmoid(-a)),
    "hard_tanh": (lambda a: np.clip(a, -1.0, 1.0), lambda a: ((a > -1) & (a < 1)).astype(np.float64)),
    "hard_shrink": (lambda a: np.where(np.abs(a) > 0.5, a, 0.0), lambda a: (np.abs(a) > 0.5).astype(np.float64)),
    "soft_shrink": (
        lambda a: np.where(a > 0.5, a - 0.5, np.where(a < -0.5, a + 0.5, 0.0)),
        lambda a: (np.abs(a) > 0.5).astype(np.float64),
    ),
    "tanh_shrink": (lambda a: a - np.tanh(a), lambda a: np.tanh(a) ** 2),
    "squareplus": (lambda a: 0.5 * (a + np.sqrt(a * a + 4.0)), lambda a: 0.5 * (1.0 + a / np.sqrt(a * a + 4.0))),
    "sparse_plus": (
        lambda a: np.where(a <= -1, 0.0, np.where(a >= 1, a, (a + 1.0) ** 2 / 4.0)),
        lambda a: np.where(a <= -1, 0.0, np.where(a >= 1, 1.0, (a + 1.0) / 2.0)),
    ),
    "sparse_sigmoid": (
        lambda a: np.clip((a + 1.0) / 2.0, 0.0, 1.0),
        lambda a: ((a > -1) & (a < 1)) / 2.0,
    ),
}
ACTIVATION_NAMES = tuple(ACTIVATIONS)
# Keras's activations that are not an elementwise function of one pre-activation, so no cell can take them by name.
NOT_ELEMENTWISE = {
    "softmax": "normalizes across the units",
    "log_softmax": "normalizes across the units",
    "sparsemax": "projects across the units",
    "glu": "halves the last axis (a gate of its own)",
    "threshold": "needs threshold and default_value, which a name cannot give",
}
# Smooth everywhere: what finite differences can check (a kink, as relu's at 0, has no central difference).
SMOOTH = ("tanh", "sigmoid", "linear", "softsign", "softplus", "exponential", "silu", "swish", "gelu", "mish",
          "log_sigmoid", "tanh_shrink", "squareplus")  # fmt: skip




def activation(name):
    """(f, f') of Keras activation `name`, or a ValueError naming those the reference has. A pair (f, f') is
    taken as it is: a cause's reading (rnncheck.conformance.causes) gives one where a framework computes another
    function than the one Keras documents."""
    if isinstance(name, tuple) and len(name) == 2 and all(callable(f) for f in name):
        return name
    return ACTIVATIONS[check_choice("activation", name, ACTIVATION_NAMES)]
