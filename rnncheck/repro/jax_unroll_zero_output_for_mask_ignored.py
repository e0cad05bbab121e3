"""jax-unroll-zero-output-for-mask-ignored: on the jax backend with unroll=True, the masked loop of
keras.backend.rnn (keras/src/backend/jax/rnn.py:90-131) never reads zero_output_for_mask, so masked steps repeat
the previous output where they should be zeros ("If `True`, the output for masked timestep will be zeros",
tensorflow/rnn.py:59-61). tensorflow's and torch's unrolled loops (tensorflow/rnn.py:203-213) apply it, and so does
jax's own lax.scan loop (unroll=False). Bidirectional(..., return_sequences=True) sets zero_output_for_mask on both
its layers and documents that masked timesteps then output zero, so it inherits the bug.

Run: python jax_unroll_zero_output_for_mask_ignored.py   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 2, 1), np.float32)  # (batch, time, features)
mask = np.array([[True, False]])  # t=1 is masked
kernel, recurrent_kernel = np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)
bias = np.ones(1, np.float32)  # the real step outputs tanh(1) = 0.7616

# Documented, with zero_output_for_mask: a masked step keeps the state and outputs zeros.
h, documented = np.zeros((1, 1), np.float32), np.zeros((1, 2, 1), np.float32)
for t in range(x.shape[1]):
    if mask[0, t]:
        h = documented[:, t] = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.SimpleRNN(1, return_sequences=True, zero_output_for_mask=True, unroll=True)
layer.build(x.shape)
layer.set_weights([kernel, recurrent_kernel, bias])
actual = keras.ops.convert_to_numpy(layer(x, mask=mask))
print(f"Keras:      {np.round(actual.astype(float), 4).tolist()}")
print(f"documented: {np.round(documented.astype(float), 4).tolist()}")
sys.exit(0 if np.allclose(actual, documented, rtol=0, atol=1e-6) else 1)
