"""jax-onnx-export-reverse-scan: on the jax backend, model.export(path, format="onnx") of a model holding a
SimpleRNN, a GRU(reset_after=False) or an LSTM with go_backwards=True raises NotImplementedError: "Reverse scan is
not supported in IR pipeline.". keras/src/backend/jax/rnn.py:198-205 runs go_backwards as
lax.scan(..., reverse=True) and flips the outputs; jax2onnx (0.17.1, plugins/jax/lax/scan.py:688), which Keras
exports with on jax, refuses a reversed scan. The same layer with unroll=True, and GRU(reset_after=True) (its own
loop flips the inputs and scans forward, jax/rnn.py:503), export and run. Needs jax2onnx and onnxruntime.

Run: python jax_onnx_export_reverse_scan.py   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys
import tempfile

os.environ["KERAS_BACKEND"] = "jax"

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.zeros((1, 1, 1), np.float32)  # (batch, time, features)
# Documented: zero weights and no bias give h = tanh(0) = 0, as the layer itself returns.
documented = np.zeros((1, 1), np.float32)

keras.config.disable_traceback_filtering()  # the error as raised, not rewrapped
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
model = keras.Sequential([keras.Input((1, 1)), keras.layers.SimpleRNN(1, use_bias=False, go_backwards=True)])
model.set_weights([np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)])
model(x)  # jax's exporter traces a model that has been called
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "model.onnx")
    try:
        model.export(path, format="onnx", verbose=False)
    except NotImplementedError as error:  # the recorded error; any other propagates
        print(f"Keras:      NotImplementedError: {error}")
        print(f"documented: the graph is written, and onnxruntime runs it: {documented.tolist()}")
        sys.exit(1)
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    actual = session.run(None, {session.get_inputs()[0].name: x})[0]
print(f"Keras:      the graph is written; onnxruntime runs it: {actual.tolist()}")
print(f"documented: the graph is written, and onnxruntime runs it: {documented.tolist()}")
sys.exit(0 if np.allclose(actual, documented, rtol=0, atol=1e-6) else 1)
