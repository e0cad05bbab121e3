"""Output and state shapes of Keras recurrent layers, by rule (pure Python, no framework).

A layer with u units over x of shape (batch, time, d) returns
    (batch, u)           the last step's output, or
    (batch, time, u)     every step's output with return_sequences=True,
and with return_state=True its final states after it: one (batch, u) for SimpleRNN and GRU,
two for LSTM (h and c). Bidirectional doubles the last axis for merge_mode="concat"
and returns the forward states, then the backward ones.

ConvLSTMnD over x of shape (batch, time, *spatial, channels) returns (batch, *spatial_out, filters), with time
after batch for return_sequences; each axis of spatial_out is rnncheck.cells.convlstm.conv_output_size's
(ceil(n / s) with padding="same", floor((n - d(k - 1) - 1) / s) + 1 with "valid"); channels_first puts the channels
(filters) right after time (after batch for the states).
"""

from __future__ import annotations

from collections.abc import Sequence

from rnncheck.cells import MERGE_MODES
from rnncheck.cells import cell as cell_facts
from rnncheck.cells.convlstm import output_spatial
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


def conv_output_shapes(
    cell: str,
    *,
    batch: int,
    time: int,
    spatial: Sequence[int],
    filters: int,
    kernel_size,
    strides=1,
    padding: str = "valid",
    dilation_rate=1,
    data_format: str = "channels_last",
    return_sequences: bool = False,
    return_state: bool = False,
) -> list[tuple[int, ...]]:
    """Shapes of what ConvLSTMnD returns: [output] or, with return_state, [output, h, c]."""
    facts = cell_facts(cell)
    if not facts.rank or len(spatial) != facts.rank:
        raise ValueError(f"{cell}: spatial must be {facts.rank or 'no'} sizes for a convolutional cell, got {spatial}")
    check_choice("padding", padding, ("valid", "same"))
    check_choice("data_format", data_format, ("channels_last", "channels_first"))
    b, t, f = check_size("batch", batch), check_size("time", time), check_size("filters", filters)
    out = output_spatial(
        [check_size("spatial", n) for n in spatial],
        kernel_size=kernel_size, strides=strides, padding=padding, dilation_rate=dilation_rate,
    )  # fmt: skip
    state = (b, f, *out) if data_format == "channels_first" else (b, *out, f)
    output = (state[0], t, *state[1:]) if return_sequences else state
    return [output, state, state] if return_state else [output]
