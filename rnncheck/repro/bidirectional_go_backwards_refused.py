"""bidirectional-go-backwards-refused: keras.layers.Bidirectional(layer) raises ValueError: Forward layer and
backward layer should have different `go_backwards` value, when layer.go_backwards is True, on every backend.
Bidirectional.__init__ (keras/src/layers/rnn/bidirectional.py:120-128) generates the backward layer from the
layer's config with go_backwards=True whatever the layer's own value (:122), and _verify_layer_config (:158-166)
then refuses two layers going the same way. Bidirectional's docstring (:17-48) sets no condition on the layer's
go_backwards, only that a backward_layer one passes differs from it; tf.keras 2 generated the backward layer with
go_backwards = not layer.go_backwards.

Run: python bidirectional_go_backwards_refused.py [tensorflow|jax|torch]   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 1, 1), np.float32)  # (batch, time, features)

# Documented: the wrapper is built, and on x its output concatenates both directions' last outputs: (batch, 2).
documented = (1, 2)


def first_line(error):
    """The error message's first line, without the ANSI bold codes Keras wraps messages in."""
    return str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").strip().splitlines()[0].strip()


keras.config.disable_traceback_filtering()  # the error as raised, not rewrapped with the call's arguments
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
try:
    layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(1, go_backwards=True))
except ValueError as error:  # the recorded error; any other propagates
    print(f"Keras:      ValueError: {first_line(error)}")
    print(f"documented: constructed; output shape {documented} on zeros{x.shape}")
    sys.exit(1)
actual = tuple(layer(x).shape)
print(f"Keras:      constructed; output shape {actual} on zeros{x.shape}")
print(f"documented: constructed; output shape {documented} on zeros{x.shape}")
sys.exit(0 if actual == documented else 1)
