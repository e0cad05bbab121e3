"""Hypothesis strategies for recurrent layers in models, with state, with dropout, and wrapped by keras.layers.RNN.

Like strategies.py, nothing here touches Keras state: each strategy draws NumPy arrays and frozen dataclasses, and the
tests build the Keras objects. Sizes are tiny (at most 4 units, 5 steps, 3 sequences): a model costs more to build
than a layer to call. Padding patterns, drawn per sequence: right-padded (real steps, then padding), left-padded
(padding, then real steps), all-masked, and random.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnncheck.activations import ACTIVATION_NAMES
from rnncheck.cells import MERGE_MODES, SEQUENCE_CELLS
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance.strategies import StackedLayer, float32_arrays

MAX_BATCH, MAX_TIME, MAX_FEATURES, MAX_UNITS = 3, 5, 4, 4
PADDINGS = ("right", "left", "all", "random")
MERGE_MODES_AND_NONE = MERGE_MODES + (None,)
# Every Keras activation the reference has but "exponential": with weights in [-1, 1] it overflows float32 within
# three steps (exp(exp(exp(.)))), and inf - inf compares as NaN whichever side computed it.
BOUNDED_ACTIVATIONS = tuple(name for name in ACTIVATION_NAMES if name != "exponential")


def _check_bounds(**bounds: tuple[int, int]) -> None:
    for name, (low, high) in bounds.items():
        if not 1 <= low <= high:
            raise ValueError(f"{name}: need 1 <= min <= max, got min={low}, max={high}")


def direction_weights(draw, cell: str, *, input_size: int, units: int, use_bias: bool = True, reset_after: bool = True):
    """(kernel, recurrent_kernel, bias or None) of one direction of `cell`, in Keras's layout, in [-1, 1]."""
    gu = cell_facts(cell).gate_count * units
    bias_shape = (2, gu) if cell == "gru" and reset_after else (gu,)
    return (
        draw(float32_arrays((input_size, gu))),
        draw(float32_arrays((units, gu))),
        draw(float32_arrays(bias_shape)) if use_bias else None,
    )


def _recurrent_block(draw, *, input_size: int, max_units: int, bidirectional: bool | None = None) -> StackedLayer:
    cell = draw(st.sampled_from(SEQUENCE_CELLS))
    reset_after = draw(st.booleans()) if cell == "gru" else True
    bidirectional = draw(st.booleans()) if bidirectional is None else bidirectional
    sizes = dict(input_size=input_size, units=draw(st.integers(1, max_units)), use_bias=draw(st.booleans()),
                 reset_after=reset_after)  # fmt: skip
    return StackedLayer(
        cell=cell,
        forward=direction_weights(draw, cell, **sizes),
        backward=direction_weights(draw, cell, **sizes) if bidirectional else None,
        reset_after=reset_after,
        merge_mode=draw(st.sampled_from(MERGE_MODES)) if bidirectional else "concat",
    )


# Padding: which steps of each sequence are real.


def padding_masks(*, batch: int, time: int):
    """(patterns, mask): one padding pattern per sequence (PADDINGS) and the (batch, time) bool mask it gives."""
    return _padding_masks(batch=batch, time=time)


@st.composite
def _padding_masks(draw, *, batch, time):
    patterns, rows = [], []
    for _ in range(batch):
        pattern = draw(st.sampled_from(PADDINGS))
        length = draw(st.integers(1, time))  # real steps of a right- or left-padded sequence
        if pattern == "right":
            row = np.arange(time) < length
        elif pattern == "left":
            row = np.arange(time) >= time - length
        elif pattern == "all":
            row = np.zeros(time, bool)
        else:
            row = draw(hnp.arrays(np.bool_, (time,)))
        patterns.append(pattern)
        rows.append(row)
    return tuple(patterns), np.stack(rows)


# Masks through models: Embedding(mask_zero=True) or Masking(mask_value), then layers, as a model.


