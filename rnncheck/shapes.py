"""Output and state shapes of Keras recurrent layers, by rule (pure Python, no framework).

A layer with u units over x of shape (batch, time, d) returns
    (batch, u)           the last step's output, or
    (batch, time, u)     every step's output with return_sequences=True,
and with return_state=True its final states after it: one (batch, u) for SimpleRNN and GRU,
two for LSTM (h and c). Bidirectional doubles the last axis for merge_mode="concat"
and returns the forward states, then the backward ones.
"""

from __future__ import annotations

from rnncheck.cells import MERGE_MODES
from rnncheck.cells import cell as cell_facts
from rnncheck.checks import check_choice, check_size


def output_shapes(
    cell: str,
    *,
    batch: int,
    time: int,
    units: int,
    return_sequences: bool = False,
    return_state: bool = False,
    bidirectional: bool = False,
    merge_mode: str = "concat",
) -> list[tuple[int, ...]]:
    """Shapes of what the layer returns: [output] or, with return_state, [output, *states]."""
    states = len(cell_facts(cell).states)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    b, t, u = check_size("batch", batch), check_size("time", time), check_size("units", units)
    size = 2 * u if bidirectional and merge_mode == "concat" else u
    output = (b, t, size) if return_sequences else (b, size)
    if not return_state:
        return [output]
    directions = 2 if bidirectional else 1
    return [output] + [(b, u)] * (states * directions)
