"""ONNX's RNN / GRU / LSTM operators, run in onnxruntime, as a framework under test.

The weights' layout (gates i, o, f, c for LSTM; W, R, B per direction) is rnncheck.onnx_layout; the graphs, one
operator or a whole converted Keras model, are rnncheck.onnx_graph; the properties are conformance/test_onnx.py.
Imports onnx and onnxruntime only when a graph is built or run.
"""

from __future__ import annotations

from rnncheck.cells import cell as cell_facts
from rnncheck.onnx_graph import keras_model_to_onnx, recurrent_model  # noqa: F401  (the adapter's entry points)
from rnncheck.onnx_layout import KERAS_TO_ONNX_ACTIVATION, keras_to_onnx, onnx_to_keras  # noqa: F401


def supports(cell: str, *, activation: str = "tanh", recurrent_activation: str = "sigmoid") -> str | None:
    """None if an ONNX operator computes this Keras layer, else the reason it cannot."""
    facts = cell_facts(cell)
    if facts.rank:
        return f"ONNX has no convolutional recurrent operator for {facts.keras_class}"
    for name, value in (("activation", activation), ("recurrent_activation", recurrent_activation)):
        if value not in KERAS_TO_ONNX_ACTIVATION:
            return f"{name}={value!r} has no ONNX activation"
    return None
