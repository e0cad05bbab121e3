"""The recurrent cells rnncheck knows, one module each; this registry is built from them (NumPy, no framework).

                 Keras class    gates (Keras order)   PyTorch module   gates (PyTorch order)   states
    simple       SimpleRNN      h                     nn.RNN           h                       h
    gru          GRU            z, r, h               nn.GRU           r, z, n                 h
    lstm         LSTM           i, f, c, o            nn.LSTM          i, f, g, o              h, c
    convlstm1d   ConvLSTM1D     i, f, c, o            -                -                       h, c   (and 2d, 3d)

Every weight of a cell with G gates and u units (filters) is G*u wide in its last axis, one u-block per gate, in
its framework's gate order. A new cell is a new module here that defines CELL and is listed in _MODULES.
"""

from __future__ import annotations

import importlib

from rnncheck.cells.cell import Cell, Steps
from rnncheck.checks import check_choice

_MODULES = ("simple", "gru", "lstm", "convlstm")
CELLS: dict[str, Cell] = {}
for _module in _MODULES:
    for _cell in importlib.import_module(f"rnncheck.cells.{_module}").CELLS:
        CELLS[_cell.name] = _cell

CELL_NAMES = tuple(CELLS)
SEQUENCE_CELLS = tuple(name for name, c in CELLS.items() if c.rank == 0)  # (batch, time, features) in, (batch, u)
MERGE_MODES = ("concat", "sum", "ave", "mul")  # Bidirectional's merge modes that return one tensor


def cell(name: str) -> Cell:
    """The facts about cell `name`, or a ValueError naming the cells there are."""
    return CELLS[check_choice("cell", name, CELL_NAMES)]


__all__ = ["CELLS", "CELL_NAMES", "SEQUENCE_CELLS", "MERGE_MODES", "Cell", "Steps", "cell"]
