"""torch.onnx.export of nn.RNN / nn.GRU / nn.LSTM, run in onnxruntime, computes what rnncheck.reference computes:
every exporter the installed torch offers (the torch.export-based one, torch's default since 2.9, and the older
TorchScript-based one), on stacks of 1-3 layers, bidirectional or not, with or without biases and initial states.

Each example exports its own module: the exporters bake the weights into the graph as constants, so a module of
other weights is another graph. The TorchScript exporter is deprecated: its DeprecationWarning is the exporter's
own, asserted here, not ours.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from hypothesis import given

from rnncheck.conformance.backends import keep_triton_out, require
from rnncheck.conformance.harness import assert_outputs_close
from rnncheck.conformance.strategies import TorchStackCase, torch_stack_cases
from rnncheck.conformance.test_pytorch import module_for, names, reference_stack
from rnncheck.frameworks import pytorch

EXPORTERS = ("dynamo", "torchscript")  # torch.onnx.export(dynamo=True), (dynamo=False)


@pytest.fixture(scope="module")
def ort():
    require("torch")
    require("onnxscript")  # what the dynamo exporter translates with
    keep_triton_out()
    return require("onnxruntime")


def export(module, args: tuple, *, exporter: str) -> bytes:
    """The module's ONNX graph (a serialized ModelProto) as `exporter` writes it."""
    import torch

    if exporter == "dynamo":
        with warnings.catch_warnings():
            # torch.export's notes on nn.RNN's internals (_flat_weights "assigned during export"), about tracing.
            warnings.filterwarnings("ignore", message="The tensor attributes self._flat_weights", category=UserWarning)
            program = torch.onnx.export(module, args, dynamo=True, verbose=False)
        return program.model_proto.SerializeToString()
    buffer = io.BytesIO()
    with pytest.warns(DeprecationWarning, match="legacy TorchScript-based ONNX export"), warnings.catch_warnings():
        # Its advice for a batch size other than 1 without initial-state inputs, which this graph has when h0 is given.
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
        warnings.filterwarnings("ignore", message="The feature will be removed", category=DeprecationWarning)
        # The tracer's note that Python-level branches (nn.GRU's shape checks) are recorded as constants: the
        # graph is traced for this input's shapes, which are the shapes it is run on.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(module, args, buffer, dynamo=False)
    return buffer.getvalue()


def onnx_outputs(ort, graph: bytes, case: TorchStackCase, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """[output (batch, time, directions*u), *final states in Keras's order] of the graph in onnxruntime."""
    session = ort.InferenceSession(graph, providers=["CPUExecutionProvider"])
    feeds = {spec.name: array for spec, array in zip(session.get_inputs(), inputs, strict=True)}
    output, *final = session.run(None, feeds)
    return [output, *pytorch.final_states(case.cell, final, num_layers=case.num_layers, directions=case.directions)]


@pytest.mark.parametrize("exporter", EXPORTERS)
@given(case=torch_stack_cases())
def test_torch_onnx_export_matches_reference(ort, exporter, case):
    import torch

    module = module_for(case, dtype=torch.float32).eval()
    x = case.x.astype(np.float32)
    hx = pytorch.initial_states(case.cell, case.initial_state, directions=case.directions)
    inputs = [x] + ([] if hx is None else [h.astype(np.float32) for h in hx])
    tensors = [torch.as_tensor(a) for a in inputs]
    args = (tensors[0],) if hx is None else (tensors[0], tuple(tensors[1:]) if case.cell == "lstm" else tensors[1])
    actual = onnx_outputs(ort, export(module, args, exporter=exporter), case, inputs)
    assert_outputs_close(actual, reference_stack(case), names=names(case), framework=f"torch.onnx.export ({exporter})",
                         case=case)  # fmt: skip
