"""Hypothesis strategies, built once for the whole suite. None of them touches Keras state.

Bounds are keyword arguments, checked when the strategy is built (before any draw); an option is drawn only where
it can matter (reset_after for GRU, merge_mode for a Bidirectional layer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnncheck.activations import ACTIVATION_NAMES
from rnncheck.cells import CELLS, MERGE_MODES, SEQUENCE_CELLS
from rnncheck.cells import cell as cell_facts

cells = st.sampled_from(SEQUENCE_CELLS)  # the cells over (batch, time, features): every property but ConvLSTM's
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


def _check_bounds(**bounds: tuple[int, int]) -> None:
    for name, (low, high) in bounds.items():
        if not 1 <= low <= high:
            raise ValueError(f"{name}: need 1 <= min <= max, got min={low}, max={high}")


def _gru_option(draw, cell: str) -> bool:
    """reset_after: drawn for GRU, where it changes the layer; True (Keras's default) otherwise."""
    return draw(st.booleans()) if cell == "gru" else True


def _merge_mode(draw, bidirectional: bool) -> str:
    return draw(merge_modes) if bidirectional else "concat"


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

    @property
    def cell_options(self) -> dict:
        """The options a cell takes (bidirectional and merge_mode belong to the layer around it)."""
        return {"use_bias": self.use_bias, "reset_after": self.reset_after}


def layer_specs(*, cell: str | None = None, min_depth: int = 1, max_depth: int = 1):
    """Any cell (or `cell`), with or without bias, both GRU modes, plain or bidirectional, sizes 1-512."""
    _check_bounds(depth=(min_depth, max_depth))
    return _layer_specs(cell=cell, min_depth=min_depth, max_depth=max_depth)


@st.composite
def _layer_specs(draw, *, cell, min_depth, max_depth) -> LayerSpec:
    cell = cell or draw(cells)
    bidirectional = draw(st.booleans())
    return LayerSpec(
        cell=cell,
        input_size=draw(sizes),
        units=tuple(draw(st.lists(sizes, min_size=min_depth, max_size=max_depth))),
        use_bias=draw(st.booleans()),
        reset_after=_gru_option(draw, cell),
        bidirectional=bidirectional,
        merge_mode=_merge_mode(draw, bidirectional),
    )


@dataclass(frozen=True)
class ShapeCase:
    """A layer's sizes and the options that change what it returns."""

    cell: str
    batch: int
    time: int
    input_size: int
    units: int
    return_sequences: bool = False
    return_state: bool = False
    bidirectional: bool = False
    merge_mode: str = "concat"

    @property
    def layer_options(self) -> dict:
        keys = ("return_sequences", "return_state", "bidirectional", "merge_mode")
        return {key: getattr(self, key) for key in keys}


def shape_cases(*, max_size: int = 8):
    """Batch, time, input size and units from 1 to max_size, and every option that changes a shape."""
    _check_bounds(size=(1, max_size))
    return _shape_cases(max_size=max_size)


@st.composite
def _shape_cases(draw, *, max_size) -> ShapeCase:
    small = st.integers(min_value=1, max_value=max_size)
    bidirectional = draw(st.booleans())
    return ShapeCase(
        cell=draw(cells),
        batch=draw(small),
        time=draw(small),
        input_size=draw(small),
        units=draw(small),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        bidirectional=bidirectional,
        merge_mode=_merge_mode(draw, bidirectional),
    )


@dataclass(frozen=True)
class SequenceCase:
    """Inputs and weights for one recurrent layer, with the Keras options to use."""

    cell: str
    x: np.ndarray  # (batch, time, d)
    kernel: np.ndarray  # (d, G*u)
    recurrent_kernel: np.ndarray  # (u, G*u)
    bias: np.ndarray | None  # (G*u,), or (2, 3u) for GRU with reset_after
    reset_after: bool = True
    return_sequences: bool = False
    go_backwards: bool = False
    initial_state: tuple[np.ndarray, ...] | None = None  # each (batch, u), or ConvLSTM's (batch, *spatial_out, u)
    mask: np.ndarray | None = None  # (batch, time) bool
    # The cell's other options as (name, value): ConvLSTM's strides...
    cell_options: tuple[tuple[str, object], ...] = ()

    @property
    def units(self) -> int:
        return self.recurrent_kernel.shape[-2]

    @property
    def input_size(self) -> int:
        return self.kernel.shape[-2]

    @property
    def spatial(self) -> tuple[int, ...]:
        """A ConvLSTM step's spatial sizes; () for the other cells."""
        rank = cell_facts(self.cell).rank
        if not rank:
            return ()
        first = dict(self.cell_options).get("data_format") == "channels_first"
        return self.x.shape[3:] if first else self.x.shape[2:-1]

    @property
    def weights(self) -> list[np.ndarray]:
        return [self.kernel, self.recurrent_kernel] + ([] if self.bias is None else [self.bias])

    @property
    def layer_options(self) -> dict:
        """What keras_layer() needs to build this case's layer (Keras's own option names)."""
        options = dict(
            units=self.units,
            input_size=self.input_size,
            weights=self.weights,
            use_bias=self.bias is not None,
            return_sequences=self.return_sequences,
            go_backwards=self.go_backwards,
            **dict(self.cell_options),
        )
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        rank = cell_facts(self.cell).rank
        if rank:
            options.update(kernel_size=self.kernel.shape[:rank], spatial=self.spatial)
        return options

    @property
    def reference_options(self) -> dict:
        """The same options for rnncheck.reference, call options included."""
        options = dict(
            return_sequences=self.return_sequences,
            go_backwards=self.go_backwards,
            initial_state=self.initial_state,
            mask=self.mask,
            **dict(self.cell_options),
        )
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        return options

    @property
    def call_options(self) -> dict:
        """Options of the call (not of the layer), as Keras takes them."""
        options = {}
        if self.initial_state is not None:
            options["initial_state"] = list(self.initial_state)
        if self.mask is not None:
            options["mask"] = self.mask
        return options


def float32_arrays(shape, *, scale: float = 1.0):
    """float32 arrays of `shape` with elements in [-scale, scale]."""
    return hnp.arrays(np.float32, shape, elements=st.floats(-scale, scale, width=32))


def sequence_cases(
    *,
    cell: str | None = None,
    max_batch: int = 4,
    max_time: int = 6,
    max_input_size: int = 6,
    max_units: int = 6,
    options: bool = True,
    activations: tuple[str, ...] = (),
):
    """Random small sizes (time may be 1), random weights and, with options=True, every Keras option on or off;
    with `activations`, the cell's activation (and recurrent_activation, where it has one) drawn from them."""
    _check_bounds(batch=(1, max_batch), time=(1, max_time), input_size=(1, max_input_size), units=(1, max_units))
    unknown = sorted(set(activations) - set(ACTIVATION_NAMES))
    if unknown:
        known = ", ".join(ACTIVATION_NAMES)
        raise ValueError(f"activations: the reference has no {', '.join(unknown)}; it has {known}")
    return _sequence_cases(
        cell=cell, max_batch=max_batch, max_time=max_time, max_input_size=max_input_size, max_units=max_units,
        options=options, activations=tuple(activations),
    )  # fmt: skip


@st.composite
def _sequence_cases(
    draw, *, cell, max_batch, max_time, max_input_size, max_units, options, activations
) -> SequenceCase:
    cell = cell or draw(cells)
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    d, u = draw(st.integers(1, max_input_size)), draw(st.integers(1, max_units))
    facts = cell_facts(cell)
    gu = facts.gate_count * u
    reset_after = _gru_option(draw, cell)
    use_bias = draw(st.booleans()) if options else True
    bias_shape = facts.bias_shape(u, reset_after=reset_after)
    cell_options = ()
    if activations:
        cell_options = (("activation", draw(st.sampled_from(activations), label="activation")),)
        if "recurrent_activation" in facts.options:
            cell_options += (("recurrent_activation", draw(st.sampled_from(activations), label="recurrent")),)
    return SequenceCase(
        cell=cell,
        x=draw(float32_arrays((batch, time, d), scale=2.0)),
        kernel=draw(float32_arrays((d, gu))),
        recurrent_kernel=draw(float32_arrays((u, gu))),
        bias=draw(float32_arrays(bias_shape)) if use_bias else None,
        reset_after=reset_after,
        return_sequences=draw(st.booleans()),
        go_backwards=options and draw(st.booleans()),
        initial_state=tuple(draw(float32_arrays((batch, u))) for _ in facts.states)
        if options and draw(st.booleans())
        else None,
        mask=draw(hnp.arrays(np.bool_, (batch, time))) if options and draw(st.booleans()) else None,
        cell_options=cell_options,
    )


def past_changes(*, max_batch: int = 3, min_time: int = 2, max_time: int = 8, max_input_size: int = 4):
    """Inputs x (batch, time >= 2, d) and a copy whose steps before the last differ by 1."""
    _check_bounds(batch=(1, max_batch), time=(min_time, max_time), input_size=(1, max_input_size))
    if min_time < 2:
        raise ValueError(f"time: need min_time >= 2 (a past before the last step), got {min_time}")
    return _past_changes(max_batch=max_batch, min_time=min_time, max_time=max_time, max_input_size=max_input_size)


@st.composite
def _past_changes(draw, *, max_batch, min_time, max_time, max_input_size):
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(min_time, max_time))
    x = draw(float32_arrays((batch, time, draw(st.integers(1, max_input_size)))))
    changed = x.copy()
    changed[:, :-1] += np.float32(1.0)
    return x, changed