@dataclass(frozen=True)
class DenseBlock:
    """TimeDistributed(Dense(units)) between recurrent layers: kernel (input_size, units), bias (units,)."""

    kernel: np.ndarray
    bias: np.ndarray

    @property
    def input_size(self) -> int:
        return self.kernel.shape[0]

    @property
    def output_size(self) -> int:
        return self.kernel.shape[1]

    @property
    def weights(self) -> list[np.ndarray]:
        return [self.kernel, self.bias]


@dataclass(frozen=True)
class MaskedModelCase:
    """A model whose first layer makes the mask: Embedding(vocab, d, mask_zero=True) on token ids (0 pads), or
    Masking(mask_value) on float steps (a step all of whose features equal mask_value pads); then `blocks` in order
    (recurrent layers, plain or Bidirectional, and TimeDistributed(Dense)), every recurrent one below the top returning
    sequences; the top is recurrent and takes return_sequences and return_state."""

    front: str  # "embedding" or "masking"
    inputs: np.ndarray  # embedding: int32 ids (batch, time); masking: float32 (batch, time, d)
    blocks: tuple  # StackedLayer and DenseBlock entries; the last is a StackedLayer
    embeddings: np.ndarray | None = None  # (vocab, d) for the embedding front
    mask_value: float = 0.0  # for the masking front
    return_sequences: bool = False  # of the top layer
    return_state: bool = False  # of the top layer
    paddings: tuple[str, ...] = ()  # the pattern each sequence was drawn with (PADDINGS)

    @property
    def x(self) -> np.ndarray:
        """What the first block sees at the real steps: the embedded ids, or the float steps themselves."""
        return self.embeddings[self.inputs] if self.front == "embedding" else self.inputs

    @property
    def mask(self) -> np.ndarray:
        """The mask the data implies (batch, time): ids != 0, or any feature != mask_value."""
        if self.front == "embedding":
            return self.inputs != 0
        return np.any(self.inputs != np.float32(self.mask_value), axis=-1)

    @property
    def top(self) -> StackedLayer:
        return self.blocks[-1]


def masked_model_cases(
    *,
    front: str | None = None,
    max_depth: int = 3,
    max_batch: int = MAX_BATCH,
    max_time: int = MAX_TIME,
    max_features: int = MAX_FEATURES,
    max_units: int = MAX_UNITS,
    max_vocab: int = 6,
):
    """An Embedding or Masking front (or `front`), 1..max_depth recurrent layers of any cell, each plain or
    Bidirectional (any merge mode that returns one tensor), a TimeDistributed(Dense) or none before each, random
    weights, and one padding pattern per sequence."""
    _check_bounds(depth=(1, max_depth), batch=(1, max_batch), time=(1, max_time), features=(1, max_features),
                  units=(1, max_units), vocab=(2, max_vocab))  # fmt: skip
    if front not in (None, "embedding", "masking"):
        raise ValueError(f"front must be 'embedding', 'masking' or None, got {front!r}")
    return _masked_model_cases(front=front, max_depth=max_depth, max_batch=max_batch, max_time=max_time,
                               max_features=max_features, max_units=max_units, max_vocab=max_vocab)  # fmt: skip


@st.composite
def _masked_model_cases(draw, *, front, max_depth, max_batch, max_time, max_features, max_units, max_vocab):
    front = front or draw(st.sampled_from(("embedding", "masking")))
    batch, time, d = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time)), draw(st.integers(1, max_features))
    paddings, real = draw(padding_masks(batch=batch, time=time))
    embeddings, mask_value = None, 0.0
    if front == "embedding":
        vocab = draw(st.integers(2, max_vocab))
        embeddings = draw(float32_arrays((vocab, d), scale=2.0))
        ids = draw(hnp.arrays(np.int32, (batch, time), elements=st.integers(1, vocab - 1)))
        inputs = np.where(real, ids, 0).astype(np.int32)
    else:
        mask_value = draw(st.sampled_from([0.0, -1.0]) | st.floats(-2.0, 2.0, width=32))
        value = np.float32(mask_value)
        steps = draw(float32_arrays((batch, time, d), scale=2.0))
        # A real step keeps at least one feature off mask_value, or Masking would (rightly) mask it too.
        all_value = np.all(steps == value, axis=-1)
        steps[..., 0] = np.where(all_value, value + np.float32(1.0), steps[..., 0])
        inputs = np.where(real[..., None], steps, value).astype(np.float32)
    blocks, size = [], d
    for _ in range(draw(st.integers(1, max_depth))):
        if draw(st.booleans()):
            k = draw(st.integers(1, max_units))
            dense = DenseBlock(draw(float32_arrays((size, k))), draw(float32_arrays((k,))))
            blocks.append(dense)
            size = dense.output_size
        layer = _recurrent_block(draw, input_size=size, max_units=max_units)
        blocks.append(layer)
        size = layer.output_size
    return MaskedModelCase(
        front=front,
        inputs=inputs,
        blocks=tuple(blocks),
        embeddings=embeddings,
        mask_value=float(mask_value),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        paddings=paddings,
    )


