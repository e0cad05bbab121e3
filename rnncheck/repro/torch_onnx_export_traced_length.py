"""torch-onnx-export-traced-length: on the torch backend, model.export(path, format="onnx") of a model holding a
SimpleRNN or a GRU(reset_after=False) with go_backwards=True writes a graph that onnxruntime refuses to load:
"Node (/ReduceMax) Op (ReduceMax) [ShapeInferenceError] axis must be in [-rank, rank-1]. Input rank was 0".
The RNN layer passes input_length=sequences.shape[1] (keras/src/layers/rnn/rnn.py:357), which the TorchScript
tracer that Keras exports with (export/onnx.py:262, for a dynamic batch) records as a 0-d tensor;
keras/src/backend/torch/rnn.py:226-231 takes any tensor for per-sequence lengths and, with go_backwards, calls
torch.max(input_length, dim=0), traced as ReduceMax(axes=[0]) of a scalar. Eagerly input_length is an int and
the branch is not taken. unroll=True, LSTM and GRU(reset_after=True) (their own loops) export and run. Needs
onnxruntime.

Run: python torch_onnx_export_traced_length.py   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys
import tempfile
import warnings

os.environ["KERAS_BACKEND"] = "torch"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402

warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
x = np.zeros((1, 1, 1), np.float32)  # (batch, time, features)
# Documented: zero weights and no bias give h = tanh(0) = 0, as the layer itself returns.
documented = np.zeros((1, 1), np.float32)

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
model = keras.Sequential([keras.Input((1, 1)), keras.layers.SimpleRNN(1, use_bias=False, go_backwards=True)])
model.set_weights([np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)])
model(x)  # Keras exports a model that has been called
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "model.onnx")
    model.export(path, format="onnx", verbose=False)
    try:
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's Fail; only the recorded one counts
        if "ReduceMax" not in str(error):
            raise
        print("Keras:      the graph is written; onnxruntime refuses it: " + str(error).split(" failed:", 1)[-1])
        print(f"documented: the graph is written, and onnxruntime runs it: {documented.tolist()}")
        sys.exit(1)
    actual = session.run(None, {session.get_inputs()[0].name: x})[0]
print(f"Keras:      the graph is written; onnxruntime runs it: {actual.tolist()}")
print(f"documented: the graph is written, and onnxruntime runs it: {documented.tolist()}")
sys.exit(0 if np.allclose(actual, documented, rtol=0, atol=1e-6) else 1)