# PyTorch: nn.RNN / nn.GRU / nn.LSTM options, and stacks of alike layers with weights (what one torch module holds).

NONLINEARITIES = ("tanh", "relu")  # nn.RNN's nonlinearity, Keras SimpleRNN's activation of the same name


@dataclass(frozen=True)
class TorchSpec:
    """A PyTorch recurrent module's constructor arguments."""

    cell: str
    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool = True
    bidirectional: bool = False
    proj_size: int = 0  # nn.LSTM only
    nonlinearity: str = "tanh"  # nn.RNN only

    @property
    def formula_options(self) -> dict:
        """Keyword arguments of rnncheck.params.torch_params."""
        keys = ("input_size", "hidden_size", "num_layers", "bias", "bidirectional", "proj_size")
        return {key: getattr(self, key) for key in keys}

    @property
    def module_options(self) -> dict:
        """Keyword arguments of torch.nn.<torch_class> after (input_size, hidden_size): only those it takes."""
        options = dict(num_layers=self.num_layers, bias=self.bias, bidirectional=self.bidirectional)
        if self.cell == "simple":
            options["nonlinearity"] = self.nonlinearity
        if self.cell == "lstm":
            options["proj_size"] = self.proj_size
        return options


def torch_specs(*, cell: str | None = None, max_size: int = 512, max_layers: int = 3):
    """Any cell (or `cell`), sizes 1..max_size, 1..max_layers layers, bias on/off, bidirectional or not;
    nonlinearity for nn.RNN, proj_size (0 half the time, else 1..hidden_size-1) for nn.LSTM."""
    _check_bounds(size=(1, max_size), layers=(1, max_layers))
    if cell is not None:
        cell_facts(cell)
    return _torch_specs(cell=cell, max_size=max_size, max_layers=max_layers)