# Symbolic shapes: a layer, a stack or a Bidirectional called on keras.Input, and eagerly.


@dataclass(frozen=True)
class SymbolicCase:
    """A recurrent layer (kind "layer"), a stack of `len(cells)` layers ("stack", a Sequential) or a Bidirectional
    ("bidirectional"), and the keras.Input it is called on: batch and time fixed there, or left open (None)."""

    kind: str
    cells: tuple[str, ...]  # one per layer, bottom first
    units: tuple[int, ...]
    batch: int
    time: int
    input_size: int
    return_sequences: bool = False  # of the top layer
    return_state: bool = False  # of the top layer
    merge_mode: str | None = "concat"  # for "bidirectional"
    fixed_batch: bool = False  # keras.Input(batch_shape=(batch, ...)) rather than shape=(...)
    fixed_time: bool = True  # keras.Input((time, d)) rather than (None, d)


def symbolic_cases(*, max_size: int = 4, max_depth: int = 3):
    """Any kind, cells and sizes 1..max_size, every option that changes a shape, batch and time fixed or open."""
    _check_bounds(size=(1, max_size), depth=(2, max_depth))
    return _symbolic_cases(max_size=max_size, max_depth=max_depth)


@st.composite
def _symbolic_cases(draw, *, max_size, max_depth):
    kind = draw(st.sampled_from(("layer", "stack", "bidirectional")))
    depth = draw(st.integers(2, max_depth)) if kind == "stack" else 1
    small = st.integers(1, max_size)
    return SymbolicCase(
        kind=kind,
        cells=tuple(draw(st.sampled_from(SEQUENCE_CELLS)) for _ in range(depth)),
        units=tuple(draw(small) for _ in range(depth)),
        batch=draw(small),
        time=draw(small),
        input_size=draw(small),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        merge_mode=draw(st.sampled_from(MERGE_MODES_AND_NONE)) if kind == "bidirectional" else "concat",
        fixed_batch=draw(st.booleans()),
        fixed_time=draw(st.booleans()),
    )


# Round trips: a layer with every option drawn, its weights, and a call's inputs.


@dataclass(frozen=True)
class RoundTripCase:
    """A recurrent layer (Bidirectional when merge_mode is not absent) with options drawn, its weights, and a call."""

    cell: str
    x: np.ndarray  # (batch, time, d)
    weights: tuple[np.ndarray, ...]  # what set_weights takes (Bidirectional: forward, then backward)
    options: tuple[tuple[str, object], ...]  # the layer's Keras options as (name, value), sorted
    bidirectional: bool = False
    merge_mode: str | None = "concat"
    mask: np.ndarray | None = None  # (batch, time) bool
    initial_state: tuple[np.ndarray, ...] | None = None  # each (batch, u); Bidirectional: forward's, then backward's

    @property
    def keras_options(self) -> dict:
        return dict(self.options)

    @property
    def units(self) -> int:
        return self.weights[1].shape[0]

    @property
    def input_size(self) -> int:
        return self.x.shape[2]


