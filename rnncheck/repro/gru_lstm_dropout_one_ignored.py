"""gru-lstm-dropout-one-ignored: keras.layers.GRU and LSTM with dropout=1.0 (or recurrent_dropout=1.0) drop nothing,
on every backend, where every cell's docstring makes the rate the "Fraction of the units to drop" (layers/rnn/gru.py
:51-54, lstm.py:56-59), so 1.0 drops them all, as SimpleRNN does. GRUCell.call and LSTMCell.call apply a rate only
when 0 < rate < 1 (gru.py:197, 218, 256; lstm.py:235, 258, 273). GRU.inner_loop and LSTM.inner_loop (gru.py:555-561,
lstm.py:536-542) mask the inputs for any dropout > 0, but only for the backend's fused kernel: where that runs
(jax: GRU with reset_after, no mask, no unroll; torch: LSTM, and GRU with reset_after, without a mask) the inputs
are dropped, elsewhere not. Here GRU(reset_after=False), which runs the cell's own loop on every backend.

Run: python gru_lstm_dropout_one_ignored.py [tensorflow|jax|torch]   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.ones((1, 2, 1), np.float32)  # (batch, time, features)
kernel = np.ones((1, 3), np.float32)  # gates z, r, h
recurrent_kernel, bias = np.zeros((1, 3), np.float32), np.zeros(3, np.float32)


def gru(x):
    """GRU, reset_after=False, in NumPy: h = z h + (1 - z) tanh(x W_h + (r h) U_h + b_h)."""
    h = np.zeros((x.shape[0], 1), np.float32)
    for t in range(x.shape[1]):
        xz, xr, xh = np.split(x[:, t] @ kernel + bias, 3, axis=-1)
        uz, ur, uh = np.split(recurrent_kernel, 3, axis=-1)
        z, r = 1 / (1 + np.exp(-(xz + h @ uz))), 1 / (1 + np.exp(-(xr + h @ ur)))
        h = z * h + (1 - z) * np.tanh(xh + (r * h) @ uh)
    return h


def rounded(values):
    return np.round(np.asarray(values, np.float64), 4).tolist()


# Documented: dropout=1.0 drops every input unit in training, so the GRU runs on zeros.
documented = gru(np.zeros_like(x))

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.GRU(1, dropout=1.0, reset_after=False)
layer.build(x.shape)
layer.set_weights([kernel, recurrent_kernel, bias])
actual = keras.ops.convert_to_numpy(layer(x, training=True))
kept = gru(x)  # what the GRU computes when nothing is dropped
print(f"Keras:      output {rounded(actual)}  (the GRU on x, nothing dropped: {rounded(kept)})")
print(f"documented: output {rounded(documented)}  (the GRU on zeros: every input dropped)")
sys.exit(0 if np.allclose(actual, documented, rtol=0, atol=1e-6) else 1)
