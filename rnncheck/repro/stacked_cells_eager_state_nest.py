"""stacked-cells-eager-state-nest: keras.layers.RNN([cell, cell], return_state=True), a stack of cells of one
state each, called eagerly returns each cell's state in a list of its own, [output, [h of cell 0], [h of cell 1]],
on every backend, where RNN's docstring (keras/src/layers/rnn/rnn.py:81-84) says "a list of tensors. The first
tensor is the output. The remaining tensors are the last states, each with shape (batch_size, state_size)", and
where the same layer called on a keras.Input and its compute_output_shape (rnn.py:234-255) give the flat
[output, h of cell 0, h of cell 1]. StackedRNNCells.get_initial_state (layers/rnn/stacked_rnn_cells.py:62-85)
takes each SimpleRNNCell's initial state as the list [h] it returns, StackedRNNCells.call (:87-105) keeps a state
in the list it came in, and RNN.call (rnn.py:449-450) returns the states after the output as they are.

Run: python stacked_cells_eager_state_nest.py [tensorflow|jax|torch]   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 1, 1), np.float32)  # (batch, time, features)


def shapes(nest):
    """The nest of lists and tuples of tensors as the same nest (lists) of their shapes."""
    return [shapes(item) for item in nest] if isinstance(nest, (list, tuple)) else tuple(nest.shape)


# Documented: the output (batch, units), then each last state (batch, state_size): a SimpleRNNCell has one state.
documented = [(1, 1), (1, 1), (1, 1)]

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.RNN([keras.layers.SimpleRNNCell(1), keras.layers.SimpleRNNCell(1)], return_state=True)
actual = shapes(layer(x))
symbolic = shapes(layer(keras.Input(batch_shape=x.shape)))
computed = layer.compute_output_shape(x.shape)
print(f"Keras:      {actual}")
print(f"documented: {documented}  (on keras.Input: {symbolic}; compute_output_shape: {computed})")
sys.exit(0 if actual == documented else 1)
