"""squareplus-float32-cancellation: keras.activations.squareplus is documented as f(x) = (x + sqrt(x^2 + b)) / 2
(keras/src/activations/activations.py:317-324; b = 4), which is positive everywhere and about b / (4|x|) for
x << 0. Every backend computes it by that formula (backend/tensorflow/nn.py:96, backend/torch/nn.py:90,
jax.nn.squareplus), and in float32 the sum x + sqrt(x^2 + b) cancels for x << 0: squareplus(-1000) is 0.001007
where the function is 0.000999999, and squareplus(-10000) is 0.0. An LSTM with activation="squareplus" carries the
error on: 3 units, 3 zero steps, recurrent kernel of ones, h0 = -1, linear gates give -0.23246 for -0.23220.

Run: python squareplus_float32_cancellation.py [tensorflow|jax|torch]
(exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402


def documented(x):
    """(x + sqrt(x^2 + 4)) / 2 in float64, written as 2 / (sqrt(x^2 + 4) - x) for x < 0 (the same function)."""
    root = float(np.sqrt(np.float64(x) * x + 4.0))
    return (x + root) / 2.0 if x >= 0 else 2.0 / (root - x)


print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
xs = np.array([-10.0, -1000.0, -10000.0], np.float32)
keras_values = [float(v) for v in keras.ops.convert_to_numpy(keras.activations.squareplus(xs))]
exact_values = [documented(float(x)) for x in xs]
worst = max(abs(value - exact) / exact for value, exact in zip(keras_values, exact_values, strict=True))

# The LSTM: every gate's pre-activation is 3 h; step 2's cell state is -338.198, where the cancellation bites.
layer = keras.layers.LSTM(3, activation="squareplus", recurrent_activation="linear", use_bias=False)
layer.build((None, 3, 1))  # (batch, time, features)
layer.set_weights([np.zeros((1, 12), np.float32), np.ones((3, 12), np.float32)])
x = np.zeros((1, 3, 1), np.float32)
h0, c0 = np.full((1, 3), -1.0, np.float32), np.zeros((1, 3), np.float32)
output = keras.ops.convert_to_numpy(layer(x, initial_state=[h0, c0]))[0, 0]
h, c = -1.0, 0.0
for _ in range(3):  # the documented LSTM step in float64: i = f = o = a, g = squareplus(a), a = 3 h
    a = 3.0 * h
    c = a * c + a * documented(a)
    h = a * documented(c)


def line(values, lstm):
    squareplus = ", ".join(f"squareplus({x:g}) {v:.6g}" for x, v in zip(xs, values, strict=True))
    return f"{squareplus}; LSTM output {lstm:.5f}"


print(f"Keras:      {line(keras_values, float(output))}")
print(f"documented: {line(exact_values, h)}")
# float32 keeps about 7 digits: a relative error above 1e-5 is the formula's, not float32's rounding.
sys.exit(1 if worst > 1e-5 or abs(float(output) - h) > 1e-5 * abs(h) else 0)
