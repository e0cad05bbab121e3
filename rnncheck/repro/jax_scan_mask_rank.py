"""jax-scan-mask-rank: on the jax backend, a ConvLSTM1D/2D/3D (any layer whose states are more than (batch,
units)) called with a mask masks along the wrong axis. keras/src/backend/jax/rnn.py:154-175 makes each step's
mask (batch, 1) and applies it with jnp.where(is_masked, state, new_state), which broadcasts it against the
states' LAST two axes, (..., positions, filters): so it masks positions instead of sequences, or fails to
broadcast (ValueError), or changes the scan carry's shape (TypeError). The unrolled loop's _expand_mask
(:46-59) tiles the mask to each state's rank; tensorflow and torch mask the right axis.

Run: python jax_scan_mask_rank.py   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((2, 1, 2, 1), np.float32)  # 2 sequences of 1 step of 2 positions of 1 channel
mask = np.array([[True], [False]])  # sequence 1's only step is masked
kernel = recurrent_kernel = np.zeros((1, 1, 4), np.float32)  # kernel_size 1, 1 channel, 1 filter: gates i f c o
bias = np.array([0.0, 0.0, 10.0, 10.0], np.float32)

# Documented: a masked step keeps the state and outputs zeros before any real step; a real one runs the LSTM.
# With x = 0 and U = 0 the real step gives i = sigmoid(0), c = i tanh(10), h = sigmoid(10) tanh(c) at each position.
c = 0.5 * np.tanh(10.0)
h = 1.0 / (1.0 + np.exp(-10.0)) * np.tanh(c)
expected = np.where(mask[:, :, None], h, 0.0)[:, 0][..., None].repeat(2, axis=1)  # (batch, positions, filters)

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.ConvLSTM1D(1, 1)
layer.build(x.shape)
layer.set_weights([kernel, recurrent_kernel, bias])
actual = keras.ops.convert_to_numpy(layer(x, mask=mask))
print(f"Keras:      {np.round(actual[..., 0].astype(np.float64), 4).tolist()}")
print(f"documented: {np.round(expected[..., 0], 4).tolist()}")
sys.exit(0 if np.allclose(actual, expected, rtol=0, atol=1e-6) else 1)