@st.composite
def _torch_specs(draw, *, cell, max_size, max_layers) -> TorchSpec:
    cell = cell or draw(cells)
    hidden_size = draw(st.integers(1, max_size))
    proj_size = 0
    if cell == "lstm" and hidden_size > 1:
        proj_size = draw(st.one_of(st.just(0), st.integers(1, hidden_size - 1)))
    return TorchSpec(
        cell=cell,
        input_size=draw(st.integers(1, max_size)),
        hidden_size=hidden_size,
        num_layers=draw(st.integers(1, max_layers)),
        bias=draw(st.booleans()),
        bidirectional=draw(st.booleans()),
        proj_size=proj_size,
        nonlinearity=draw(st.sampled_from(NONLINEARITIES)) if cell == "simple" else "tanh",
    )


@dataclass(frozen=True)
class TorchStackCase:
    """Inputs, Keras weights and initial states for a stack of alike recurrent layers, the stack one torch module is."""

    cell: str
    x: np.ndarray  # (batch, time, d)
    weights: tuple[tuple[np.ndarray, ...], ...]  # per layer, what set_weights takes (Bidirectional: forward, backward)
    use_bias: bool = True
    bidirectional: bool = False
    activation: str = "tanh"  # SimpleRNN's; GRU and LSTM use tanh
    # Per layer, as Keras's call takes it: the forward states (h, or h and c), then the backward ones; each
    # (batch, u), h (batch, proj_size) with a projection.
    initial_state: tuple[tuple[np.ndarray, ...], ...] | None = None
    # An LSTM's proj_size p > 0 (PyTorch's; Keras has none): per layer, each direction's projection P (u, p), in
    # the reference's layout (PyTorch's weight_hr is P^T); each recurrent_kernel is then (p, 4u).
    projections: tuple[tuple[np.ndarray, ...], ...] | None = None

    @property
    def units(self) -> int:
        return self.weights[0][0].shape[-1] // cell_facts(self.cell).gate_count

    @property
    def proj_size(self) -> int:
        return 0 if self.projections is None else self.projections[0][0].shape[1]

    @property
    def width(self) -> int:
        """Each direction's output (and h) width: proj_size, or units without a projection."""
        return self.proj_size or self.units

    @property
    def num_layers(self) -> int:
        return len(self.weights)

    @property
    def input_size(self) -> int:
        return self.x.shape[2]

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def layer_options(self, k: int) -> dict:
        """What keras_layer() needs to build layer k, returning its whole sequence and its final states."""
        options = dict(
            units=self.units,
            input_size=self.input_size if k == 0 else self.directions * self.units,
            weights=list(self.weights[k]),
            use_bias=self.use_bias,
            bidirectional=self.bidirectional,
            return_sequences=True,
            return_state=True,
        )
        if self.cell == "simple":
            options["activation"] = self.activation
        return options