def round_trip_cases(*, cell: str | None = None, max_batch: int = 2, max_time: int = 4, max_features: int = 3,
                     max_units: int = 3):  # fmt: skip
    """Any cell (or `cell`), plain or Bidirectional (every merge mode and None), and every constructor option that
    changes what a layer computes or returns: activation(s), use_bias, reset_after, unit_forget_bias,
    return_sequences, return_state, go_backwards (plain layers), unroll, zero_output_for_mask, dropout,
    recurrent_dropout, seed;
    with or without a mask and an initial state."""
    _check_bounds(batch=(1, max_batch), time=(1, max_time), features=(1, max_features), units=(1, max_units))
    return _round_trip_cases(cell=cell, max_batch=max_batch, max_time=max_time, max_features=max_features,
                             max_units=max_units)  # fmt: skip


@st.composite
def _round_trip_cases(draw, *, cell, max_batch, max_time, max_features, max_units):
    cell = cell or draw(st.sampled_from(SEQUENCE_CELLS))
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    d, u = draw(st.integers(1, max_features)), draw(st.integers(1, max_units))
    bidirectional = draw(st.booleans())
    options = dict(
        activation=draw(st.sampled_from(BOUNDED_ACTIVATIONS)),
        use_bias=draw(st.booleans()),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        go_backwards=draw(st.booleans()),  # Bidirectional: the layer's own (bidirectional-go-backwards-refused)
        unroll=draw(st.booleans()),
        zero_output_for_mask=draw(st.booleans()),
        dropout=draw(st.sampled_from([0.0, 0.25])),
        recurrent_dropout=draw(st.sampled_from([0.0, 0.5])),
        seed=draw(st.none() | st.integers(0, 2**16)),
    )
    if cell in ("gru", "lstm"):
        options["recurrent_activation"] = draw(st.sampled_from(BOUNDED_ACTIVATIONS))
    if cell == "gru":
        options["reset_after"] = draw(st.booleans())
    if cell == "lstm":
        options["unit_forget_bias"] = draw(st.booleans())
    directions = 2 if bidirectional else 1
    sizes = dict(input_size=d, units=u, use_bias=options["use_bias"], reset_after=options.get("reset_after", True))
    weights = tuple(w for _ in range(directions) for w in direction_weights(draw, cell, **sizes) if w is not None)
    n_states = directions * len(cell_facts(cell).states)
    return RoundTripCase(
        cell=cell,
        x=draw(float32_arrays((batch, time, d), scale=2.0)),
        weights=weights,
        options=tuple(sorted(options.items())),
        bidirectional=bidirectional,
        merge_mode=draw(st.sampled_from(MERGE_MODES_AND_NONE)) if bidirectional else "concat",
        mask=draw(padding_masks(batch=batch, time=time))[1] if draw(st.booleans()) else None,
        initial_state=tuple(draw(float32_arrays((batch, u))) for _ in range(n_states)) if draw(st.booleans()) else None,
    )


# keras.layers.RNN over a list of cells (StackedRNNCells).


@dataclass(frozen=True)
class StackedCellsCase:
    """keras.layers.RNN([cell, cell, ...]) on x: each cell's weights, options and (optionally) initial states."""

    cells: tuple[str, ...]
    x: np.ndarray  # (batch, time, d)
    weights: tuple[tuple, ...]  # per cell: (kernel, recurrent_kernel, bias or None)
    reset_after: tuple[bool, ...]  # per cell (GRU's; True elsewhere)
    return_sequences: bool = False
    go_backwards: bool = False
    mask: np.ndarray | None = None
    initial_state: tuple[tuple[np.ndarray, ...], ...] | None = None  # per cell, its states (h, or h and c)

    @property
    def units(self) -> tuple[int, ...]:
        return tuple(w[1].shape[0] for w in self.weights)


