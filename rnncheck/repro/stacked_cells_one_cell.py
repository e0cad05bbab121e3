"""stacked-cells-one-cell: keras.layers.RNN([cell]), a list of ONE cell (which RNN wraps in StackedRNNCells),
raises. With one cell, StackedRNNCells.call (keras/src/layers/rnn/stacked_rnn_cells.py:103-104) returns that
cell's states unwrapped from the list of cells' states, so the loop's state structure changes between steps:
tensorflow's while_loop (with a mask) and jax's lax.scan (always) refuse that (ValueError, TypeError), and for an
LSTMCell, whose states [h, c] then read as one state per cell, the next step hands the cell h alone (torch, with a
mask: IndexError). RNN's docstring (layers/rnn/rnn.py:17) takes "A RNN cell instance or a list of RNN cell
instances", and RNN(LSTMCell(1)) runs on every backend. Here an LSTMCell, with a mask, over two steps.

Run: python stacked_cells_one_cell.py [tensorflow|jax|torch]   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 2, 1), np.float32)  # (batch, time, features)
mask = np.array([[True, True]])  # both steps are real
kernel, recurrent_kernel = np.zeros((1, 4), np.float32), np.zeros((1, 4), np.float32)  # gates i, f, c, o
bias = np.zeros(4, np.float32)


def first_line(error):
    """The error message's first line, without the ANSI bold codes Keras wraps messages in."""
    return str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").strip().splitlines()[0].strip()


def lstm(x):
    """LSTM in NumPy: c = f c + i tanh(z_c), h = o tanh(c), from h = c = 0."""
    h = c = np.zeros((x.shape[0], 1), np.float32)
    for t in range(x.shape[1]):
        z_i, z_f, z_c, z_o = np.split(x[:, t] @ kernel + h @ recurrent_kernel + bias, 4, axis=-1)
        i, f, o = (1 / (1 + np.exp(-z)) for z in (z_i, z_f, z_o))
        c = f * c + i * np.tanh(z_c)
        h = o * np.tanh(c)
    return h


# Documented: a stack of one cell is that cell, and no step is masked: the LSTM over both steps.
documented = lstm(x)

keras.config.disable_traceback_filtering()  # the error as raised, not rewrapped with the call's arguments
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.RNN([keras.layers.LSTMCell(1)])
layer.build(x.shape)
layer.set_weights([kernel, recurrent_kernel, bias])
try:
    actual = keras.ops.convert_to_numpy(layer(x, mask=mask))
except (IndexError, TypeError, ValueError) as error:  # the recorded errors; any other propagates
    print(f"Keras:      {type(error).__name__}: {first_line(error)}")
    print(f"documented: output {documented.tolist()}  (what RNN(LSTMCell(1)) returns)")
    sys.exit(1)
print(f"Keras:      output {actual.tolist()}")
print(f"documented: output {documented.tolist()}")
sys.exit(0 if np.allclose(actual, documented, rtol=0, atol=1e-6) else 1)