def torch_stack_cases(
    *,
    cell: str | None = None,
    max_batch: int = 3,
    max_time: int = 5,
    max_input_size: int = 5,
    max_units: int = 5,
    max_layers: int = 3,
    nonlinearities: tuple[str, ...] = NONLINEARITIES,
    projections: bool = False,
):
    """Random small sizes, 1..max_layers alike layers, bias on/off, bidirectional or not, with or without initial
    states, random weights (GRU: Keras's reset_after=True, the only GRU PyTorch has); with projections=True an
    LSTM draws a proj_size too (0 to units - 1), which only PyTorch's own LSTM has."""
    _check_bounds(
        batch=(1, max_batch), time=(1, max_time), input_size=(1, max_input_size), units=(1, max_units),
        layers=(1, max_layers),
    )  # fmt: skip
    if not nonlinearities or not set(nonlinearities) <= set(NONLINEARITIES):
        raise ValueError(f"nonlinearities: need a non-empty subset of {NONLINEARITIES}, got {nonlinearities!r}")
    if cell is not None:
        cell_facts(cell)
    return _torch_stack_cases(
        cell=cell, max_batch=max_batch, max_time=max_time, max_input_size=max_input_size, max_units=max_units,
        max_layers=max_layers, nonlinearities=tuple(nonlinearities), projections=projections,
    )  # fmt: skip


@st.composite
def _torch_stack_cases(
    draw, *, cell, max_batch, max_time, max_input_size, max_units, max_layers, nonlinearities, projections
) -> TorchStackCase:
    cell = cell or draw(cells)
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    d, u = draw(st.integers(1, max_input_size)), draw(st.integers(1, max_units))
    num_layers, use_bias, bidirectional = draw(st.integers(1, max_layers)), draw(st.booleans()), draw(st.booleans())
    p = draw(st.integers(0, u - 1), label="proj_size") if projections and cell_facts(cell).projects else 0
    width, directions = p or u, 2 if bidirectional else 1
    weights, projected = [], []
    for k in range(num_layers):
        sizes = dict(input_size=d if k == 0 else directions * width, units=u, use_bias=use_bias, reset_after=True)
        directions_weights = [_direction_weights(draw, cell, **sizes, recurrent_size=width) for _ in range(directions)]
        weights.append(tuple(w for direction in directions_weights for w in direction if w is not None))
        if p:
            projected.append(tuple(draw(float32_arrays((u, p)), label="projection") for _ in range(directions)))
    initial_state = None
    if draw(st.booleans()):
        widths = (width, u)[: len(cell_facts(cell).states)]  # h (batch, p or u), an LSTM's c (batch, u)
        initial_state = tuple(
            tuple(draw(float32_arrays((batch, w))) for _ in range(directions) for w in widths)
            for _ in range(num_layers)
        )
    return TorchStackCase(
        cell=cell,
        x=draw(float32_arrays((batch, time, d), scale=2.0)),
        weights=tuple(weights),
        use_bias=use_bias,
        bidirectional=bidirectional,
        activation=draw(st.sampled_from(nonlinearities)) if cell == "simple" else "tanh",
        initial_state=initial_state,
        projections=tuple(projected) if p else None,
    )


def torch_cases_with_bias_hh(**bounds):
    """(case, bias_hh): a torch_stack_cases(**bounds) case and, where it has biases, a random value for each of
    PyTorch's bias_hh_l{k}[_reverse] vectors, which Keras's SimpleRNN and LSTM have no counterpart of."""
    return _torch_cases_with_bias_hh(torch_stack_cases(**bounds))


@st.composite
def _torch_cases_with_bias_hh(draw, cases) -> tuple[TorchStackCase, dict[str, np.ndarray]]:
    case = draw(cases)
    gates_times_units = cell_facts(case.cell).gate_count * case.units
    names = [f"bias_hh_l{k}{suffix}" for k in range(case.num_layers) for suffix in ("", "_reverse")[: case.directions]]
    values = {name: draw(float32_arrays((gates_times_units,)), label=name) for name in names} if case.use_bias else {}
    return case, values


