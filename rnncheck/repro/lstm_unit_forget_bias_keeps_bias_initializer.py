"""lstm-unit-forget-bias-keeps-bias-initializer: LSTM's docstring (keras/src/layers/rnn/lstm.py:388-391, as
LSTMCell's at :39-42) says unit_forget_bias=True (the default) will "add 1 to the bias of the forget gate at
initialization" and "will also force bias_initializer="zeros"", but LSTMCell.build (lstm.py:166-181) concatenates
bias_initializer((units,)), ones((units,)) and bias_initializer((2 * units,)): the i, c and o gates keep
bias_initializer's values and f's block is set to 1, on every backend. LSTM(1, bias_initializer="ones") starts
from the bias [1, 1, 1, 1], where the docstring gives [0, 1, 0, 0].

Run: python lstm_unit_forget_bias_keeps_bias_initializer.py [tensorflow|jax|torch]
(exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

# Documented: with unit_forget_bias=True the bias is zeros (forced), plus 1 on the forget gate: gates i, f, c, o.
documented = [0.0, 1.0, 0.0, 0.0]

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.LSTM(1, unit_forget_bias=True, bias_initializer="ones")
layer.build((None, None, 1))  # (batch, time, features)
bias = keras.ops.convert_to_numpy(layer.cell.bias)
print(f"Keras:      bias {bias.tolist()}")
print(f"documented: bias {documented}  (i, f, c, o)")
sys.exit(0 if np.array_equal(bias, documented) else 1)
