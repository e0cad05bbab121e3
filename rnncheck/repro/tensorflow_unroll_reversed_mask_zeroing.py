"""tensorflow-unroll-reversed-mask-zeroing: on the tensorflow backend with unroll=True, go_backwards=True,
return_sequences=True and zero_output_for_mask=True, keras.backend.rnn returns its outputs in processing
(reversed) order but zeroes them with the mask in time order (keras/src/backend/tensorflow/rnn.py:209-213), so
the wrong steps are zeroed: a real step can come out as 0 and a masked one as a repeated output.
Bidirectional(..., return_sequences=True) sets zero_output_for_mask on its backward layer, which has
go_backwards: here the backward half's only real step, t=0 (tanh(1) = 0.7616), is zeroed. unroll=False is right.

Run: python tensorflow_unroll_reversed_mask_zeroing.py   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 2, 1), np.float32)  # (batch, time, features)
mask = np.array([[True, False]])  # t=1 is masked
zeros = np.zeros((1, 1), np.float32)
forward = [zeros, zeros, np.zeros(1, np.float32)]  # kernel, recurrent_kernel, bias: outputs 0
backward = [zeros, zeros, np.ones(1, np.float32)]  # outputs tanh(1) = 0.7616


def documented_half(kernel, recurrent_kernel, bias, reverse):
    """One SimpleRNN with zero_output_for_mask, in time order: masked steps keep h and output 0."""
    h, out = np.zeros((1, 1), np.float32), np.zeros((1, 2, 1), np.float32)
    for t in reversed(range(2)) if reverse else range(2):
        if mask[0, t]:
            h = out[:, t] = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
    return out


documented = np.concatenate([documented_half(*forward, False), documented_half(*backward, True)], axis=-1)

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(1, return_sequences=True, unroll=True))
layer.build(x.shape)
layer.set_weights(forward + backward)
actual = keras.ops.convert_to_numpy(layer(x, mask=mask))
print(f"Keras:      {np.round(actual.astype(float), 4).tolist()}")
print(f"documented: {np.round(documented.astype(float), 4).tolist()}")
sys.exit(0 if np.allclose(actual, documented, rtol=0, atol=1e-6) else 1)
