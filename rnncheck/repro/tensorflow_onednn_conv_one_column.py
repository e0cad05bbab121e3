"""tensorflow-onednn-conv-one-column: where TensorFlow runs its CPU convolutions through oneDNN, a 2-D convolution
with 1 input channel, strides (1, s >= 2), a kernel 2 or more wide and one output column returns every output row
after an image's first wrong, for a batch of 2 or more (zeros, another row's window, or uninitialized memory); a
batch of 1, and TensorFlow without oneDNN, compute it. ConvLSTM2D, which convolves each step so, returns them.
TensorFlow turns oneDNN on by default on x86 CPUs with AVX512-VNNI, AVX512-BF16 or AMX: this script turns it on
(TF_ENABLE_ONEDNN_OPTS=1, unless set); TF_ENABLE_ONEDNN_OPTS=0 shows the right answer, and so does oneDNN on a CPU
without AVX-512 (its AVX2 kernels are right): the bug needs oneDNN's AVX-512 kernels.

Run: python tensorflow_onednn_conv_one_column.py
(exit 1: the bug is there; exit 0: fixed, or a CPU without AVX-512)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # oneDNN: on by default only where the CPU has its instructions
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
# 2 images of 2 x 3 pixels, 1 channel, all ones; a 1 x 2 kernel of ones, strides (1, 2): (2, 2, 1, 1), every value 2
x = np.ones((2, 2, 3, 1), np.float32)
y = np.asarray(keras.ops.conv(x, np.ones((1, 2, 1, 1), np.float32), strides=(1, 2), padding="valid"))
# The same convolution in ConvLSTM2D, one step from zero states: every gate's pre-activation is 2, so every
# h = o tanh(i g) with i = o = sigmoid(2), g = tanh(2)
layer = keras.layers.ConvLSTM2D(1, (1, 2), strides=(1, 2), use_bias=False, kernel_initializer="ones")
h = np.asarray(layer(x[:, None]))
sigmoid = 1 / (1 + np.exp(-2.0))
right = sigmoid * np.tanh(sigmoid * np.tanh(2.0))
wrong = int(np.sum(~np.isclose(y, 2.0))), int(np.sum(~np.isclose(h, right, atol=1e-6)))
answer = "conv: every value 2.0; ConvLSTM2D: every h the same" if wrong == (0, 0) else (
    f"conv: {wrong[0]} of 4 values wrong; ConvLSTM2D: {wrong[1]} of 4 h wrong (row 1 of each image)"
)
print(f"Keras:      {answer}")
print(f"documented: conv: every value 2.0; ConvLSTM2D: every h the same ({right:.4f})")
sys.exit(0 if wrong == (0, 0) else 1)
