"""tensorflow-stateful-predict-batch-unchecked: on the tensorflow backend, Model.predict on a stateful RNN does not
refuse a last batch smaller than the states' batch: 3 sequences in batches of 2 give 4 predictions, no error (the
last batch of 1 is broadcast against the 2 stored states). RNN.call (keras/src/layers/rnn/rnn.py:389-402) raises
"If an RNN is stateful, the batch size of the input sequences must be the same as the batch size of the initial
state" only when sequences.shape[0], the static batch size, is known, and the tf.function that predict traces again
for the last batch (reduce_retracing=True, backend/tensorflow/trainer.py:308-310) has batch size None. jax and torch
raise the ValueError in predict, and tensorflow on an eager call.

Run: python tensorflow_stateful_predict_batch_unchecked.py   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((3, 3, 2), np.float32)  # 3 sequences of 3 steps of 2 features: batches of 2, then of 1

# Documented (rnn.py:396-402): a batch of another size than the states' is refused with this ValueError.
documented = (
    "ValueError: If an RNN is stateful, the batch size of the input sequences must be the same as the batch size "
    "of the initial state."
)


def first_line(error):
    """The error message's first line, without the ANSI bold codes Keras wraps messages in."""
    return str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").strip().splitlines()[0].strip()


keras.config.disable_traceback_filtering()  # the error as raised, not rewrapped with the call's arguments
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
model = keras.Sequential([keras.Input(batch_shape=(2, 3, 2)), keras.layers.SimpleRNN(2, stateful=True)])
try:
    predictions = model.predict(x, batch_size=2, verbose=0)
except ValueError as error:  # the documented error; any other propagates
    actual = f"ValueError: {first_line(error)}"
    print(f"Keras:      {actual}")
    print(f"documented: {documented}")
    sys.exit(0 if actual == documented else 1)
print(f"Keras:      predictions of shape {predictions.shape} for {len(x)} sequences, no error")
print(f"documented: {documented}  (the last batch holds 1 sequence, the states 2)")
sys.exit(1)