# Gradients: a loss gradient for a case's output, and SimpleRNN cases for the Jacobian dh_T/dh_t.


@dataclass(frozen=True)
class GradientCase:
    """A sequence case and dL/d(output) for its layer: (batch, time, u) with return_sequences, else (batch, u)."""

    case: SequenceCase
    d_output: np.ndarray
    zero_output_for_mask: bool = False  # Keras's option: a masked step outputs zeros instead of repeating

    @property
    def options(self) -> dict:
        """The case's reference options, and zero_output_for_mask where it is set."""
        extra = {"zero_output_for_mask": True} if self.zero_output_for_mask else {}
        return {**self.case.reference_options, **extra}


def gradient_cases(*, cell: str | None = None, options: bool = True, **bounds):
    """sequence_cases(cell=..., options=..., **bounds), a d_output in [-1, 1] of its output's shape and,
    where the case has a mask, zero_output_for_mask on or off."""
    return _gradient_cases(sequence_cases(cell=cell, options=options, **bounds))


@st.composite
def _gradient_cases(draw, cases) -> GradientCase:
    case = draw(cases)
    batch, time, _ = case.x.shape
    shape = (batch, time, case.units) if case.return_sequences else (batch, case.units)
    zero_output_for_mask = case.mask is not None and draw(st.booleans())
    return GradientCase(case, draw(float32_arrays(shape)), zero_output_for_mask)


def _check_norm(max_norm) -> None:
    if not 0 < max_norm < float("inf"):
        raise ValueError(f"max_norm: need a finite number > 0, got {max_norm!r}")


def jacobian_cases(
    *, max_batch: int = 3, max_time: int = 6, max_input_size: int = 4, max_units: int = 6, max_norm: float | None = None
):
    """A SimpleRNN case with a random initial state and no other option.

    With max_norm, the recurrent kernel U is rescaled so that ||U||_2 is drawn from (0, max_norm].
    """
    if max_norm is not None:
        _check_norm(max_norm)
    cases = sequence_cases(
        cell="simple", max_batch=max_batch, max_time=max_time, max_input_size=max_input_size, max_units=max_units,
        options=False,
    )  # fmt: skip
    return _jacobian_cases(cases, max_norm=max_norm)


@st.composite
def _jacobian_cases(draw, cases, *, max_norm) -> SequenceCase:
    case = draw(cases)
    recurrent_kernel = case.recurrent_kernel  # (u, u)
    norm = np.linalg.norm(recurrent_kernel.astype(np.float64), ord=2)
    if max_norm is not None and norm > 0:
        target = draw(st.floats(min_value=0.0, max_value=max_norm, exclude_min=True))
        recurrent_kernel = (recurrent_kernel * (target / norm)).astype(np.float32)
    return SequenceCase(
        cell="simple",
        x=case.x,
        kernel=case.kernel,
        recurrent_kernel=recurrent_kernel,
        bias=case.bias,
        initial_state=(draw(float32_arrays((case.x.shape[0], case.units))),),
    )


def resting_cases(
    *, max_batch: int = 2, max_time: int = 6, max_input_size: int = 4, max_units: int = 6, max_norm: float = 2.0
):
    """A SimpleRNN at rest (x = 0, b = 0, h_0 = 0) with U = rho Q, Q orthogonal and rho in (0, max_norm]."""
    _check_bounds(batch=(1, max_batch), time=(1, max_time), input_size=(1, max_input_size), units=(1, max_units))
    _check_norm(max_norm)
    return _resting_cases(
        max_batch=max_batch, max_time=max_time, max_input_size=max_input_size, max_units=max_units, max_norm=max_norm
    )


@st.composite
def _resting_cases(draw, *, max_batch, max_time, max_input_size, max_units, max_norm) -> SequenceCase:
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    d, u = draw(st.integers(1, max_input_size)), draw(st.integers(1, max_units))
    orthogonal, _ = np.linalg.qr(draw(float32_arrays((u, u))).astype(np.float64))  # orthogonal even if singular
    rho = draw(st.floats(min_value=0.0, max_value=max_norm, exclude_min=True))
    return SequenceCase(
        cell="simple",
        x=np.zeros((batch, time, d), np.float32),
        kernel=draw(float32_arrays((d, u))),
        recurrent_kernel=(rho * orthogonal).astype(np.float32),
        bias=np.zeros(u, np.float32),
        initial_state=(np.zeros((batch, u), np.float32),),
    )


