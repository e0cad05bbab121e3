"""reset-state-states-refused: RNN's docstring (keras/src/layers/rnn/rnn.py:124-127) says "You can specify the
initial state of RNN layers numerically by calling `reset_state()` with the keyword argument `states`", but
RNN.reset_state (rnn.py:325) takes no argument, so reset_state(states=...) raises TypeError: RNN.reset_state() got
an unexpected keyword argument 'states', on every backend (Bidirectional.reset_state, layers/rnn/bidirectional.py:485,
too). tf.keras 2's reset_states(states) assigned the given values to the states.

Run: python reset_state_states_refused.py [tensorflow|jax|torch]   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

states = [np.ones((1, 1), np.float32)]  # (batch, units): the state to set

# Documented: after reset_state(states=states) the layer holds the given states.
documented = states[0]


def first_line(error):
    """The error message's first line, without the ANSI bold codes Keras wraps messages in."""
    return str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").strip().splitlines()[0].strip()


keras.config.disable_traceback_filtering()  # the error as raised, not rewrapped with the call's arguments
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
layer = keras.layers.SimpleRNN(1, stateful=True)
keras.Sequential([keras.Input(batch_shape=(1, 1, 1)), layer])  # builds the layer and its state variables
try:
    layer.reset_state(states=states)
except TypeError as error:  # the recorded error; any other propagates
    print(f"Keras:      TypeError: {first_line(error)}")
    print(f"documented: state {documented.tolist()}  (the states given)")
    sys.exit(1)
actual = keras.ops.convert_to_numpy(layer.states[0])
print(f"Keras:      state {actual.tolist()}")
print(f"documented: state {documented.tolist()}")
sys.exit(0 if np.allclose(actual, documented, rtol=0, atol=1e-6) else 1)
