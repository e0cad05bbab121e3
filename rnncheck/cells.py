"""The facts about each recurrent cell, in one table (pure Python).

                 Keras class   gates (Keras order)   PyTorch module   gates (PyTorch order)   states
    simple       SimpleRNN     h                     nn.RNN           h                       h
    gru          GRU           z, r, h               nn.GRU           r, z, n                 h
    lstm         LSTM          i, f, c, o            nn.LSTM          i, f, g, o              h, c

Every weight matrix of a cell with G gates and u units is G*u wide, one u-block per gate, in
its framework's gate order.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnncheck.checks import check_choice


@dataclass(frozen=True)
class Cell:
    name: str  # how rnncheck names it: "simple", "gru", "lstm"
    keras_class: str  # keras.layers.<keras_class>
    torch_class: str  # torch.nn.<torch_class>
    keras_gates: tuple[str, ...]  # u-blocks of Keras's kernel, in order
    torch_gates: tuple[str, ...]  # u-blocks of PyTorch's weight_ih, in order
    states: tuple[str, ...]  # what return_state gives after the output

    @property
    def gates(self) -> int:
        return len(self.keras_gates)


CELLS = {
    "simple": Cell("simple", "SimpleRNN", "RNN", ("h",), ("h",), ("h",)),
    "gru": Cell("gru", "GRU", "GRU", ("z", "r", "h"), ("r", "z", "n"), ("h",)),
    "lstm": Cell("lstm", "LSTM", "LSTM", ("i", "f", "c", "o"), ("i", "f", "g", "o"), ("h", "c")),
}
CELL_NAMES = tuple(CELLS)
MERGE_MODES = ("concat", "sum", "ave", "mul")  # Bidirectional's merge modes that return one tensor
FRAMEWORKS = ("keras", "torch")


def cell(name: str) -> Cell:
    """The facts about cell `name`, or a ValueError naming the cells there are."""
    return CELLS[check_choice("cell", name, CELL_NAMES)]