def with_start_step(cases):
    """(case, t): a case from `cases` and a step t in 0..T-1 of its sequence (t = T would run no step)."""
    return _with_start_step(cases)


@st.composite
def _with_start_step(draw, cases) -> tuple[SequenceCase, int]:
    case = draw(cases)
    return case, draw(st.integers(0, case.x.shape[1] - 1), label="t")


def lstm_cases_without_recurrence(**bounds):
    """An LSTM case (sequence_cases(**bounds), no option) with U = 0, so the gates read x only, and a random
    initial state (h_0, c_0)."""
    return _lstm_cases_without_recurrence(sequence_cases(cell="lstm", options=False, **bounds))


@st.composite
def _lstm_cases_without_recurrence(draw, cases) -> SequenceCase:
    case = draw(cases)
    shape = (case.x.shape[0], case.units)  # (batch, u)
    return SequenceCase(
        cell="lstm",
        x=case.x,
        kernel=case.kernel,
        recurrent_kernel=np.zeros_like(case.recurrent_kernel),
        bias=case.bias,
        initial_state=(draw(float32_arrays(shape)), draw(float32_arrays(shape))),  # (h_0, c_0)
    )


@dataclass(frozen=True)
class SoftmaxHeadCase:
    """A recurrent layer's case under Dense(classes, softmax) with a zero bias: the head's kernel, a label per
    sequence, and the batch size to feed them in."""

    case: SequenceCase
    head_kernel: np.ndarray  # (u, classes)
    labels: np.ndarray  # (batch,) int64 in 0..classes-1
    batch_size: int

    @property
    def classes(self) -> int:
        return self.head_kernel.shape[1]


def softmax_head_cases(*, max_batch: int = 6, max_classes: int = 10, max_batch_size: int = 6):
    """sequence_cases(options=False, max_batch=max_batch) under a softmax head of 2..max_classes classes."""
    _check_bounds(batch=(1, max_batch), batch_size=(1, max_batch_size))
    if max_classes < 2:
        raise ValueError(f"max_classes: need at least 2, got {max_classes}")
    cases = sequence_cases(options=False, max_batch=max_batch)
    return _softmax_head_cases(cases, max_classes=max_classes, max_batch_size=max_batch_size)


@st.composite
def _softmax_head_cases(draw, cases, *, max_classes, max_batch_size) -> SoftmaxHeadCase:
    case = draw(cases)
    classes = draw(st.integers(2, max_classes))
    batch = case.x.shape[0]
    return SoftmaxHeadCase(
        case=case,
        head_kernel=draw(float32_arrays((case.units, classes))),
        labels=draw(hnp.arrays(np.int64, (batch,), elements=st.integers(0, classes - 1))),
        batch_size=draw(st.integers(1, max_batch_size)),
    )


# Bidirectional and stacked layers.

MERGE_MODES_AND_NONE = MERGE_MODES + (None,)  # None: Bidirectional returns [forward, backward]


def _direction_weights(
    draw, cell: str, *, input_size: int, units: int, use_bias: bool, reset_after: bool, recurrent_size: int = 0
) -> tuple:
    """(kernel, recurrent_kernel, bias or None) of one direction, in Keras's layout; recurrent_kernel is
    (recurrent_size, G*u) where given (a projected LSTM's p), else (u, G*u)."""
    facts = cell_facts(cell)
    gu = facts.gate_count * units
    bias_shape = facts.bias_shape(units, reset_after=reset_after)
    return (
        draw(float32_arrays((input_size, gu))),
        draw(float32_arrays((recurrent_size or units, gu))),
        draw(float32_arrays(bias_shape)) if use_bias else None,
    )


@dataclass(frozen=True)
class BidirectionalCase:
    """Inputs, both directions' weights and the options of one keras.layers.Bidirectional."""

    cell: str
    x: np.ndarray  # (batch, time, d)
    forward: tuple  # (kernel, recurrent_kernel, bias or None)
    backward: tuple
    reset_after: bool = True
    merge_mode: str | None = "concat"
    return_sequences: bool = False
    return_state: bool = False
    initial_state: tuple[np.ndarray, ...] | None = None  # forward states, then backward states; each (batch, u)
    mask: np.ndarray | None = None  # (batch, time) bool

    @property
    def weights(self) -> list[np.ndarray]:
        """What Bidirectional.set_weights takes: the forward layer's weights, then the backward's."""
        return [w for direction in (self.forward, self.backward) for w in direction if w is not None]

    @property
    def layer_options(self) -> dict:
        """What keras_layer() needs to build this case's layer (Keras's own option names)."""
        kernel, recurrent_kernel, bias = self.forward
        options = dict(
            units=recurrent_kernel.shape[0],
            input_size=kernel.shape[0],
            weights=self.weights,
            use_bias=bias is not None,
            bidirectional=True,
            merge_mode=self.merge_mode,
            return_sequences=self.return_sequences,
            return_state=self.return_state,
        )
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        return options

    @property
    def reference_options(self) -> dict:
        """The same options for rnncheck.reference.bidirectional, call options included."""
        options = dict(
            merge_mode=self.merge_mode,
            return_sequences=self.return_sequences,
            return_state=self.return_state,
            initial_state=self.initial_state,
            mask=self.mask,
        )
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        return options

    @property
    def call_options(self) -> dict:
        """Options of the call (not of the layer), as Keras takes them."""
        options = {}
        if self.initial_state is not None:
            options["initial_state"] = list(self.initial_state)
        if self.mask is not None:
            options["mask"] = self.mask
        return options


