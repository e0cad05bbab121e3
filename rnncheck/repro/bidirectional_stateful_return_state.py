"""bidirectional-stateful-return-state: keras.layers.Bidirectional around a stateful RNN layer with
return_state=True raises TypeError: unsupported operand type(s) for *: 'generator' and 'int' when called, on every
backend. Bidirectional.compute_mask (keras/src/layers/rnn/bidirectional.py:514-518) makes state_mask a generator,
(None for _ in self.states), and then multiplies it by 2; self.states is None unless the layer is stateful, so only
stateful layers get there. Bidirectional's docstring (bidirectional.py:17-32) takes any RNN layer, and
return_state has the RNN semantics: [output, forward states, backward states], as the stateless layer returns.

Run: python bidirectional_stateful_return_state.py [tensorflow|jax|torch]   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 1, 1), np.float32)  # (batch, time, features)

# Documented: the concatenated output (batch, 2 units), then the forward h and the backward h (batch, units).
documented = [(1, 2), (1, 1), (1, 1)]


def first_line(error):
    """The error message's first line, without the ANSI bold codes Keras wraps messages in."""
    return str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").strip().splitlines()[0].strip()


keras.config.disable_traceback_filtering()  # the error as raised, not rewrapped with the call's arguments
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(1, stateful=True, return_state=True))
try:
    actual = [tuple(y.shape) for y in layer(x)]
except TypeError as error:  # the recorded error; any other propagates
    print(f"Keras:      TypeError: {first_line(error)}")
    print(f"documented: {documented}  (output, forward h, backward h)")
    sys.exit(1)
print(f"Keras:      {actual}")
print(f"documented: {documented}")
sys.exit(0 if actual == documented else 1)
