"""Recurrent-layer weights and activations between Keras and the ONNX RNN / GRU / LSTM operators (NumPy only).

For a cell with G gates and u units on d inputs, one ONNX operator holds every direction of one layer:

    Keras (set_weights, per direction)       ONNX (operator inputs; direction axis first)
    kernel            (d, G*u)   transposed  W  (num_directions, G*u, d)
    recurrent_kernel  (u, G*u)   transposed  R  (num_directions, G*u, u)
    bias SimpleRNN, LSTM  (G*u,)  the sum of  B  (num_directions, 2*G*u) = [Wb, Rb]: Keras's bias is Wb, Rb = 0
    bias GRU reset_after=True  (2, 3u)  rows  Wb = row 0, Rb = row 1  (linear_before_reset=1)
    bias GRU reset_after=False (3u,)          Wb = the bias, Rb = 0   (linear_before_reset=0)

Every G*u axis is one u-block per gate, in each side's gate order: SimpleRNN h (Keras) against i (ONNX), GRU
z, r, h against z, r, h (the same), LSTM i, f, c, o against i, o, f, c. A Keras Bidirectional layer is one
operator with direction="bidirectional": the forward layer's weights at index 0, the backward's at 1. ONNX's
GRU with linear_before_reset=0 computes Keras's reset_after=False candidate, x W_h + (r * h) U_h + b, and
with linear_before_reset=1 its reset_after=True one, x W_h + b_h + r * (h U_h + b'_h).

Activations are named by each side: Keras's `tanh` is ONNX's `Tanh`, `linear` is `Affine` with alpha 1 and
beta 0, Keras 3's `hard_sigmoid` (relu6(x + 3) / 6) is `HardSigmoid` with alpha 1/6 and beta 0.5 (ONNX's
defaults are 0.2 and 0.5, Keras 2's); a Keras activation without an ONNX equivalent is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnncheck.cells import Cell
from rnncheck.cells import cell as cell_facts
from rnncheck.checks import check_choice

OPERATORS = {"simple": "RNN", "gru": "GRU", "lstm": "LSTM"}  # rnncheck's cell -> the ONNX operator
ONNX_GATES = {"simple": ("i",), "gru": ("z", "r", "h"), "lstm": ("i", "o", "f", "c")}  # u-blocks of W, in order
_KERAS_NAME = {"simple": {"i": "h"}}  # ONNX's name of a gate -> Keras's, where they differ
DIRECTIONS = ("forward", "reverse", "bidirectional")


def operator(cell: str) -> str:
    """The ONNX operator of rnncheck's `cell` ("simple" -> "RNN", ...), or a ValueError naming the cells it has."""
    return OPERATORS[check_choice("cell", cell, tuple(OPERATORS))]


def linear_before_reset(reset_after: bool) -> int:
    """ONNX GRU's linear_before_reset for Keras's reset_after: 1 for True (Keras's default), 0 for False."""
    return 1 if reset_after else 0


def keras_to_onnx(cell: str, directions_weights: Sequence, *, reset_after: bool = True) -> dict[str, np.ndarray]:
    """Keras weights of each direction as the ONNX operator's W, R and B (float32; B zeros where there is no bias).

    `directions_weights` holds one (kernel, recurrent_kernel, bias) per direction (bias None or left out when
    use_bias=False): one for a plain layer, forward then backward for a Bidirectional one.
    """
    facts = _facts(cell)
    directions = _directions(directions_weights)
    order = _keras_to_onnx_order(facts)
    Ws, Rs, Bs = [], [], []
    for index, weights in enumerate(directions):
        where = _where(index, len(directions))
        kernel, recurrent_kernel, bias = _unpack(weights, where=where)
        kernel, recurrent_kernel = np.asarray(kernel), np.asarray(recurrent_kernel)
        bias = None if bias is None else np.asarray(bias)
        u = _check_keras_shapes(facts, kernel, recurrent_kernel, bias, reset_after=reset_after, where=where)
        if index and u != Rs[0].shape[1]:
            raise ValueError(f"{where}recurrent_kernel has {u} units, the forward direction {Rs[0].shape[1]}")
        if index and kernel.shape[0] != Ws[0].shape[1]:
            raise ValueError(f"{where}kernel has {kernel.shape[0]} inputs, the forward direction {Ws[0].shape[1]}")
        Ws.append(_reorder(kernel.T, order))  # (G*u, d)
        Rs.append(_reorder(recurrent_kernel.T, order))  # (G*u, u)
        gu = facts.gate_count * u
        if bias is None:
            input_bias, recurrent_bias = np.zeros(gu), np.zeros(gu)
        elif bias.ndim == 2:  # GRU, reset_after=True: row 0 the input bias, row 1 the recurrent one
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            input_bias, recurrent_bias = bias, np.zeros(gu)
        Bs.append(np.concatenate([_reorder(input_bias, order), _reorder(recurrent_bias, order)]))
    return {name: np.stack(arrays).astype(np.float32) for name, arrays in (("W", Ws), ("R", Rs), ("B", Bs))}