@st.composite
def bidirectional_cases(
    draw,
    *,
    cell: str | None = None,
    max_batch: int = 4,
    max_time: int = 6,
    max_input_size: int = 6,
    max_units: int = 6,
) -> BidirectionalCase:
    """Random small sizes, two sets of random weights, every merge mode (None too) and every option on or off."""
    _check_bounds(batch=(1, max_batch), time=(1, max_time), input_size=(1, max_input_size), units=(1, max_units))
    cell = cell or draw(cells)
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    d, u = draw(st.integers(1, max_input_size)), draw(st.integers(1, max_units))
    reset_after, use_bias = _gru_option(draw, cell), draw(st.booleans())
    sizes = dict(input_size=d, units=u, use_bias=use_bias, reset_after=reset_after)
    n_states = 2 * len(cell_facts(cell).states)
    return BidirectionalCase(
        cell=cell,
        x=draw(float32_arrays((batch, time, d), scale=2.0)),
        forward=_direction_weights(draw, cell, **sizes),
        backward=_direction_weights(draw, cell, **sizes),
        reset_after=reset_after,
        merge_mode=draw(st.sampled_from(MERGE_MODES_AND_NONE)),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        initial_state=tuple(draw(float32_arrays((batch, u))) for _ in range(n_states)) if draw(st.booleans()) else None,
        mask=draw(hnp.arrays(np.bool_, (batch, time))) if draw(st.booleans()) else None,
    )


@dataclass(frozen=True)
class StackedLayer:
    """One layer of a stack: a cell, plain or Bidirectional, with its weights (backward is None when plain)."""

    cell: str
    forward: tuple  # (kernel, recurrent_kernel, bias or None)
    backward: tuple | None = None
    reset_after: bool = True
    merge_mode: str = "concat"

    @property
    def units(self) -> int:
        return self.forward[1].shape[0]

    @property
    def input_size(self) -> int:
        return self.forward[0].shape[0]

    @property
    def output_size(self) -> int:
        """Features the next layer sees: 2u for a concatenating Bidirectional, u otherwise."""
        return 2 * self.units if self.backward is not None and self.merge_mode == "concat" else self.units

    @property
    def weights(self) -> list[np.ndarray]:
        return [w for direction in (self.forward, self.backward or ()) for w in direction if w is not None]

    @property
    def layer_options(self) -> dict:
        """What keras_layer() needs to build this layer, return_sequences and unroll aside."""
        options = dict(
            units=self.units,
            input_size=self.input_size,
            weights=self.weights,
            use_bias=self.forward[2] is not None,
            bidirectional=self.backward is not None,
            merge_mode=self.merge_mode,
        )
        if self.cell == "gru":
            options["reset_after"] = self.reset_after
        return options


@dataclass(frozen=True)
class StackCase:
    """Inputs and a stack of layers; every layer but the top returns sequences."""

    x: np.ndarray  # (batch, time, d)
    layers: tuple[StackedLayer, ...]
    return_sequences: bool = False  # of the top layer
    mask: np.ndarray | None = None  # (batch, time) bool


