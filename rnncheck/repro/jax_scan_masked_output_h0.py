"""jax-scan-masked-output-h0: on the jax backend with unroll=False (lax.scan), a recurrent layer called with a
mask and an initial_state outputs the initial h at a masked step that comes before the first real step, where
keras.backend.rnn's contract says a zero filled tensor. keras/src/backend/jax/rnn.py:164-170 takes the masked
step's output from states[0], the carried state: after a real step that is the previous output, but before one
it is h0. tensorflow (both loops), torch (both loops) and jax's own unroll=True output 0 there.

Run: python jax_scan_masked_output_h0.py   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 1, 1), np.float32)  # (batch, time, features)
mask = np.array([[False]])  # the only step is masked
h0 = np.ones((1, 1), np.float32)
kernel, recurrent_kernel = np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)

# Documented (keras/src/backend/tensorflow/rnn.py:59-61, 335-336): a masked step keeps the state and repeats the
# previous output; before the first step there is no previous output, so a zero filled tensor.
h, output = h0, np.zeros_like(h0)
for t in range(x.shape[1]):
    if mask[0, t]:
        h = output = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel)

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.SimpleRNN(1, use_bias=False, return_state=True, unroll=False)
layer.build(x.shape)
layer.set_weights([kernel, recurrent_kernel])
actual_output, actual_h = (keras.ops.convert_to_numpy(y) for y in layer(x, initial_state=[h0], mask=mask))
print(f"Keras:      output {actual_output.tolist()}, state {actual_h.tolist()}")
print(f"documented: output {output.tolist()}, state {h.tolist()}")
fixed = np.allclose(actual_output, output, rtol=0, atol=1e-6) and np.allclose(actual_h, h, rtol=0, atol=1e-6)
sys.exit(0 if fixed else 1)