def onnx_to_keras(cell: str, W, R, B=None, *, reset_after: bool = True, use_bias: bool = True) -> list[tuple]:
    """The ONNX operator's W, R, B as one (kernel, recurrent_kernel, bias) per direction, in Keras's layout.

    SimpleRNN, LSTM and GRU with reset_after=False get Wb + Rb as their one bias (the operator adds both in
    the same place), a GRU with reset_after=True the (2, 3u) bias [Wb, Rb]. use_bias=False returns bias None
    and refuses a B that is not zero. Keras -> ONNX -> Keras gives back the same weights.
    """
    facts = _facts(cell)
    W, R = np.asarray(W), np.asarray(R)
    g = facts.gate_count
    if R.ndim != 3 or R.shape[0] not in (1, 2) or R.shape[1] != g * R.shape[2]:
        raise ValueError(f"R must be (num_directions 1 or 2, {g} * hidden_size, hidden_size), got {R.shape}")
    directions, gu, u = R.shape
    if W.ndim != 3 or W.shape[:2] != (directions, gu):
        raise ValueError(f"W must be ({directions}, {gu}, input_size) to match R {R.shape}, got {W.shape}")
    if B is not None:
        B = np.asarray(B)
        if B.shape != (directions, 2 * gu):
            expected = f"({directions}, {2 * gu}) = (num_directions, 2 * {g} * hidden_size)"
            raise ValueError(f"B must be {expected}, got {B.shape}")
        if not use_bias and np.any(B != 0):
            raise ValueError("B is not zero: a Keras layer with use_bias=False has no bias to hold it")
    order = _onnx_to_keras_order(facts)
    result = []
    for direction in range(directions):
        kernel = np.ascontiguousarray(_reorder(W[direction], order).T)  # (d, G*u)
        recurrent_kernel = np.ascontiguousarray(_reorder(R[direction], order).T)  # (u, G*u)
        bias = None
        if use_bias:
            b = np.zeros(2 * gu, W.dtype) if B is None else B[direction]
            input_bias, recurrent_bias = _reorder(b[:gu], order), _reorder(b[gu:], order)
            if cell == "gru" and reset_after:
                bias = np.stack([input_bias, recurrent_bias])  # (2, 3u)
            else:
                bias = input_bias + recurrent_bias
        result.append((kernel, recurrent_kernel, bias))
    return result


# Activations.


@dataclass(frozen=True)
class Activation:
    """An ONNX recurrent operator's activation function: its name and, where it takes them, alpha and beta."""

    name: str
    alpha: float | None = None
    beta: float | None = None


# Keras's name -> the ONNX function that computes the same. alpha and beta are always given where the function takes
# them: ONNX's default for Affine is not written in the operators' spec, and onnxruntime takes 0 for both.
KERAS_TO_ONNX_ACTIVATION = {
    "tanh": Activation("Tanh"),
    "sigmoid": Activation("Sigmoid"),
    "relu": Activation("Relu"),
    "linear": Activation("Affine", 1.0, 0.0),
    "hard_sigmoid": Activation("HardSigmoid", 1.0 / 6.0, 0.5),  # Keras 3: relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)
    "sparse_sigmoid": Activation("HardSigmoid", 0.5, 0.5),  # clip((x + 1) / 2, 0, 1)
    "softsign": Activation("Softsign"),
    "softplus": Activation("Softplus"),
    "elu": Activation("Elu", 1.0),
    "celu": Activation("Elu", 1.0),  # Keras's celu, alpha 1: max(0, x) + min(0, exp(x) - 1)
    "leaky_relu": Activation("LeakyRelu", 0.2),  # Keras's default negative slope
}
# Which of alpha and beta each ONNX function takes (the spec's list; onnxruntime reads them the same way).
ONNX_ACTIVATION_ARGUMENTS = {
    "Relu": (False, False),
    "Tanh": (False, False),
    "Sigmoid": (False, False),
    "Affine": (True, True),
    "LeakyRelu": (True, False),
    "ThresholdedRelu": (True, False),
    "ScaledTanh": (True, True),
    "HardSigmoid": (True, True),
    "Elu": (True, False),
    "Softsign": (False, False),
    "Softplus": (False, False),
}


def onnx_activation(keras_name, *, argument: str = "activation") -> Activation:
    """The ONNX function of Keras activation `keras_name`, or a ValueError naming `argument` and those there are."""
    if not isinstance(keras_name, str) or keras_name not in KERAS_TO_ONNX_ACTIVATION:
        raise ValueError(
            f"{argument}={keras_name!r} has no ONNX equivalent; the recurrent operators compute "
            f"{', '.join(KERAS_TO_ONNX_ACTIVATION)}"
        )
    return KERAS_TO_ONNX_ACTIVATION[keras_name]


_FUNCTIONS = {
    "simple": ("activation",),
    "gru": ("recurrent_activation", "activation"),
    "lstm": ("recurrent_activation", "activation", "activation"),
}
_DEFAULT_FUNCTIONS = {"simple": ("Tanh",), "gru": ("Sigmoid", "Tanh"), "lstm": ("Sigmoid", "Tanh", "Tanh")}