@st.composite
def stacked_cells_cases(draw, *, min_cells: int = 1, max_cells: int = 3, max_batch: int = MAX_BATCH,
                        max_time: int = MAX_TIME, max_features: int = MAX_FEATURES,
                        max_units: int = MAX_UNITS) -> StackedCellsCase:  # fmt: skip
    """min_cells..max_cells cells of any kind and size, random weights, return_sequences, go_backwards, a mask and
    initial states each on or off."""
    _check_bounds(cells=(min_cells, max_cells), batch=(1, max_batch), time=(1, max_time), features=(1, max_features),
                  units=(1, max_units))  # fmt: skip
    batch, time, d = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time)), draw(st.integers(1, max_features))
    cells, weights, reset_after, size = [], [], [], d
    for _ in range(draw(st.integers(min_cells, max_cells))):
        cell = draw(st.sampled_from(SEQUENCE_CELLS))
        mode = draw(st.booleans()) if cell == "gru" else True
        u = draw(st.integers(1, max_units))
        weights.append(direction_weights(draw, cell, input_size=size, units=u, use_bias=draw(st.booleans()),
                                         reset_after=mode))  # fmt: skip
        cells.append(cell)
        reset_after.append(mode)
        size = u
    initial_state = None
    if draw(st.booleans()):
        initial_state = tuple(
            tuple(draw(float32_arrays((batch, w[1].shape[0]))) for _ in cell_facts(c).states)
            for c, w in zip(cells, weights, strict=True)
        )
    return StackedCellsCase(
        cells=tuple(cells),
        x=draw(float32_arrays((batch, time, d), scale=2.0)),
        weights=tuple(weights),
        reset_after=tuple(reset_after),
        return_sequences=draw(st.booleans()),
        go_backwards=draw(st.booleans()),
        mask=draw(padding_masks(batch=batch, time=time))[1] if draw(st.booleans()) else None,
        initial_state=initial_state,
    )


# Stateful layers: a sequence cut into consecutive chunks.


@dataclass(frozen=True)
class StatefulCase:
    """A stateful layer (Bidirectional with merge_mode given) fed x in consecutive chunks along time."""

    cell: str
    x: np.ndarray  # (batch, time, d); batch is the layer's fixed batch size
    forward: tuple  # (kernel, recurrent_kernel, bias or None)
    backward: tuple | None = None  # Bidirectional's second direction
    reset_after: bool = True
    merge_mode: str | None = "concat"
    chunks: tuple[int, ...] = ()  # lengths, summing to time
    return_sequences: bool = False
    go_backwards: bool = False  # Bidirectional: the wrapped layer's (each direction's own is Bidirectional's)
    mask: np.ndarray | None = None  # (batch, time) bool
    states: tuple[np.ndarray, ...] = field(default=())  # states for reset_state(states): each (batch, u)

    @property
    def units(self) -> int:
        return self.forward[1].shape[0]

    @property
    def input_size(self) -> int:
        return self.x.shape[2]

    @property
    def bidirectional(self) -> bool:
        return self.backward is not None

    @property
    def weights(self) -> list[np.ndarray]:
        return [w for direction in (self.forward, self.backward or ()) for w in direction if w is not None]

    @property
    def bounds(self) -> list[tuple[int, int]]:
        """(start, stop) of each chunk along time."""
        stops = np.cumsum(self.chunks).tolist()
        return list(zip([0, *stops[:-1]], stops, strict=True))


def stateful_cases(*, cell: str | None = None, bidirectional: bool | None = None, masks: bool = True,
                   go_backwards: bool = True, max_batch: int = MAX_BATCH, max_time: int = MAX_TIME,
                   max_features: int = 3, max_units: int = 3):  # fmt: skip
    """Any cell (or `cell`), plain or Bidirectional (or as `bidirectional` says; every merge mode and None), the
    sequence cut into 1..time chunks, return_sequences on or off, go_backwards (where go_backwards=True allows it;
    Bidirectional's wrapped layer too) and, with masks=True, a padding pattern per sequence half the time; and states
    to reset to."""
    _check_bounds(batch=(1, max_batch), time=(1, max_time), features=(1, max_features), units=(1, max_units))
    return _stateful_cases(cell=cell, bidirectional=bidirectional, masks=masks, go_backwards=go_backwards,
                           max_batch=max_batch, max_time=max_time, max_features=max_features,
                           max_units=max_units)  # fmt: skip


