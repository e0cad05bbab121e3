"""Hypothesis strategies, built once for the whole suite. None of them touches Keras state."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnncheck.params import CELLS, GATES, MERGE_MODES
from rnncheck.shapes import STATES

cells = st.sampled_from(CELLS)
merge_modes = st.sampled_from(MERGE_MODES)
sizes = st.integers(min_value=1, max_value=512)

# Everything a size argument must refuse: zero, negatives, floats (even whole ones), bools, strings, None.
invalid_sizes = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
)


@dataclass(frozen=True)
class LayerSpec:
    """A recurrent layer, or a stack of them (one entry of `units` per layer), on `input_size` features."""

    cell: str
    input_size: int
    units: tuple[int, ...]
    use_bias: bool = True
    reset_after: bool = True
    bidirectional: bool = False
    merge_mode: str = "concat"

    @property
    def options(self) -> dict:
        keys = ("use_bias", "reset_after", "bidirectional", "merge_mode")
        return {key: getattr(self, key) for key in keys}


@st.composite
def layer_specs(draw, *, cell: str | None = None, depth: tuple[int, int] = (1, 1)) -> LayerSpec:
    """Any cell (or `cell`), with or without bias, both GRU modes, plain or bidirectional, depth layers."""
    return LayerSpec(
        cell=cell or draw(cells),
        input_size=draw(sizes),
        units=tuple(draw(st.lists(sizes, min_size=depth[0], max_size=depth[1]))),
        use_bias=draw(st.booleans()),
        reset_after=draw(st.booleans()),
        bidirectional=draw(st.booleans()),
        merge_mode=draw(merge_modes),
    )


@dataclass(frozen=True)
class SequenceCase:
    """Inputs and weights for one recurrent layer, with the Keras call options to use."""

    cell: str
    x: np.ndarray  # (batch, time, d)
    kernel: np.ndarray  # (d, G*u)
    recurrent_kernel: np.ndarray  # (u, G*u)
    bias: np.ndarray | None  # (G*u,), or (2, 3u) for GRU with reset_after
    reset_after: bool = True
    return_sequences: bool = False
    go_backwards: bool = False
    initial_state: tuple[np.ndarray, ...] | None = None  # each (batch, u)
    mask: np.ndarray | None = None  # (batch, time) bool

    @property
    def units(self) -> int:
        return self.recurrent_kernel.shape[0]

    @property
    def weights(self) -> list[np.ndarray]:
        return [self.kernel, self.recurrent_kernel] + ([] if self.bias is None else [self.bias])

    @property
    def call_options(self) -> dict:
        """Options of the call (not of the layer), as Keras takes them."""
        options = {}
        if self.initial_state is not None:
            options["initial_state"] = list(self.initial_state)
        if self.mask is not None:
            options["mask"] = self.mask
        return options


def float32_arrays(shape, scale: float = 1.0):
    return hnp.arrays(np.float32, shape, elements=st.floats(-scale, scale, width=32))


@st.composite
def sequence_cases(draw, *, cell: str | None = None, max_time: int = 6, options: bool = True) -> SequenceCase:
    """Random small sizes (time may be 1), random weights, and every Keras option drawn on or off."""
    cell = cell or draw(cells)
    batch, time = draw(st.integers(1, 4)), draw(st.integers(1, max_time))
    d, u = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    g = GATES[cell]
    reset_after = draw(st.booleans()) if cell == "gru" else True
    bias_shape = (2, g * u) if cell == "gru" and reset_after else (g * u,)
    use_bias = draw(st.booleans()) if options else True
    return SequenceCase(
        cell=cell,
        x=draw(float32_arrays((batch, time, d), scale=2.0)),
        kernel=draw(float32_arrays((d, g * u))),
        recurrent_kernel=draw(float32_arrays((u, g * u))),
        bias=draw(float32_arrays(bias_shape)) if use_bias else None,
        reset_after=reset_after,
        return_sequences=draw(st.booleans()),
        go_backwards=options and draw(st.booleans()),
        initial_state=tuple(draw(float32_arrays((batch, u))) for _ in range(STATES[cell]))
        if options and draw(st.booleans())
        else None,
        mask=draw(hnp.arrays(np.bool_, (batch, time))) if options and draw(st.booleans()) else None,
    )