def keras_activations(cell: str) -> tuple[str, ...]:
    """The Keras options that name the activations of `cell`, in the operator's order of functions:
    SimpleRNN f = activation; GRU f = recurrent_activation, g = activation; LSTM f, g, h = those two and activation."""
    operator(cell)
    return _FUNCTIONS[cell]


def activation_attributes(cell: str, directions: Sequence[dict] = ({},)) -> dict:
    """The operator's activations, activation_alpha and activation_beta attributes for one Keras options dict per
    direction (activation, recurrent_activation; Keras's defaults where left out).

    alpha and beta are listed for the functions that take them only, in the order of the functions: how the spec's
    "consumed in the order of activation functions" reads and how onnxruntime reads them (rnn_helpers.cc).
    Returns only the attributes needed: {} for Keras's defaults, which are the operators' too.
    """
    facts = _facts(cell)
    if not 1 <= len(directions) <= 2:
        raise ValueError(f"directions must hold one options dict per direction (1 or 2), got {len(directions)}")
    functions = []
    for options in directions:
        options = facts.defaults(**{k: v for k, v in dict(options).items() if k in facts.options})
        functions += [onnx_activation(options[name], argument=name) for name in keras_activations(cell)]
    if tuple(f.name for f in functions) == _DEFAULT_FUNCTIONS[cell] * len(directions):
        return {}
    attributes = {"activations": [f.name for f in functions]}
    alpha = [f.alpha for f in functions if ONNX_ACTIVATION_ARGUMENTS[f.name][0]]
    beta = [f.beta for f in functions if ONNX_ACTIVATION_ARGUMENTS[f.name][1]]
    if alpha:
        attributes["activation_alpha"] = [float(a) for a in alpha]
    if beta:
        attributes["activation_beta"] = [float(b) for b in beta]
    return attributes


# Helpers.


def _facts(cell: str) -> Cell:
    operator(cell)
    return cell_facts(cell)


def _directions(directions_weights) -> list:
    if not isinstance(directions_weights, (list, tuple)) or not 1 <= len(directions_weights) <= 2:
        listed = isinstance(directions_weights, (list, tuple))
        got = len(directions_weights) if listed else type(directions_weights).__name__
        raise ValueError(
            "directions_weights must hold one (kernel, recurrent_kernel, bias) per direction (1, or 2 for a "
            f"Bidirectional layer), got {got}"
        )
    return list(directions_weights)


def _where(index: int, count: int) -> str:
    return "" if count == 1 else ("forward " if index == 0 else "backward ")


def _unpack(weights, *, where: str) -> tuple:
    if not isinstance(weights, (list, tuple)) or len(weights) not in (2, 3):
        got = len(weights) if isinstance(weights, (list, tuple)) else type(weights).__name__
        raise ValueError(f"{where}weights must be (kernel, recurrent_kernel, bias or None), got {got}")
    kernel, recurrent_kernel, *bias = weights
    return kernel, recurrent_kernel, (bias[0] if bias else None)


def _check_keras_shapes(facts: Cell, kernel, recurrent_kernel, bias, *, reset_after: bool, where: str) -> int:
    g = facts.gate_count
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != g * recurrent_kernel.shape[0]:
        raise ValueError(f"{where}recurrent_kernel must be (units, {g} * units), got {recurrent_kernel.shape}")
    u = recurrent_kernel.shape[0]
    if kernel.ndim != 2 or kernel.shape[1] != g * u:
        raise ValueError(f"{where}kernel must be (input_size, {g} * units) = (d, {g * u}), got {kernel.shape}")
    if bias is not None:
        expected = facts.bias_shape(u, reset_after=reset_after)
        if bias.shape != expected:
            hint = ""
            if facts.name == "gru":
                hint = f" for reset_after={reset_after}" + (
                    "; a (2, 3u) bias is reset_after=True" if bias.shape == (2, g * u) else
                    "; a (3u,) bias is reset_after=False" if bias.shape == (g * u,) else ""
                )  # fmt: skip
            raise ValueError(f"{where}bias must be {expected}{hint}, got {bias.shape}")
    return u


def _keras_to_onnx_order(facts: Cell) -> list[int]:
    """For each gate in ONNX's order, where its block is in Keras's order."""
    names = _KERAS_NAME.get(facts.name, {})
    return [facts.gates.index(names.get(gate, gate)) for gate in ONNX_GATES[facts.name]]


def _onnx_to_keras_order(facts: Cell) -> list[int]:
    """For each gate in Keras's order, where its block is in ONNX's order."""
    names = _KERAS_NAME.get(facts.name, {})
    onnx_as_keras = [names.get(gate, gate) for gate in ONNX_GATES[facts.name]]
    return [onnx_as_keras.index(gate) for gate in facts.gates]


def _reorder(array: np.ndarray, order: list[int]) -> np.ndarray:
    """A new C-contiguous array whose gate blocks (along axis 0) come in `order`."""
    blocks = np.split(np.asarray(array), len(order), axis=0)
    return np.ascontiguousarray(np.concatenate([blocks[i] for i in order], axis=0))
