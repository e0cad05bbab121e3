"""tensorflow-cpu-conv-channels-first: ConvLSTM1D and ConvLSTM2D take data_format="channels_first" (their
docstrings), and jax and torch run it, but on a CPU TensorFlow's Conv2D kernel implements only NHWC: the layer
raises UnimplementedError ("The Conv2D op currently only supports the NHWC tensor format on the CPU"). Keras
already routes the 3D channels_first convolution through XLA for the same gap (keras/src/backend/tensorflow/
nn.py:843-850); ConvLSTM3D runs. TensorFlow runs NCHW on the CPU only through oneDNN, which it turns on by
default on x86 CPUs with AVX512-VNNI, AVX512-BF16 or AMX: this script turns it off (TF_ENABLE_ONEDNN_OPTS=0, unless
set), so it shows the bug on any CPU; TF_ENABLE_ONEDNN_OPTS=1 shows the layer running where oneDNN can run it.

Run: python tensorflow_cpu_conv_channels_first.py
(exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN would run NCHW where the CPU has its instructions
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
# 1 sequence, 1 step, 1 channel, 2 positions, channels_first: (batch, time, channels, width)
x = np.ones((1, 1, 1, 2), np.float32)
layer = keras.layers.ConvLSTM1D(1, 1, data_format="channels_first")
try:
    output = np.asarray(layer(x))
    answer = f"output of shape {output.shape}"
except Exception as error:  # tensorflow.errors.UnimplementedError
    message = str(error)
    answer = f"{type(error).__name__}: " + (
        "The Conv2D op currently only supports the NHWC tensor format on the CPU"
        if "only supports the NHWC tensor format" in message
        else message.splitlines()[0]
    )
print(f"Keras:      {answer}")
print("documented: output of shape (1, 1, 2)  (batch, filters, width), as jax and torch")
sys.exit(0 if answer == "output of shape (1, 1, 2)" else 1)