@st.composite
def _stateful_cases(draw, *, cell, bidirectional, masks, go_backwards, max_batch, max_time, max_features, max_units):
    cell = cell or draw(st.sampled_from(SEQUENCE_CELLS))
    bidirectional = draw(st.booleans()) if bidirectional is None else bidirectional
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    d, u = draw(st.integers(1, max_features)), draw(st.integers(1, max_units))
    reset_after = draw(st.booleans()) if cell == "gru" else True
    sizes = dict(input_size=d, units=u, use_bias=draw(st.booleans()), reset_after=reset_after)
    cuts = sorted(draw(st.sets(st.integers(1, time - 1), max_size=time - 1))) if time > 1 else []
    chunks = tuple(np.diff([0, *cuts, time]).tolist())
    n_states = (2 if bidirectional else 1) * len(cell_facts(cell).states)
    return StatefulCase(
        cell=cell,
        x=draw(float32_arrays((batch, time, d), scale=2.0)),
        forward=direction_weights(draw, cell, **sizes),
        backward=direction_weights(draw, cell, **sizes) if bidirectional else None,
        reset_after=reset_after,
        merge_mode=draw(st.sampled_from(MERGE_MODES_AND_NONE)) if bidirectional else "concat",
        chunks=chunks,
        return_sequences=draw(st.booleans()),
        go_backwards=go_backwards and draw(st.booleans()),  # Bidirectional: the wrapped layer's
        mask=draw(padding_masks(batch=batch, time=time))[1] if masks and draw(st.booleans()) else None,
        states=tuple(draw(float32_arrays((batch, u))) for _ in range(n_states)),
    )


# Dropout: a layer's case, its rates and seed.


@dataclass(frozen=True)
class DropoutCase:
    """A recurrent layer with dropout and recurrent_dropout rates and a seed, and a call's inputs."""

    cell: str
    x: np.ndarray  # (batch, time, d)
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray | None
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    seed: int | None = None
    reset_after: bool = True
    return_sequences: bool = True
    go_backwards: bool = False
    unroll: bool = False
    mask: np.ndarray | None = None
    initial_state: tuple[np.ndarray, ...] | None = None

    @property
    def units(self) -> int:
        return self.recurrent_kernel.shape[0]

    @property
    def input_size(self) -> int:
        return self.kernel.shape[0]

    @property
    def weights(self) -> list[np.ndarray]:
        return [self.kernel, self.recurrent_kernel] + ([] if self.bias is None else [self.bias])

    @property
    def layer_options(self) -> dict:
        """keras_layer()'s options for this case (rnncheck.conformance.layers)."""
        options = dict(
            units=self.units, input_size=self.input_size, weights=self.weights, use_bias=self.bias is not None,
            dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed,
            return_sequences=self.return_sequences, go_backwards=self.go_backwards, unroll=self.unroll,
            return_state=True,
        )  # fmt: skip
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        return options

    @property
    def reference_options(self) -> dict:
        options = dict(return_sequences=self.return_sequences, go_backwards=self.go_backwards, mask=self.mask,
                       initial_state=self.initial_state, return_state=True)  # fmt: skip
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        return options

    @property
    def call_options(self) -> dict:
        options = {}
        if self.initial_state is not None:
            options["initial_state"] = list(self.initial_state)
        if self.mask is not None:
            options["mask"] = self.mask
        return options


rates = st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]) | st.floats(0.0, 1.0)


def dropout_cases(*, cell: str | None = None, dropout=None, recurrent_dropout=None, options: bool = True,
                  zero_recurrent_kernel: bool = False, max_batch: int = MAX_BATCH, max_time: int = MAX_TIME,
                  max_features: int = 3, max_units: int = 3):  # fmt: skip
    """Any cell (or `cell`); dropout and recurrent_dropout drawn from [0, 1] (or from the strategies given); a seed;
    with options=True return_sequences, go_backwards, unroll, a mask and an initial state each on or off; with
    zero_recurrent_kernel=True, U = 0."""
    _check_bounds(batch=(1, max_batch), time=(1, max_time), features=(1, max_features), units=(1, max_units))
    return _dropout_cases(
        cell=cell, dropout=rates if dropout is None else dropout,
        recurrent_dropout=rates if recurrent_dropout is None else recurrent_dropout, options=options,
        zero_recurrent_kernel=zero_recurrent_kernel, max_batch=max_batch, max_time=max_time,
        max_features=max_features, max_units=max_units,
    )  # fmt: skip


