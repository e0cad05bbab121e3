"""torch-unroll-flip-tuple: on the torch backend, a recurrent layer (SimpleRNN, GRU, LSTM) with unroll=True,
called with a mask and go_backwards=True, raises AttributeError: 'tuple' object has no attribute 'shape'.
keras/src/backend/torch/rnn.py:93-95 unbinds the mask into a tuple of tensors (torch.unbind) and then calls
torch.flip(mask_list, dims=mask_list.shape) on that tuple. unroll only trades memory for speed, so the layer
should return what unroll=False returns (and what tensorflow and jax return, unrolled or not).

Run: python torch_unroll_flip_tuple.py   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "torch"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 1, 1), np.float32)  # (batch, time, features)
mask = np.array([[False]])  # the only step is masked
kernel, recurrent_kernel = np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)

# Documented: a masked step outputs the previous output, and before the first step there is none, so a zero
# filled tensor (keras/src/backend/tensorflow/rnn.py:59-61, 335-336): here the output is [[0.]].
documented = np.zeros((1, 1), np.float32)

keras.config.disable_traceback_filtering()  # the error as raised, not rewrapped with the call's arguments
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.SimpleRNN(1, use_bias=False, go_backwards=True, unroll=True)
layer.build(x.shape)
layer.set_weights([kernel, recurrent_kernel])
try:
    actual = keras.ops.convert_to_numpy(layer(x, mask=mask))
except AttributeError as error:  # the recorded error; any other propagates
    print(f"Keras:      AttributeError: {error}")
    print(f"documented: {documented.tolist()}  (what unroll=False returns)")
    sys.exit(1)
print(f"Keras:      {actual.tolist()}")
print(f"documented: {documented.tolist()}")
sys.exit(0 if np.allclose(actual, documented, rtol=0, atol=1e-6) else 1)
