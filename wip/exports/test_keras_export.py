"""Keras's model.export(path, format="onnx") of a model holding one recurrent layer, run in onnxruntime, computes
what rnncheck.reference computes, on each Keras backend: tf2onnx writes the graph on tensorflow, jax2onnx on jax,
torch.onnx on torch (Keras 3.15's keras/src/export/onnx.py). The exported model's one input is x, so the drawn
case's mask and initial state, which a call would take, are not part of it.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import given

from rnncheck import reference
from rnncheck.conformance import divergences
from rnncheck.conformance.backends import keep_triton_out, require
from rnncheck.conformance.harness import assert_outputs_close
from rnncheck.conformance.layers import keras_layer
from rnncheck.conformance.strategies import SequenceCase, sequence_cases

EXPORTER = {"tensorflow": "tf2onnx", "jax": "jax2onnx", "torch": "onnxscript"}  # what model.export needs on each


@pytest.fixture(scope="module")
def ort():
    require(EXPORTER[keras.backend.backend()])
    keep_triton_out()
    return require("onnxruntime")


def exported(case: SequenceCase) -> bytes:
    """The ONNX graph model.export writes of Sequential([Input, the case's layer])."""
    layer = keras_layer(case.cell, **case.layer_options, fresh=True)
    model = keras.Sequential([keras.Input(case.x.shape[1:]), layer])
    model(case.x)  # jax's exporter traces a model that has been called
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        # The exporters' notes on how they trace, not on the numbers: tf2onnx on NumPy 2's np.object, torch.onnx's
        # tracer on Python values that become constants (the layer's static sizes).
        warnings.filterwarnings("ignore", message="In the future `np.object`", category=FutureWarning)
        warnings.filterwarnings("ignore", message="Converting a tensor to a Python")
        warnings.filterwarnings("ignore", message="The tensor attributes self._flat_weights", category=UserWarning)
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
        # On torch, keras/src/export/onnx.py:262 calls torch's deprecated TorchScript exporter (dynamo=False) for a
        # model whose batch is dynamic, which is every model with a keras.Input: Keras's call, not ours.
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message="The feature will be removed", category=DeprecationWarning)
        if keras.backend.backend() == "torch":
            import torch

            # The tracer's cautions that its graph may not fit inputs of other shapes (a Python loop over time,
            # len() of a tensor): the property runs the graph on the drawn case and checks its numbers.
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        path = Path(folder) / "model.onnx"
        model.export(str(path), format="onnx", verbose=False)
        return path.read_bytes()


def onnx_output(case: SequenceCase) -> list[np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(exported(case), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: case.x})


def reference_output(loop, case: SequenceCase) -> list[np.ndarray]:
    options = {k: v for k, v in case.reference_options.items() if k not in ("initial_state", "mask")}
    return [loop(reference.function(case.cell))(case.x, case.kernel, case.recurrent_kernel, case.bias, **options)]


def assert_export_close(actual, expected, arguments) -> None:
    backend = keras.backend.backend()
    assert_outputs_close(actual, expected, names=["output"], case=arguments,
                         framework=f"model.export on {backend} ({EXPORTER[backend]}), onnxruntime")  # fmt: skip


EXPORT_MATCHES_REFERENCE = divergences.Property(
    "test_keras_onnx_export_matches_reference",
    actual=lambda case: onnx_output(case),
    expected=lambda loop, case: reference_output(loop, case),
    compare=assert_export_close,
)


@given(case=sequence_cases())
def test_keras_onnx_export_matches_reference(ort, case):
    EXPORT_MATCHES_REFERENCE.check(case=dataclasses.replace(case, initial_state=None, mask=None))  # x is the input


test_keras_onnx_export_matches_reference_on_recorded_examples = pytest.mark.usefixtures("ort")(
    EXPORT_MATCHES_REFERENCE.replay_test()
)