@st.composite
def stack_cases(
    draw,
    *,
    min_depth: int = 2,
    max_depth: int = 3,
    max_batch: int = 3,
    max_time: int = 5,
    max_input_size: int = 4,
    max_units: int = 4,
) -> StackCase:
    """2-3 layers, each any cell, plain or Bidirectional (merge modes that return one tensor), random weights."""
    _check_bounds(
        depth=(min_depth, max_depth),
        batch=(1, max_batch),
        time=(1, max_time),
        input_size=(1, max_input_size),
        units=(1, max_units),
    )
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    x = draw(float32_arrays((batch, time, draw(st.integers(1, max_input_size))), scale=2.0))
    layers, size = [], x.shape[2]
    for _ in range(draw(st.integers(min_depth, max_depth))):
        cell = draw(cells)
        reset_after, bidirectional = _gru_option(draw, cell), draw(st.booleans())
        units, use_bias = draw(st.integers(1, max_units)), draw(st.booleans())
        sizes = dict(input_size=size, units=units, use_bias=use_bias, reset_after=reset_after)
        layer = StackedLayer(
            cell=cell,
            forward=_direction_weights(draw, cell, **sizes),
            backward=_direction_weights(draw, cell, **sizes) if bidirectional else None,
            reset_after=reset_after,
            merge_mode=_merge_mode(draw, bidirectional),
        )
        layers.append(layer)
        size = layer.output_size
    return StackCase(
        x=x,
        layers=tuple(layers),
        return_sequences=draw(st.booleans()),
        mask=draw(hnp.arrays(np.bool_, (batch, time))) if draw(st.booleans()) else None,
    )


# ConvLSTM1D / 2D / 3D: one step's input is an n-D image; the same SequenceCase, with the convolution's options.

CONV_CELLS = tuple(name for name in CELLS if cell_facts(name).rank)


def conv_cases(*, cell: str | None = None, max_batch: int = 2, max_time: int = 3, max_spatial: int = 4,
               max_channels: int = 2, max_filters: int = 2, max_kernel: int = 3, options: bool = True):
    """A ConvLSTMnD case: sizes up to the bounds, every padding, strides 1-2 or dilation_rate 1-2 (Keras refuses
    both above 1), both data_formats, random weights; with options=True also return_sequences, go_backwards,
    an initial state and a mask, each on or off. A "valid" axis is at least as long as its dilated kernel."""
    _check_bounds(batch=(1, max_batch), time=(1, max_time), spatial=(1, max_spatial), channels=(1, max_channels),
                  filters=(1, max_filters), kernel=(1, max_kernel))  # fmt: skip
    if cell is not None and cell not in CONV_CELLS:
        raise ValueError(f"cell must be one of {CONV_CELLS}, got {cell!r}")
    bounds = dict(max_batch=max_batch, max_time=max_time, max_spatial=max_spatial, max_channels=max_channels,
                  max_filters=max_filters, max_kernel=max_kernel)  # fmt: skip
    return _conv_cases(cell=cell, options=options, **bounds)


@st.composite
def _conv_cases(draw, *, cell, options, max_batch, max_time, max_spatial, max_channels, max_filters, max_kernel):
    cell = cell or draw(st.sampled_from(CONV_CELLS))
    rank = cell_facts(cell).rank
    batch, time = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    channels, filters = draw(st.integers(1, max_channels)), draw(st.integers(1, max_filters))
    kernel_size = tuple(draw(st.integers(1, max_kernel)) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"]))
    dilated = draw(st.booleans())
    strides = (1,) * rank if dilated else tuple(draw(st.integers(1, 2)) for _ in range(rank))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(rank)) if dilated else (1,) * rank
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel_size, strict=True)]  # a dilated kernel's extent
    spatial = tuple(
        draw(st.integers(r if padding == "valid" else 1, max(max_spatial, r))) for r in reach
    )
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    step_shape = (channels, *spatial) if data_format == "channels_first" else (*spatial, channels)
    out = tuple(
        -(-n // s) if padding == "same" else (n - r) // s + 1 for n, r, s in zip(spatial, reach, strides, strict=True)
    )
    state_shape = (batch, filters, *out) if data_format == "channels_first" else (batch, *out, filters)
    use_bias = draw(st.booleans())
    return SequenceCase(
        cell=cell,
        x=draw(float32_arrays((batch, time, *step_shape), scale=2.0)),
        kernel=draw(float32_arrays((*kernel_size, channels, 4 * filters), scale=0.5)),
        recurrent_kernel=draw(float32_arrays((*kernel_size, filters, 4 * filters), scale=0.5)),
        bias=draw(float32_arrays((4 * filters,))) if use_bias else None,
        return_sequences=draw(st.booleans()),
        go_backwards=options and draw(st.booleans()),
        initial_state=(draw(float32_arrays(state_shape)), draw(float32_arrays(state_shape)))
        if options and draw(st.booleans())
        else None,
        mask=draw(hnp.arrays(np.bool_, (batch, time))) if options and draw(st.booleans()) else None,
        cell_options=(("strides", strides), ("padding", padding), ("dilation_rate", dilation),
                      ("data_format", data_format)),
    )  # fmt: skip