@st.composite
def _dropout_cases(draw, *, cell, dropout, recurrent_dropout, options, zero_recurrent_kernel, max_batch, max_time,
                   max_features, max_units):  # fmt: skip
    cell = cell or draw(st.sampled_from(SEQUENCE_CELLS))
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    d, u = draw(st.integers(1, max_features)), draw(st.integers(1, max_units))
    reset_after = draw(st.booleans()) if cell == "gru" else True
    kernel, recurrent_kernel, bias = direction_weights(
        draw, cell, input_size=d, units=u, use_bias=draw(st.booleans()), reset_after=reset_after
    )
    if zero_recurrent_kernel:
        recurrent_kernel = np.zeros_like(recurrent_kernel)
    return DropoutCase(
        cell=cell,
        x=draw(float32_arrays((batch, time, d), scale=2.0)),
        kernel=kernel,
        recurrent_kernel=recurrent_kernel,
        bias=bias,
        dropout=draw(dropout),
        recurrent_dropout=draw(recurrent_dropout),
        seed=draw(st.integers(0, 2**16)),
        reset_after=reset_after,
        return_sequences=not options or draw(st.booleans()),
        go_backwards=options and draw(st.booleans()),
        unroll=options and draw(st.booleans()),
        mask=draw(padding_masks(batch=batch, time=time))[1] if options and draw(st.booleans()) else None,
        initial_state=tuple(draw(float32_arrays((batch, u))) for _ in cell_facts(cell).states)
        if options and draw(st.booleans())
        else None,
    )


# Initial weights: what a layer holds before any set_weights, drawn by keras.utils.set_random_seed(seed).

BIAS_INITIALIZERS = ("zeros", "ones", "random_uniform", "random_normal", "glorot_uniform")  # by Keras's names


@dataclass(frozen=True)
class InitializerCase:
    """A layer to build with its initializers: its sizes, the seed of its draws and the options that set them."""

    cell: str
    input_size: int
    units: int
    seed: int  # keras.utils.set_random_seed(seed) before the layer is built
    bias_initializer: str = "zeros"  # Keras's default
    unit_forget_bias: bool = True  # LSTM only: Keras's default
    reset_after: bool = True  # GRU only

    @property
    def layer_options(self) -> dict:
        """The layer's Keras options: every initializer at its default but bias_initializer."""
        options = dict(units=self.units, bias_initializer=self.bias_initializer)
        if self.cell == "lstm":
            options["unit_forget_bias"] = self.unit_forget_bias
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        return options


def initializer_cases(*, cell: str | None = None, bias_initializers: tuple[str, ...] = ("zeros",),
                      unit_forget_bias: bool | None = None, max_features: int = 8, max_units: int = 8):  # fmt: skip
    """Any vector cell (or `cell`), 1..max_features inputs, 1..max_units units, a seed, bias_initializer drawn from
    `bias_initializers` and, for LSTM, unit_forget_bias drawn (or as given)."""
    _check_bounds(features=(1, max_features), units=(1, max_units))
    unknown = sorted(set(bias_initializers) - set(BIAS_INITIALIZERS))
    if not bias_initializers or unknown:
        raise ValueError(f"bias_initializers: need some of {', '.join(BIAS_INITIALIZERS)}, got {bias_initializers}")
    return _initializer_cases(cell=cell, bias_initializers=tuple(bias_initializers), unit_forget_bias=unit_forget_bias,
                              max_features=max_features, max_units=max_units)  # fmt: skip


@st.composite
def _initializer_cases(draw, *, cell, bias_initializers, unit_forget_bias, max_features, max_units):
    cell = cell or draw(st.sampled_from(SEQUENCE_CELLS))
    return InitializerCase(
        cell=cell,
        input_size=draw(st.integers(1, max_features)),
        units=draw(st.integers(1, max_units)),
        seed=draw(st.integers(0, 2**16)),
        bias_initializer=draw(st.sampled_from(bias_initializers)),
        unit_forget_bias=draw(st.booleans()) if unit_forget_bias is None else unit_forget_bias,
        reset_after=draw(st.booleans()) if cell == "gru" else True,
    )
