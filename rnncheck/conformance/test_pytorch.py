"""PyTorch in its own right: nn.RNN (tanh, relu), nn.GRU and nn.LSTM and their cells against the NumPy reference,
with every option PyTorch has and Keras has not (time-first input, unbatched input, packed sequences, dropout
between layers), and torch.autograd against rnncheck.gradients.bptt. On $RNNCHECK_DEVICE (cpu by default; cuda
runs cuDNN's kernels, with TF32 off so float32 means float32)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncheck import gradients, reference
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance.backends import require
from rnncheck.conformance.harness import assert_outputs_close as assert_close
from rnncheck.conformance.strategies import TorchStackCase, float32_arrays, torch_stack_cases
from rnncheck.frameworks import pytorch


@pytest.fixture(scope="module", autouse=True)
def torch():
    torch = require("torch")
    torch.backends.cudnn.allow_tf32 = False  # cuDNN's RNNs would otherwise round float32 matmuls to TF32
    torch.backends.cuda.matmul.allow_tf32 = False
    return torch


def assert_outputs_close(actual, expected, **options) -> None:
    assert_close(actual, expected, framework=f"pytorch ({pytorch.device()})", **options)


def module_for(case: TorchStackCase, *, dtype, batch_first=True, dropout=0.0):
    import torch

    facts = cell_facts(case.cell)
    options = dict(num_layers=case.num_layers, bias=case.use_bias, bidirectional=case.bidirectional, dropout=dropout)
    if case.cell == "simple":
        options["nonlinearity"] = case.activation
    if case.proj_size:
        options["proj_size"] = case.proj_size
    module = getattr(torch.nn, facts.torch_class)(case.input_size, case.units, batch_first=batch_first, **options)
    module = module.to(device=pytorch.device(), dtype=dtype)
    state = pytorch.state_dict(case.cell, case.weights, bidirectional=case.bidirectional, projections=case.projections)
    pytorch.load(module, state, dtype=dtype)
    return module


def reference_stack(case: TorchStackCase, *, mask=None) -> list[np.ndarray]:
    """[output of the top layer, *each layer's final states] by the reference, a stack fed `mask`."""
    run = reference.function(case.cell)
    options = {"activation": case.activation} if case.cell == "simple" else {}
    y, states = case.x, []
    for k, weights in enumerate(case.weights):
        per = len(weights) // case.directions
        starts = range(0, len(weights), per)
        directions = [(*weights[i : i + 2], weights[i + 2] if case.use_bias else None) for i in starts]
        if case.projections is not None:  # each direction's P after its bias: the reference's projection
            directions = [(*w, p) for w, p in zip(directions, case.projections[k], strict=True)]
        call = dict(return_sequences=True, return_state=True, mask=mask, **options)
        call["initial_state"] = None if case.initial_state is None else list(case.initial_state[k])
        if case.bidirectional:
            y, *layer_states = reference.bidirectional(run, y, *directions, **call)
        else:
            y, *layer_states = run(y, *directions[0], **call)
        states += layer_states
    return [y, *states]


def names(case: TorchStackCase) -> list[str]:
    suffixes = ["_forward", "_backward"] if case.bidirectional else [""]
    states = cell_facts(case.cell).states
    return ["output"] + [f"{s}{d} of layer {k}" for k in range(case.num_layers) for d in suffixes for s in states]


def run_module(module, case: TorchStackCase, x: np.ndarray, *, dtype, batch_first=True, unbatched=False):
    """[output (batch, time, directions*u), *final states in Keras's order] of the module on x (batch-first)."""
    import torch

    hx = pytorch.initial_states(case.cell, case.initial_state, directions=case.directions)
    inputs = x if batch_first else np.swapaxes(x, 0, 1)
    if unbatched:
        inputs, hx = inputs[0] if batch_first else inputs[:, 0], None if hx is None else [h[:, 0] for h in hx]
    to = dict(device=pytorch.device(), dtype=dtype)
    tensors = None if hx is None else [torch.as_tensor(h, **to) for h in hx]
    if tensors is not None:
        tensors = tuple(tensors) if case.cell == "lstm" else tensors[0]
    with torch.no_grad():
        output, final = module(torch.as_tensor(inputs, **to), tensors)
    output = pytorch.to_numpy(output)
    final = [pytorch.to_numpy(f) for f in (final if isinstance(final, tuple) else (final,))]
    if unbatched:
        output, final = output[None] if batch_first else output[:, None], [f[:, None] for f in final]
    if not batch_first:
        output = np.swapaxes(output, 0, 1)
    return [output, *pytorch.final_states(case.cell, final, num_layers=case.num_layers, directions=case.directions)]


@st.composite
def layouts(draw):
    """How the module is called: batch_first, unbatched (a batch of one given without its axis), float32 or 64."""
    return dict(
        batch_first=draw(st.booleans()), unbatched=draw(st.booleans()), float64=draw(st.booleans())
    )


@given(case=torch_stack_cases(projections=True), layout=layouts())
def test_pytorch_module_matches_reference(case, layout):
    import torch

    if layout["unbatched"]:
        case = dataclasses.replace(
            case,
            x=case.x[:1],
            initial_state=None
            if case.initial_state is None
            else tuple(tuple(s[:1] for s in layer) for layer in case.initial_state),
        )
    dtype = torch.float64 if layout["float64"] else torch.float32
    module = module_for(case, dtype=dtype, batch_first=layout["batch_first"])
    batch_first, unbatched = layout["batch_first"], layout["unbatched"]
    actual = run_module(module, case, case.x, dtype=dtype, batch_first=batch_first, unbatched=unbatched)
    tolerance = "float64" if layout["float64"] else "float32"
    assert_outputs_close(actual, reference_stack(case), names=names(case), tolerance=tolerance, case=(case, layout))


@given(case=torch_stack_cases(projections=True), data=st.data())
def test_packed_sequence_gives_each_sequences_state_after_its_last_step(case, data):
    # PyTorch documents: h_n holds each sequence's state at its own length, and pad_packed_sequence fills the
    # steps past it with zeros. Keras instead repeats the last output there: a documented difference, not a bug.
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    batch, time = case.x.shape[:2]
    lengths = np.array(data.draw(st.lists(st.integers(1, time), min_size=batch, max_size=batch), label="lengths"))
    enforce_sorted = data.draw(st.booleans(), label="enforce_sorted")
    if enforce_sorted:
        lengths = np.sort(lengths)[::-1].copy()
    mask = np.arange(time)[None, :] < lengths[:, None]  # (batch, time): right-padded
    module = module_for(case, dtype=torch.float64)
    x = torch.as_tensor(case.x, dtype=torch.float64, device=pytorch.device())
    packed = pack_padded_sequence(x, torch.as_tensor(lengths), batch_first=True, enforce_sorted=enforce_sorted)
    hx = pytorch.initial_states(case.cell, case.initial_state, directions=case.directions)
    if hx is not None:
        hx = [torch.as_tensor(h, dtype=torch.float64, device=pytorch.device()) for h in hx]
        hx = tuple(hx) if case.cell == "lstm" else hx[0]
    with torch.no_grad():
        output, final = module(packed, hx)
    padded, _ = pad_packed_sequence(output, batch_first=True, total_length=time)
    final = [pytorch.to_numpy(f) for f in (final if isinstance(final, tuple) else (final,))]
    states = pytorch.final_states(case.cell, final, num_layers=case.num_layers, directions=case.directions)
    expected = reference_stack(case, mask=mask)
    expected[0] = np.where(mask[:, :, None], expected[0], 0.0)  # PyTorch's padding: zeros past each length
    assert_outputs_close([pytorch.to_numpy(padded), *states], expected, names=names(case), tolerance="float64",
                         case=(case, lengths, enforce_sorted))  # fmt: skip


@given(case=torch_stack_cases(projections=True), rate=st.floats(0.1, 0.9))
def test_dropout_is_nothing_in_eval_mode_and_only_between_layers_in_train_mode(case, rate):
    import torch

    if case.num_layers == 1:  # PyTorch warns that dropout acts between layers only, and does nothing here
        with pytest.warns(UserWarning, match="dropout option adds dropout after all but last recurrent layer"):
            module = module_for(case, dtype=torch.float64, dropout=rate)
    else:
        module = module_for(case, dtype=torch.float64, dropout=rate)
    expected = reference_stack(case)
    module.eval()
    assert_outputs_close(run_module(module, case, case.x, dtype=torch.float64), expected, names=names(case),
                         tolerance="float64", case=(case, "eval"))  # fmt: skip
    module.train()
    torch.manual_seed(0)
    trained = run_module(module, case, case.x, dtype=torch.float64)
    first = 1 + len(cell_facts(case.cell).states) * case.directions  # layer 0's states: before any dropout
    assert_outputs_close(trained[1:first], expected[1:first], names=names(case)[1:first], tolerance="float64",
                         case=(case, "train"))  # fmt: skip


@given(case=torch_stack_cases(max_layers=1, max_time=1))
def test_cell_modules_are_one_step_of_the_layer(case):
    import torch

    facts = cell_facts(case.cell)
    options = {"nonlinearity": case.activation} if case.cell == "simple" else {}
    cell = getattr(torch.nn, facts.torch_class + "Cell")(case.input_size, case.units, bias=case.use_bias, **options)
    weights = case.weights[0][: len(case.weights[0]) // case.directions]  # the forward direction
    state = pytorch.state_dict(case.cell, [weights], bidirectional=False)
    cell = cell.to(device=pytorch.device(), dtype=torch.float64)
    pytorch.load(cell, {name.removesuffix("_l0"): value for name, value in state.items()}, dtype=torch.float64)
    n = len(facts.states)
    zeros = [np.zeros((case.x.shape[0], case.units))] * n
    given_states = zeros if case.initial_state is None else list(case.initial_state[0][:n])
    to = dict(device=pytorch.device(), dtype=torch.float64)
    hx = [torch.as_tensor(s, **to) for s in given_states]
    with torch.no_grad():
        new = cell(torch.as_tensor(case.x[:, 0], **to), tuple(hx) if n == 2 else hx[0])
    actual = [pytorch.to_numpy(t) for t in (new if isinstance(new, tuple) else (new,))]
    single = dataclasses.replace(case, bidirectional=False, weights=(weights,),
                                 initial_state=(tuple(given_states),))  # fmt: skip
    expected = reference_stack(single)[1:]
    assert_outputs_close(actual, expected, names=list(facts.states), tolerance="float64", case=case)


@given(case=torch_stack_cases(max_layers=1, projections=True), data=st.data())
def test_autograd_matches_bptt(case, data):
    import torch

    float64 = data.draw(st.booleans(), label="float64")
    dtype = torch.float64 if float64 else torch.float32
    forward = len(case.weights[0]) // case.directions  # the first direction's weights
    states = len(cell_facts(case.cell).states)
    case = dataclasses.replace(
        case, bidirectional=False, weights=(case.weights[0][:forward],),
        initial_state=None if case.initial_state is None else (case.initial_state[0][:states],),
        projections=None if case.projections is None else (case.projections[0][:1],),
    )  # fmt: skip
    batch, time, _ = case.x.shape
    d_output = data.draw(float32_arrays((batch, time, case.width)), label="d_output")
    module = module_for(case, dtype=dtype)
    to = dict(device=pytorch.device(), dtype=dtype)
    x = torch.as_tensor(case.x, **to).requires_grad_(True)
    output, _ = module(x)  # zero initial states: the gradient with respect to the input and the weights
    (output * torch.as_tensor(d_output, **to)).sum().backward()
    kernel, recurrent_kernel, *bias = case.weights[0]
    options = {"activation": case.activation} if case.cell == "simple" else {}
    if case.projections is not None:
        options["projection"] = case.projections[0][0]
    grads = gradients.bptt(case.cell, case.x, kernel, recurrent_kernel, bias[0] if bias else None, d_output=d_output,
                           return_sequences=True, **options)  # fmt: skip
    keras_grads = [grads.kernel, grads.recurrent_kernel] + ([grads.bias] if bias else [])
    projected = None if grads.projection is None else [[grads.projection]]
    expected = pytorch.state_dict(case.cell, [keras_grads], bidirectional=False, projections=projected)
    if bias and case.cell != "gru":  # one Keras bias is bias_ih + bias_hh: each gets its whole gradient
        expected["bias_hh_l0"] = expected["bias_ih_l0"]
    parameters = dict(module.named_parameters())
    actual = [pytorch.to_numpy(x.grad)] + [pytorch.to_numpy(parameters[name].grad) for name in expected]
    tolerance = "float64" if float64 else "float32 gradient"
    assert_outputs_close(actual, [grads.x, *expected.values()], names=["dL/dx", *(f"dL/d{n}" for n in expected)],
                         tolerance=tolerance, case=case)  # fmt: skip
