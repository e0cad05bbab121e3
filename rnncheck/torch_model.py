"""The one adapter that builds PyTorch modules: nn.RNN / nn.GRU / nn.LSTM, their counts, and the MNIST model.

Imports torch (the `backends` extra). Modules are batch_first=True, as Keras's layers are; weights
come in as NumPy arrays named as state_dict() names them (rnncheck.convert gives them).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from rnncheck.cells import cell as cell_facts
from rnncheck.checks import check_choice, check_size
from rnncheck.params import torch_params

NONLINEARITIES = ("tanh", "relu")  # nn.RNN's; the same-named activation of Keras's SimpleRNN


def torch_module(
    cell: str,
    *,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    proj_size: int = 0,
    nonlinearity: str = "tanh",
    device: str | torch.device | None = None,
) -> nn.RNNBase:
    """nn.RNN / nn.GRU / nn.LSTM(input_size, hidden_size, ..., batch_first=True) for `cell`.

    `nonlinearity` is nn.RNN's ("tanh" or "relu"; GRU and LSTM have tanh only); `proj_size` is nn.LSTM's.
    device="meta" gives the shapes without allocating or initializing a weight.
    """
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES if cell == "simple" else ("tanh",))
    options = dict(num_layers=num_layers, bias=bool(bias), bidirectional=bool(bidirectional), proj_size=proj_size)
    torch_params(cell, input_size=input_size, hidden_size=hidden_size, **options)  # checks every size, as the formula
    if not proj_size:
        del options["proj_size"]  # nn.RNN and nn.GRU take no proj_size at all
    if cell == "simple":
        options["nonlinearity"] = nonlinearity
    module_class = getattr(nn, cell_facts(cell).torch_class)
    return module_class(input_size, hidden_size, batch_first=True, device=device, **options)


def torch_param_counts(
    cell: str,
    *,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    proj_size: int = 0,
    num_classes: int = 10,
    nonlinearity: str = "tanh",
) -> tuple[int, int]:
    """torch's own count of the recurrent module's parameters and of the MNIST model's (module + Linear head).

    Built on the meta device: shapes only, no memory, no initialization.
    """
    with torch.device("meta"):
        model = MnistTorch(
            cell,
            input_size=input_size,
            units=hidden_size,
            num_classes=num_classes,
            num_layers=num_layers,
            bias=bias,
            bidirectional=bidirectional,
            proj_size=proj_size,
            nonlinearity=nonlinearity,
        )
    return _count(model.rnn), _count(model)


def _count(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def load_numpy_state(module: nn.Module, state_dict: Mapping[str, np.ndarray]) -> nn.Module:
    """Load NumPy arrays into `module` (every name, no more: strict); returns the module."""
    tensors = {name: torch.from_numpy(np.ascontiguousarray(array)) for name, array in state_dict.items()}
    module.load_state_dict(tensors, strict=True)
    return module


class MnistTorch(nn.Module):
    """The MNIST model in PyTorch: a recurrent module `rnn`, then nn.Linear `head` on what Keras's layer returns.

    Keras's return_sequences=False output is the last layer's final hidden state (Bidirectional: forward's
    then backward's, concatenated); with return_sequences=True the head sees every step. In eval mode the
    head's output goes through softmax when `softmax`, as Keras's Dense(num_classes, "softmax").
    num_classes=None: no head, the recurrent output itself.
    """

    def __init__(
        self,
        cell: str = "simple",
        *,
        input_size: int = 28,
        units: int = 10,
        num_classes: int | None = 10,
        num_layers: int = 1,
        bias: bool = True,
        bidirectional: bool = False,
        proj_size: int = 0,
        nonlinearity: str = "tanh",
        head_bias: bool = True,
        softmax: bool = True,
        return_sequences: bool = False,
    ):
        super().__init__()
        self.rnn = torch_module(
            cell,
            input_size=input_size,
            hidden_size=units,
            num_layers=num_layers,
            bias=bias,
            bidirectional=bidirectional,
            proj_size=proj_size,
            nonlinearity=nonlinearity,
        )
        self.directions = 2 if bidirectional else 1
        self.return_sequences = bool(return_sequences)
        self.softmax = bool(softmax)
        features = self.directions * (proj_size or units)
        if num_classes is None:
            self.head = None
        else:
            self.head = nn.Linear(features, check_size("num_classes", num_classes), bias=head_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, state = self.rnn(x)  # (batch, time, directions * p), h_n (layers * directions, batch, p)
        if self.return_sequences:
            features = output
        else:
            h_n = state[0] if isinstance(state, tuple) else state
            features = h_n[-self.directions :].transpose(0, 1).reshape(x.shape[0], -1)  # (batch, directions * p)
        if self.head is None:
            return features
        logits = self.head(features)
        return torch.softmax(logits, dim=-1) if self.softmax and not self.training else logits
