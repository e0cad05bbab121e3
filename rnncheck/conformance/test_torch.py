"""PyTorch's recurrent modules hold what rnncheck.params says: every weight's name and shape, and the total."""

from __future__ import annotations

import pytest
from hypothesis import example, given

from rnncheck.cells import cell as cell_facts
from rnncheck.conformance.backends import require
from rnncheck.conformance.strategies import TorchSpec, torch_specs
from rnncheck.params import torch_params

# torch is imported by the first test that needs it, not at collection: ~2 s on every xdist worker otherwise.


@pytest.fixture(scope="module")
def torch():
    """torch, or a skip saying how to install it (a failure where RNNCHECK_REQUIRE_BACKENDS is set)."""
    return require("torch")


@pytest.fixture(scope="module")
def torch_model(torch):
    from rnncheck import torch_model

    return torch_model


# The classic rows (SimpleRNN on 28 pixels, 10/20/30 units), every cell at MNIST size, the issue's
# --verify example, and the largest module the strategy draws.
PINS = [
    TorchSpec("simple", 28, 10),
    TorchSpec("simple", 28, 20),
    TorchSpec("simple", 28, 30),
    TorchSpec("simple", 28, 10, nonlinearity="relu"),
    TorchSpec("gru", 28, 10),
    TorchSpec("lstm", 28, 10),
    TorchSpec("lstm", 28, 64, num_layers=2, bidirectional=True, proj_size=16),
    TorchSpec("gru", 4, 5, bias=False),
    TorchSpec("lstm", 512, 512, num_layers=3, bidirectional=True, proj_size=511),
]


def pinned(test):
    for spec in PINS:
        test = example(spec=spec)(test)
    return test


def module_on_meta(torch, spec: TorchSpec):
    """torch.nn.<class>(...) built on the meta device: real names and shapes, no memory, no initialization.

    nn.LSTM(512, 512, num_layers=3, bidirectional=True) takes ~140 ms on the CPU (it initializes
    every weight), ~4 ms on meta; torch.nn.utils.skip_init refuses RNN modules (no visible `device`).
    """
    module_class = getattr(torch.nn, cell_facts(spec.cell).torch_class)
    with torch.device("meta"):
        return module_class(spec.input_size, spec.hidden_size, **spec.module_options)


@pinned
@given(spec=torch_specs())
def test_formula_names_and_shapes_are_torch_named_parameters(torch, spec):
    module = module_on_meta(torch, spec)
    held = {name: tuple(parameter.shape) for name, parameter in module.named_parameters()}
    assert torch_params(spec.cell, **spec.formula_options).named_shapes() == held


@pinned
@given(spec=torch_specs())
def test_formula_total_is_torch_parameter_count(torch, spec):
    module = module_on_meta(torch, spec)
    assert torch_params(spec.cell, **spec.formula_options).total == sum(p.numel() for p in module.parameters())


@pinned
@given(spec=torch_specs())
def test_torch_param_counts_agree_with_the_formula_head_included(torch_model, spec):
    options = {key: value for key, value in spec.module_options.items() if key != "nonlinearity"}
    recurrent, total = torch_model.torch_param_counts(
        spec.cell, input_size=spec.input_size, hidden_size=spec.hidden_size, num_classes=10, **options
    )
    layers = torch_params(spec.cell, **spec.formula_options).layers
    head = 10 * (layers[-1].output_size + 1)  # nn.Linear(output_size, 10)
    assert (recurrent, total) == (sum(layer.total for layer in layers), sum(layer.total for layer in layers) + head)


@pytest.mark.parametrize(
    ("cell", "options", "message"),
    [
        ("gru", {"proj_size": 2}, "LSTM only"),
        ("lstm", {"proj_size": 4}, "smaller than hidden_size"),
        ("gru", {"nonlinearity": "relu"}, "nonlinearity"),
        ("simple", {"nonlinearity": "sigmoid"}, "nonlinearity"),
    ],
    ids=["proj-size-for-gru", "proj-size-not-below-hidden", "relu-gru", "sigmoid-rnn"],
)
def test_torch_module_refuses_options_torch_does_not_have(torch_model, cell, options, message):
    with pytest.raises(ValueError, match=message):
        torch_model.torch_module(cell, input_size=3, hidden_size=4, **options)
