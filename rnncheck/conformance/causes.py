"""The causes of the known divergences: each once, with its loop model or error, what Keras's documentation says,
the line upstream, and the Keras releases it was observed in (by running them). Reviewed.

A loop model wraps a reference layer function (rnncheck.reference.function(cell)) and returns what that backend's
keras.backend.rnn computes instead; Bidirectional and stacks compose them as the reference composes its own loop.

ONNX_CAUSES, a table of its own, holds the causes in onnx.reference's RNN, GRU and LSTM operators
(conformance/test_onnx.py): each with the error it raises, or a reading: the case as onnx.reference reads it, on
which the reference computes what it returns. They are not in CAUSES, which rnncheck divergences, rnncheck conform,
the repro scripts (rnncheck.repro) and the reports (docs/upstream/ID.md) follow: no Keras backend runs them.
ONNXRUNTIME_CAUSES, likewise, holds onnxruntime's (each a reading: the case as onnxruntime computes it).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnncheck.activations import ACTIVATIONS


@functools.cache
def tensorflow_runs_onednn() -> bool:
    """Where TensorFlow runs its CPU convolutions through oneDNN: on by default on x86 CPUs with AVX512-VNNI,
    AVX512-BF16 or AMX, TF_ENABLE_ONEDNN_OPTS=0 or 1 decides (seen: an NCHW Conv2D runs, which only oneDNN's does)."""
    import tensorflow as tf

    try:
        with tf.device("/CPU:0"):
            tf.nn.convolution(tf.zeros((1, 1, 1, 1)), tf.zeros((1, 1, 1, 1)), data_format="NCHW")
    except tf.errors.UnimplementedError:
        return False
    return True


def tensorflow_runs_without_onednn() -> bool:
    """Where TensorFlow's own CPU Conv2D runs, which takes NHWC only: oneDNN off (by default on x86 CPUs without
    AVX512-VNNI, AVX512-BF16 or AMX; TF_ENABLE_ONEDNN_OPTS=0 or 1 decides)."""
    return not tensorflow_runs_onednn()


AVX512_CORE = ("avx512f", "avx512bw", "avx512vl", "avx512dq")  # oneDNN's avx512_core: the ISA its AVX-512 kernels need
BELOW_AVX512 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2")  # ONEDNN_MAX_CPU_ISA values that cap it below


def onednn_runs_avx512() -> bool:
    """Whether oneDNN dispatches its AVX-512 kernels here: the CPU lists AVX512_CORE's flags (/proc/cpuinfo; where
    there is none, False) and ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA) does not cap it below them."""
    import os

    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "ALL")).upper()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    except OSError:
        return False
    return cap not in BELOW_AVX512 and all(flag in flags for flag in AVX512_CORE)


def tensorflow_runs_onednn_avx512() -> bool:
    """Where TensorFlow's CPU convolutions run through oneDNN's AVX-512 kernels: the one-column bug's machine. With
    oneDNN forced on an AVX2-only CPU (its brg_conv_fwd:avx2 kernel, ONEDNN_VERBOSE=1) the same convolutions are
    right (tests/test_repro.py runs them)."""
    return tensorflow_runs_onednn() and onednn_runs_avx512()


def onednn_misreads_conv(*, batch: int, spatial, channels: int, kernel_size, strides, padding: str) -> bool:
    """Where TensorFlow's oneDNN Conv2D returns wrong rows: a batch of 2 or more, 1 input channel, strides (1, s)
    with s >= 2, a kernel 2 or more wide, 1 output column and 2 or more output rows, unless kernel width = s = input
    width (exactly the wrong shapes among 29,556 run: tests/test_repro.py checks it on this machine)."""
    from rnncheck.cells.convlstm import conv_output_size

    if len(spatial) != 2:
        return False
    (rows, columns), (kernel_rows, kernel_columns), (row_stride, column_stride) = spatial, kernel_size, strides
    out_rows = conv_output_size(rows, kernel_rows, stride=row_stride, dilation=1, padding=padding)
    out_columns = conv_output_size(columns, kernel_columns, stride=column_stride, dilation=1, padding=padding)
    return (
        batch >= 2 and channels == 1 and row_stride == 1 and column_stride >= 2 and kernel_columns >= 2
        and out_columns == 1 and out_rows >= 2 and not kernel_columns == column_stride == columns
    )  # fmt: skip


@functools.cache
def onednn_misconvolves(*, batch, spatial, channels, kernel_size, filters, strides, dilations, padding, data_format):
    """Where Keras's convolution on tensorflow (keras.ops.conv, as ConvLSTM's cell calls it) of this geometry
    disagrees with NumPy's on random inputs: the 3-D region of the oneDNN cause, which is not characterized."""
    import keras

    from rnncheck.cells.convlstm import _Conv

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *spatial, channels)).astype(np.float32)  # (batch, *spatial, C)
    w = rng.standard_normal((*kernel_size, channels, filters)).astype(np.float32)
    expected = _Conv(spatial, kernel_size, strides=strides, dilations=dilations, padding=padding).forward(x, w)
    first = data_format == "channels_first"
    given = np.moveaxis(x, -1, 1) if first else x
    options = dict(strides=strides, padding=padding, data_format=data_format, dilation_rate=dilations)
    actual = np.asarray(keras.ops.conv(given, w, **options))
    actual = np.moveaxis(actual, 1, -1) if first else actual
    return not np.allclose(actual, expected, rtol=1e-4, atol=1e-4)


def onednn_first_rows(outputs: list, case) -> list:
    """What a ConvLSTM2D gets right where oneDNN misreads its input convolution (whose later rows read other rows or
    uninitialized memory, run to run): row 0 of each image, at every step with a kernel 1 high (the recurrent
    convolution then reads row 0 alone), else at the first step only: [output, h, c] sliced so (rows left empty).
    ConvLSTM3D: nothing but the shapes, checked before."""
    first = dict(case.cell_options).get("data_format") == "channels_first"
    row = -2 if first else -3  # (..., F, rows, columns) or (..., rows, columns, F)
    if case.kernel.ndim != 4:  # ConvLSTM3D: which part oneDNN gets right is not characterized; the shapes only
        return [a[..., :0] for a in outputs]
    time = case.x.shape[1]
    if case.kernel.shape[0] == 1 or time == 1:
        return [np.take(a, [0], axis=row) for a in outputs]
    keep = [np.take(a, [], axis=row) for a in outputs]
    if case.return_sequences:  # (batch, time, ...): the first step run is index 0, go_backwards or not
        keep[0] = np.take(outputs[0][:, :1], [0], axis=row)
    return keep


Loop = Callable[[Callable], Callable]  # a reference layer function -> that layer as one backend's loop runs it
Agreement = Callable[[list, Any], list]  # (outputs, case) -> the part of each output the framework gets right
Reading = Callable[..., Any]  # (case, backend) -> the case as that Keras backend reads it (ONNX_CAUSES: (case))


def as_documented(layer: Callable) -> Callable:
    """The reference's own loop: Keras's documented semantics."""
    return layer


def jax_scan(layer: Callable) -> Callable:
    """jax, unroll=False: a masked step outputs the carried states[0], so steps before the first real one output h0,
    not 0. (For the built-in cells the output is h = states[0], so after a real step that is the previous output;
    rnncheck.custom_cell models a cell whose output is not its first state.)"""

    def run(x, *weights, mask=None, initial_state=None, go_backwards=False, return_sequences=False, **options):
        return_state = options.pop("return_state", False)
        result = layer(
            x,
            *weights,
            mask=mask,
            initial_state=initial_state,
            go_backwards=go_backwards,
            return_sequences=return_sequences,
            return_state=True,
            **options,
        )
        if mask is not None and not options.get("zero_output_for_mask", False):
            mask = np.asarray(mask, dtype=bool)
            seen = np.logical_or.accumulate(mask[:, ::-1] if go_backwards else mask, axis=1)  # processing order
            h0 = np.zeros_like(result[1]) if initial_state is None else np.asarray(_states(initial_state)[0])
            if return_sequences:
                result[0] = np.where(seen[:, :, None], result[0], h0[:, None, :])  # (batch, time, u)
            else:
                result[0] = np.where(seen[:, -1:], result[0], h0)  # (batch, u)
        return result if return_state else result[0]

    return run


def jax_unroll(layer: Callable) -> Callable:
    """jax, unroll=True: zero_output_for_mask is ignored; masked steps repeat the previous output."""

    def run(x, *weights, **options):
        return layer(x, *weights, **{**options, "zero_output_for_mask": False})

    return run


def tensorflow_unroll(layer: Callable) -> Callable:
    """tensorflow, unroll=True: with go_backwards, zero_output_for_mask zeroes the steps the mask names in time
    order on a sequence in processing order, so the wrong steps are zeroed."""

    def run(x, *weights, mask=None, go_backwards=False, return_sequences=False, **options):
        if mask is None or not (go_backwards and return_sequences and options.get("zero_output_for_mask", False)):
            options.update(mask=mask, go_backwards=go_backwards, return_sequences=return_sequences)
            return layer(x, *weights, **options)
        return_state = options.pop("return_state", False)
        options["zero_output_for_mask"] = False
        result = layer(x, *weights, mask=mask, go_backwards=True, return_sequences=True, return_state=True, **options)
        result[0] = np.where(np.asarray(mask, dtype=bool)[:, :, None], result[0], 0.0)  # (batch, time, u)
        return result if return_state else result[0]

    return run


def flush_subnormals(values) -> np.ndarray:
    """float32 values as a CPU that flushes subnormals to zero holds them."""
    values = np.asarray(values, dtype=np.float32)
    return np.where(np.abs(values) < np.finfo(np.float32).tiny, np.float32(0.0), values)


def masking_flushes_subnormals(case, backend: str):
    """tensorflow and jax compare Masking's inputs with subnormals flushed to zero: a subnormal equals 0.0."""
    if getattr(case, "front", None) != "masking":
        return case
    mask_value = float(flush_subnormals(case.mask_value))
    return dataclasses.replace(case, inputs=flush_subnormals(case.inputs), mask_value=mask_value)


def fused_loop_runs(case, backend: str) -> bool:
    """Whether GRU / LSTM.inner_loop's backend kernel runs on this CPU for a case (else the cell's own loop):
    jax.gru wants reset_after, no mask and no unroll (jax/rnn.py:484); torch.gru reset_after and no mask
    (torch/rnn.py:752), torch.lstm no mask (:558); jax.lstm and tensorflow's need a GPU. Not with recurrent_dropout
    (gru.py:553, lstm.py:534)."""
    if case.recurrent_dropout or case.cell not in ("gru", "lstm"):
        return False
    if backend == "jax":
        return case.cell == "gru" and case.reset_after and case.mask is None and not case.unroll
    if backend == "torch":
        return case.mask is None and (case.cell == "lstm" or case.reset_after)
    return False


def rate_one_skipped(case, backend: str):
    """GRUCell and LSTMCell drop only for 0 < rate < 1 (gru.py:256, lstm.py:273): rate 1 drops nothing, except the
    inputs where the fused loop runs on the inputs inner_loop masked first (gru.py:555-561, lstm.py:536-542)."""
    if case.cell not in ("gru", "lstm"):
        return case
    dropout = case.dropout if case.dropout < 1.0 or fused_loop_runs(case, backend) else 0.0
    recurrent_dropout = case.recurrent_dropout if case.recurrent_dropout < 1.0 else 0.0
    return dataclasses.replace(case, dropout=dropout, recurrent_dropout=recurrent_dropout)


def squareplus_float32_error(a) -> np.ndarray:
    """A bound on |Keras's float32 squareplus(a) - squareplus(a)|. For x < 0 the sum x + sqrt(x^2 + 4) cancels to
    what float32's grid at |x| holds: rounding x^2, + 4 and sqrt (torch's CPU sqrt by up to a whole spacing) moves
    it by at most 3 |x| 2^-24 <= 3 spacing(x), halved by / 2; then the result's own 4 roundings."""
    x = np.asarray(a, np.float64)
    return 1.5 * np.spacing(np.abs(x).astype(np.float32)).astype(np.float64) + 4 * 2.0**-24 * _EXACT_SQUAREPLUS(x)


def _squareplus_read(a) -> np.ndarray:
    """The documented squareplus, carrying its float32 error (rounding_slack perturbs by it)."""
    return _EXACT_SQUAREPLUS(a)


_EXACT_SQUAREPLUS = ACTIVATIONS["squareplus"][0]
_squareplus_read.float32_error = squareplus_float32_error


def float32_squareplus(case, backend: str):
    """Every backend computes squareplus by its formula in float32, whose value for x << 0 is known only to within
    squareplus_float32_error (the last bits of the backend's sqrt and of x^2 + 4 decide it: XLA contracts x^2 + 4
    into an FMA, torch's CPU sqrt is not correctly rounded). The case with the documented squareplus carrying that
    error, which the every-activation property's rounding slack propagates through the layer."""
    options = getattr(case, "cell_options", ())
    if not any(name in _ACTIVATION_OPTIONS and value == "squareplus" for name, value in options):
        return case
    squareplus = (_squareplus_read, ACTIVATIONS["squareplus"][1])
    read = tuple(
        (name, squareplus if name in _ACTIVATION_OPTIONS and value == "squareplus" else value)
        for name, value in options
    )
    return dataclasses.replace(case, cell_options=read)


_ACTIVATION_OPTIONS = ("activation", "recurrent_activation")


class KerasRaises(Exception):
    """What a loop model raises where the backend's own loop raises `error` (a Property then expects that error)."""

    def __init__(self, error: type[BaseException]):
        super().__init__(error.__name__)
        self.error = error


def jax_scan_mask(layer: Callable) -> Callable:
    """jax, unroll=False, with a mask: each step's mask is (batch, 1) and jnp.where broadcasts it against the
    states' last axes. Right for (batch, u); for ConvLSTM's (batch, *spatial, filters) it masks along the spatial
    axes instead of the batch (wrong values), fails to broadcast (ValueError), or changes the carry's shape
    (lax.scan's TypeError). A masked step also outputs the carried h (states[0]), h0 before any real step."""

    def run(x, *weights, mask=None, initial_state=None, go_backwards=False, return_sequences=False,
            return_state=False, zero_output_for_mask=False, **options):  # fmt: skip
        if mask is None:
            return layer(x, *weights, initial_state=initial_state, go_backwards=go_backwards,
                         return_sequences=return_sequences, return_state=return_state, **options)  # fmt: skip
        x, mask = np.asarray(x), np.asarray(mask, dtype=bool)
        states = None if initial_state is None else [np.asarray(s, dtype=np.float64) for s in _states(initial_state)]
        outputs = []
        for t in range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1]):
            output, *new = layer(x[:, t : t + 1], *weights, initial_state=states, return_state=True, **options)
            states = [np.zeros_like(n) for n in new] if states is None else states
            is_masked = ~mask[:, t : t + 1]  # (batch, 1), as jax/rnn.py:154 makes it
            merged = []
            for old, fresh in zip(states, new, strict=True):
                try:
                    value = np.where(is_masked, old, fresh)
                except ValueError:
                    raise KerasRaises(ValueError) from None
                if value.shape != old.shape:  # lax.scan: the carry's type must not change
                    raise KerasRaises(TypeError)
                merged.append(value)
            previous = np.zeros_like(output) if zero_output_for_mask else states[0]
            outputs.append(np.where(is_masked, previous, output))
            states = merged
        result = np.stack(outputs, axis=1) if return_sequences else outputs[-1]
        return [result, *states] if return_state else result

    return run


def _states(initial_state) -> list:
    return list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]


_TORCH_FLIP = "torch/rnn.py:95: unroll=True with a mask and go_backwards calls torch.flip on a tuple (torch.unbind's)"
_JAX_SCAN = "jax/rnn.py:166: a masked step outputs states[0], which before any real step is the initial h"
_JAX_UNROLL = "jax/rnn.py:89-131: the unrolled masked loop never reads zero_output_for_mask; tensorflow/rnn.py:203 does"
_TF_UNROLL = "tensorflow/rnn.py:210: zero_output_for_mask zeroes the reversed outputs with the unreversed mask"
_ZEROS_FIRST = (
    "the reference, as tensorflow, torch and jax's own unroll=True (jax/rnn.py:104): a masked step repeats the "
    "previous output (tensorflow/rnn.py:59), and before the first there is none: 'a zero filled tensor' (:335)"
)
_MASKED_ZERO = "the reference: Bidirectional's docstring (layers/rnn/bidirectional.py:30): masked timesteps output zero"
_ZERO_OUTPUT = (
    "the reference: keras.backend.rnn's docstring (tensorflow/rnn.py:59): with zero_output_for_mask 'the output for "
    "masked timestep will be zeros', as tensorflow, torch and jax's scan do, last output included; RNN's docstring "
    "(layers/rnn/rnn.py:57) uses it only with return_sequences, but jax's unroll ignores it even there"
)
_JAX_SCAN_MASK = (
    "jax/rnn.py:154-175: is_masked = jnp.all(~mask_t, axis=-1, keepdims=True) is (batch, 1), and jnp.where(is_masked, "
    "s, ns) broadcasts it against the states' last two axes; the unrolled loop's _expand_mask (:46-59) tiles it to "
    "each state's rank, as tensorflow/rnn.py does"
)
_MASKING = (
    "the reference: Masking's docstring (layers/core/masking.py:12-15): a timestep is masked if all its values are "
    "equal to mask_value; 1e-45 != 0.0 in float32 (NumPy, and torch, agree)"
)
_MASKING_LINE = (
    "layers/core/masking.py:58: ops.any(ops.not_equal(inputs, mask_value)); tensorflow's and XLA's CPU kernels "
    "flush subnormals to zero (denormals-are-zero), so not_equal(1e-45, 0.0) is False there"
)
_STACKED_ONE = (
    "layers/rnn/stacked_rnn_cells.py:103-104: with one cell, call() returns that cell's states unwrapped from the "
    "list they came in, so the loop's state structure changes between steps (tensorflow's while_loop with a mask, "
    "jax's lax.scan always); torch's Python loop does not check it, but an LSTM cell's [h, c] come back as the one "
    "cell's states, which the next masked step zips with the cells (:91), so LSTMCell gets h alone"
)
_STACKED_NEST = (
    "the reference: RNN's docstring (layers/rnn/rnn.py:81-84): with return_state 'the remaining tensors are the last "
    "states, each with shape (batch_size, state_size)', and compute_output_shape (rnn.py:234-255), as the symbolic "
    "call: a cell's state as one tensor, a list only for a cell of several states (LSTM's [h, c])"
)
_RESET_STATES = (
    "the reference: RNN's docstring (layers/rnn/rnn.py:124-127): 'You can specify the initial state of RNN layers "
    "numerically by calling reset_state() with the keyword argument states'"
)
_FORGET_BIAS = (
    "the reference: LSTMCell's and LSTM's docstrings (layers/rnn/lstm.py:39-42, :388-391): unit_forget_bias 'If True, "
    "add 1 to the bias of the forget gate at initialization. Setting it to True will also force "
    "bias_initializer=\"zeros\"': the bias is 0 for the i, c and o gates and 1 for f, whatever bias_initializer"
)
_DROP_ALL = (
    "the reference: every cell's docstring: dropout / recurrent_dropout is the 'Fraction of the units to drop', in "
    "[0, 1] (simple_rnn.py:123-124 clips to it); SimpleRNNCell drops them all at 1.0"
)
_BIDI_BACKWARDS = (
    "the reference: Bidirectional's docstring (layers/rnn/bidirectional.py:20-47) sets no condition on the layer's "
    "go_backwards (only a given backward_layer must differ from it); tf.keras 2 made the backward layer "
    "not layer.go_backwards"
)
_SQUAREPLUS = (
    "the reference: keras.activations.squareplus's docstring (activations/activations.py:317-324): "
    "f(x) = (x + sqrt(x^2 + b)) / 2, b = 4, which is positive everywhere and about b / (4|x|) for x << 0"
)
_SQUAREPLUS_LINE = (
    "backend/tensorflow/nn.py:96, backend/torch/nn.py:90, backend/numpy/nn.py:101 and jax.nn.squareplus (which "
    "backend/jax/nn.py:94 calls): y = x + sqrt(square(x) + b); for x << 0 the sum cancels, its relative "
    "error growing as x^2 2^-24: up to 0.07 percent for x in [-200, -100], 6 percent in [-2000, -1000], 0.0 "
    "from x = -6145 and at every x below -8192; "
    "b / (sqrt(x^2 + b) - x) / 2 for x < 0 is the same function without cancellation"
)
_EXPORT_ONNX = (
    "the reference: Model.export's docstring (models/model.py:668, :750-753) exports a model to format 'onnx' on "
    "the tensorflow, jax and torch backends, for onnxruntime to run; the same layer exports and matches the "
    "reference with go_backwards=False, with unroll=True, and on tensorflow (tf2onnx)"
)
_RUNS = "the reference: tensorflow, jax, and torch with unroll=False run it; unroll only trades memory for speed"



@dataclass(frozen=True)
class Cause:
    """One bug (or documented difference) in one framework, however many properties it shows in."""

    id: str  # names its repro script (rnncheck divergences --repro ID) and its report (docs/upstream/ID.md)
    backends: tuple[str, ...]  # the frameworks where it holds (KERAS_BACKENDs; ONNX_CAUSES: "onnx.reference")
    summary: str  # one line: what goes wrong, and when
    documented: str  # which side Keras's documentation (ONNX_CAUSES: the ONNX spec) agrees with, and where
    upstream: str  # the cause, file:line under keras/src (ONNX_CAUSES: under onnx/)
    releases: tuple[str, ...]  # the Keras (ONNX_CAUSES: onnx) releases it was observed in, by running them
    loop: Loop | None = field(default=None, repr=False)  # Keras computes the reference through this loop,
    reads: Reading | None = field(default=None, repr=False)  # or the reference on the case as this returns it,
    raises: type[BaseException] | None = None  # or raises this,
    match: str = ""  # with a message matching this,
    returns: str = ""  # or returns this, which no model computes: the documented check must fail there
    needs: tuple[str, ...] = ()  # what its example needs besides Keras and NumPy (an exporter, onnxruntime)
    agrees: Agreement | None = field(default=None, repr=False)  # or, its answer undefined in part, agrees on this
    machine: Callable[[], bool] | None = field(default=None, repr=False)  # holds only where this returns True

    def holds_here(self) -> bool:
        """Whether the cause can hold on this machine (its `machine` check, which may import its backend)."""
        return self.machine is None or self.machine()

    @property
    def backend(self) -> str:
        """The backends as one string, for a line of text (and the JSON's "backend" field)."""
        return ", ".join(self.backends)

    def to_dict(self) -> dict:
        if self.raises:
            keras = {"raises": self.raises.__name__, "match": self.match}
        elif self.returns:
            keras = {"returns": self.returns} | ({"agrees": self.agrees.__name__} if self.agrees else {})
        else:
            keras = {"loop": self.loop.__name__} if self.loop else {"reads": self.reads.__name__}
        return {
            "id": self.id,
            "backend": self.backend,
            "backends": list(self.backends),
            "summary": self.summary,
            "releases": list(self.releases),
            "keras": keras,
            "documented": self.documented,
            "upstream": self.upstream,
            "report": f"docs/upstream/{self.id}.md",
            "needs": list(self.needs),
            "machine": " ".join((self.machine.__doc__ or self.machine.__name__).split()) if self.machine else "",
        }


CAUSES: dict[str, Cause] = {
    cause.id: cause
    for cause in [
        Cause(
            id="torch-unroll-flip-tuple",
            backends=("torch",),
            summary="unroll=True with a mask and go_backwards raises AttributeError (Bidirectional: any mask)",
            documented=_RUNS,
            upstream=_TORCH_FLIP,
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            raises=AttributeError,
            match="'tuple' object has no attribute 'shape'",
        ),
        Cause(
            id="jax-scan-masked-output-h0",
            backends=("jax",),
            summary="unroll=False with a mask: a masked step outputs the carried states[0]: h0 before the first real "
            "step (an initial state, or a stateful layer's), and for a cell whose output is not states[0] at every "
            "masked step",
            documented=_ZEROS_FIRST,
            upstream=_JAX_SCAN,
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            loop=jax_scan,
        ),
        Cause(
            id="jax-unroll-zero-output-for-mask-ignored",
            backends=("jax",),
            summary="unroll=True with a mask ignores zero_output_for_mask: masked steps repeat the last output",
            documented=_ZERO_OUTPUT + "; " + _MASKED_ZERO,
            upstream=_JAX_UNROLL,
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            loop=jax_unroll,
        ),
        Cause(
            id="jax-scan-mask-rank",
            backends=("jax",),
            summary="a mask with ConvLSTM (states of rank > 2): errors, or masks along the spatial axes, not the batch",
            documented=_RUNS + "; keras.layers.RNN takes a mask for any cell (layers/rnn/rnn.py)",
            upstream=_JAX_SCAN_MASK,
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            loop=jax_scan_mask,
        ),
        Cause(
            id="tensorflow-unroll-reversed-mask-zeroing",
            backends=("tensorflow",),
            summary="unroll=True, go_backwards, zero_output_for_mask and a mask: the wrong steps are zeroed",
            documented=_MASKED_ZERO,
            upstream=_TF_UNROLL,
            releases=("3.3.0", "3.9.2", "3.15.1"),
            loop=tensorflow_unroll,
        ),
        Cause(
            id="masking-subnormal-flushed",
            backends=("tensorflow", "jax"),
            summary="Masking(mask_value) masks a step whose values differ from mask_value only by subnormals "
            "(1e-45 is masked as 0.0)",
            documented=_MASKING,
            upstream=_MASKING_LINE,
            releases=("3.3.0", "3.9.2", "3.15.1"),
            reads=masking_flushes_subnormals,
        ),
        Cause(
            id="stacked-cells-one-cell",
            backends=("tensorflow", "jax", "torch"),
            summary="RNN([one cell]) raises: jax always (TypeError, ValueError with a mask), tensorflow with a mask "
            "(ValueError), torch with a mask on an LSTM cell over two steps or more (IndexError)",
            documented="the reference: keras.layers.RNN's docstring (layers/rnn/rnn.py:17) takes 'a list of RNN "
            "cell instances'; RNN(cell) runs the same cell everywhere",
            upstream=_STACKED_ONE,
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            raises=ValueError,
            match=r"same nested structure|same pytree structure|Expected an instance of list|list arity mismatch"
            r"|list index out of range",
        ),
        Cause(
            id="stacked-cells-eager-state-nest",
            backends=("tensorflow", "jax", "torch"),
            summary="RNN([cells], return_state=True) called eagerly returns a one-state cell's state in a list of its "
            "own: [output, [h0], [h1]], where the symbolic call and compute_output_shape give [output, h0, h1]",
            documented=_STACKED_NEST,
            upstream="layers/rnn/stacked_rnn_cells.py:89-105 returns new_states as one list per cell; "
            "layers/rnn/rnn.py:449-450 returns them after the output as they are",
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            returns="[output, [h of cell 0], [h of cell 1], ...]: every cell's states as a list",
        ),
        Cause(
            id="reset-state-states-refused",
            backends=("tensorflow", "jax", "torch"),
            summary="reset_state(states=...), as RNN's docstring documents it, raises TypeError (Bidirectional too)",
            documented=_RESET_STATES,
            upstream="layers/rnn/rnn.py:325 def reset_state(self) takes no states; layers/rnn/bidirectional.py:485",
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            raises=TypeError,
            match="unexpected keyword argument 'states'",
        ),
        Cause(
            id="bidirectional-stateful-return-state",
            backends=("tensorflow", "jax", "torch"),
            summary="a stateful Bidirectional with return_state=True raises TypeError when called",
            documented="the reference: Bidirectional's docstring (layers/rnn/bidirectional.py:20-33) takes any RNN "
            "layer with return_state; stateless it returns [output, forward states, backward states]",
            upstream="layers/rnn/bidirectional.py:515-518: compute_mask makes state_mask a generator, then "
            "multiplies it by 2",
            releases=("3.3.0", "3.9.2", "3.15.1"),
            raises=TypeError,
            match="'generator' and 'int'",
        ),
        Cause(
            id="tensorflow-stateful-predict-batch-unchecked",
            backends=("tensorflow",),
            summary="predict on a stateful model: a last batch of another size is not refused; 3 sequences in "
            "batches of 2 give 4 predictions",
            documented="the reference: layers/rnn/rnn.py:389-402 raises ValueError for a batch other than the "
            "states', as jax and torch do in predict, and tensorflow on an eager call",
            upstream="layers/rnn/rnn.py:390: the check reads sequences.shape[0], the static batch size, which is "
            "None in the function predict traces again for the last batch",
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            returns="predictions for every row of the states (2), not of the batch (1): no error",
        ),
        Cause(
            id="gru-lstm-dropout-one-ignored",
            backends=("tensorflow", "jax", "torch"),
            summary="GRU and LSTM with dropout=1.0 or recurrent_dropout=1.0 drop nothing (dropout: except where "
            "the backend's fused loop runs); SimpleRNN drops everything",
            documented=_DROP_ALL,
            upstream="layers/rnn/gru.py:256 and lstm.py:273 (dropout; 197 and 235 in implementation 1), gru.py:218 "
            "and lstm.py:258 (recurrent_dropout) apply a rate only when 0 < rate < 1; "
            "gru.py:555-561 and lstm.py:536-542 mask the inputs for any rate > 0 for the fused loop only",
            releases=("3.15.1", "3.16.0.dev2026102704"),
            reads=rate_one_skipped,
        ),
        Cause(
            id="bidirectional-go-backwards-refused",
            backends=("tensorflow", "jax", "torch"),
            summary="Bidirectional(layer) with layer.go_backwards=True raises ValueError at construction",
            documented=_BIDI_BACKWARDS,
            upstream="layers/rnn/bidirectional.py:122 sets the generated backward layer's go_backwards to True "
            "whatever the layer's; :158-166 then refuses two layers going the same way",
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            raises=ValueError,
            match="should have different `go_backwards` value",
        ),
        Cause(
            id="lstm-unit-forget-bias-keeps-bias-initializer",
            backends=("tensorflow", "jax", "torch"),
            summary="LSTM(unit_forget_bias=True) initializes the i, c and o gates' biases with bias_initializer, "
            "where its docstring says unit_forget_bias forces bias_initializer='zeros'",
            documented=_FORGET_BIAS,
            upstream="layers/rnn/lstm.py:166-181: with unit_forget_bias the bias is bias_initializer((u,)), "
            "ones((u,)), bias_initializer((2u,)) concatenated: f's block is set to 1 (not 1 added), the others keep "
            "bias_initializer",
            releases=("3.3.0", "3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            returns="bias_initializer's values for the i, c and o gates, and ones for f",
        ),
        Cause(
            id="squareplus-float32-cancellation",
            backends=("tensorflow", "jax", "torch"),
            summary="squareplus loses its precision for x << 0 in float32: squareplus(-1000) is 0.001007 (exact "
            "0.000999999), squareplus(-10000) is 0.0 (exact 0.0001); a layer with squareplus carries the error on",
            documented=_SQUAREPLUS,
            upstream=_SQUAREPLUS_LINE,
            releases=("3.9.2", "3.15.1", "3.16.0.dev2026102704"),
            reads=float32_squareplus,
        ),
        Cause(
            id="tensorflow-cpu-conv-channels-first",
            backends=("tensorflow",),
            summary="ConvLSTM1D and ConvLSTM2D with data_format='channels_first' raise UnimplementedError on a "
            "CPU where TensorFlow runs without oneDNN (its own Conv2D kernel takes NHWC only there); ConvLSTM3D "
            "runs",
            documented="the reference: ConvLSTM1D's and ConvLSTM2D's docstrings take data_format "
            "'channels_last' or 'channels_first', as jax and torch run both; Keras already compiles the 3D "
            "channels_first convolution with XLA for the same CPU gap (backend/tensorflow/nn.py:843)",
            upstream="backend/tensorflow/nn.py:843-850: conv() takes the XLA path only for channels_first with "
            "rank-5 inputs or grouped convolutions; 1D and 2D channels_first go to tf.nn.convolution as NCW / "
            "NCHW, which the CPU Conv2D kernel does not implement",
            releases=("3.3.0", "3.9.2", "3.15.1"),
            raises=Exception,  # tensorflow.errors.UnimplementedError; this module imports no framework
            match="only supports the NHWC tensor format on the CPU",
            machine=tensorflow_runs_without_onednn,
        ),
        Cause(
            id="tensorflow-onednn-conv-one-column",
            backends=("tensorflow",),
            summary="ConvLSTM2D where TensorFlow runs oneDNN's AVX-512 kernels: with 1 input channel, strides "
            "(1, s >= 2), a kernel 2 or more wide, one output column and a batch of 2 or more, every output row after "
            "an image's first is wrong (zeros, another row's window, or uninitialized memory); ConvLSTM3D too, in a "
            "region not characterized (fuzzing found strides (1, 1, 2) on one image)",
            documented="the reference: ConvLSTM2D's and Conv2D's docstrings; TensorFlow without oneDNN "
            "(TF_ENABLE_ONEDNN_OPTS=0), jax and torch compute it, and oneDNN itself for a batch of 1 and with its "
            "AVX2 kernels (forced on a CPU without AVX-512)",
            upstream="TensorFlow's oneDNN Conv2D, not Keras (backend/tensorflow/nn.py:conv passes its arguments "
            "to tf.nn.convolution unchanged): tf.nn.convolution of ones (2, 2, 3, 1) with a (1, 2, 1, 1) kernel, "
            "strides (1, 2), 'VALID' returns row 1 of each image wrong; the rows it returns are the windows at row "
            "i * s, as if the column stride were the row stride too",
            releases=("3.15.1",),
            returns="an image's output rows after the first wrong",
            agrees=onednn_first_rows,
            machine=tensorflow_runs_onednn_avx512,
        ),
        Cause(
            id="jax-onnx-export-reverse-scan",
            backends=("jax",),
            summary="model.export(format='onnx') of a SimpleRNN, GRU(reset_after=False) or LSTM with "
            "go_backwards=True (unroll=False) raises NotImplementedError: Keras's loop is a reversed lax.scan, "
            "which jax2onnx cannot lower",
            documented=_EXPORT_ONNX,
            upstream="backend/jax/rnn.py:198-205 runs go_backwards as lax.scan(..., reverse=True), then flips the "
            "outputs; jax2onnx 0.17.1 (plugins/jax/lax/scan.py:688) raises for a scan with reverse. The unrolled "
            "loop, and GRU(reset_after=True), which flips its inputs and scans forward (jax/rnn.py:503), export",
            releases=("3.15.1", "3.16.0.dev2026102704"),
            raises=NotImplementedError,
            match="Reverse scan is not supported",
            needs=("jax2onnx", "onnxruntime"),
        ),
        Cause(
            id="torch-onnx-export-traced-length",
            backends=("torch",),
            summary="model.export(format='onnx') of a SimpleRNN or GRU(reset_after=False) with go_backwards=True "
            "(unroll=False) writes a graph onnxruntime refuses to load: a ReduceMax over axis 0 of a scalar",
            documented=_EXPORT_ONNX,
            upstream="backend/torch/rnn.py:226-231: traced, input_length (sequences.shape[1], layers/rnn/rnn.py:357) "
            "is a 0-d tensor, which the loop takes for per-sequence lengths; with go_backwards torch.max(input_length, "
            "dim=0) is traced as ReduceMax(axes=[0]) of a rank-0 input. LSTM and GRU(reset_after=True) run their own "
            "loops (torch/rnn.py:575, :793); the unrolled loop does not read input_length",
            releases=("3.15.1", "3.16.0.dev2026102704"),
            raises=Exception,  # onnxruntime's Fail (InvalidGraph) when the session is made
            match=r"ReduceMax.*Input rank was 0",
            needs=("onnxruntime",),
        ),
    ]
}


# onnx.reference (onnx 1.23.2): its RNN, GRU and LSTM operators against the ONNX spec (onnx/defs/rnn/defs.cc and
# onnx/defs/doc_strings.cc, as the onnx wheel ships them) and onnxruntime, which follows it there.


def onnx_reference_without_lengths(case):
    """onnx.reference reads no sequence_lens: every sequence runs the whole time, Y is not padded with zeros."""
    return dataclasses.replace(case, lengths=None)


def onnx_reference_default_gate_activations(case):
    """onnx.reference's GRU and LSTM compute sigmoid and tanh (Keras's defaults) whatever the activations say."""
    return dataclasses.replace(case, activations=()) if case.cell in ("gru", "lstm") else case


def onnx_reference_forward_activation_both_ways(case):
    """onnx.reference's bidirectional RNN runs the forward direction's activation (and its alpha, beta) both ways."""
    if case.cell != "simple" or len(case.activations) != 2:
        return case
    return dataclasses.replace(case, activations=(case.activations[0],) * 2)


_ONNX_LENGTHS = (
    "the spec (onnx/defs/rnn/defs.cc:128-131): sequence_lens gives 'lengths of the sequences in a batch' of X, "
    "'packed (and potentially padded)' (:119); Y_h is 'the last output value of the hidden' (Y past a length is "
    "padding: zero in onnxruntime); only without it are all sequences 'assumed ... to have length seq_length'"
)
_ONNX_ACTIVATIONS = (
    "the spec (onnx/defs/rnn/defs.cc:228-231 GRU, :284-287 LSTM): activations lists 2 (GRU; 4 bidirectional) or 3 "
    "(LSTM; 6) functions for f, g (and h) of the equations (doc_strings.cc:84-90, :461-468), as onnxruntime computes"
)
_ONNX_RNN_FUNCTIONS = (
    "the spec (onnx/defs/doc_strings.cc:1338-1353): an RNN activation is any of Relu, Tanh, Sigmoid and, optional, "
    "Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus; onnxruntime runs them all"
)
_ONNX_RNN_DIRECTIONS = (
    "the spec (onnx/defs/rnn/defs.cc:180-183): 'One (or two if bidirectional) activation function', the second "
    "the reverse direction's (as W is Wi then WBi, :187-190), as onnxruntime reads it"
)
_ONNX_ALPHA = (
    "the spec (onnx/defs/rnn/defs.cc:94-108): activation_alpha and activation_beta 'are consumed in the order of "
    "activation functions': one per function that takes one, as onnxruntime (rnn_helpers.cc) and "
    "rnncheck.onnx_layout.activation_attributes write them; their count is not num_directions"
)

ONNX_CAUSES: dict[str, Cause] = {
    cause.id: cause
    for cause in [
        Cause(
            id="onnx-reference-rnn-alpha-per-direction",
            backends=("onnx.reference",),
            summary="bidirectional RNN: activation_alpha or _beta not one per direction raises RuntimeError "
            "when the session is made ([Tanh, Affine]: alpha [1.0])",
            documented=_ONNX_ALPHA,
            upstream="reference/ops/op_rnn.py:22-35: len(activation_alpha) and len(activation_beta) must be "
            "num_directions",
            releases=("1.23.2",),
            raises=RuntimeError,
            match=r"activation_(alpha|beta) must have the same size as num_directions",
        ),
        Cause(
            id="onnx-reference-rnn-tanh-affine-only",
            backends=("onnx.reference",),
            summary="RNN with an activation other than Tanh or Affine (Relu, Sigmoid, ...) raises RuntimeError "
            "when the session is made",
            documented=_ONNX_RNN_FUNCTIONS,
            upstream="reference/ops/op_rnn.py:68-73: choose_act knows Tanh and Affine, else 'Unknown activation "
            "function'; called for activations[0] (:37) and [1] (:51)",
            releases=("1.23.2",),
            raises=RuntimeError,
            match="Unknown activation function",
        ),
        Cause(
            id="onnx-reference-ignores-sequence-lens",
            backends=("onnx.reference",),
            summary="RNN, GRU, LSTM ignore sequence_lens, silently: every sequence runs all steps (no error; "
            "reads the case without lengths)",
            documented=_ONNX_LENGTHS,
            upstream="reference/ops/op_rnn.py:110, op_gru.py:142, op_lstm.py:153: sequence_lens=None  # noqa: "
            "ARG002, never read; _run_forward loops over all of X (op_rnn.py:93, op_gru.py:47, op_lstm.py:46)",
            releases=("1.23.2",),
            reads=onnx_reference_without_lengths,
        ),
        Cause(
            id="onnx-reference-gru-lstm-ignore-activations",
            backends=("onnx.reference",),
            summary="GRU and LSTM ignore activations (and their alpha, beta), silently: sigmoid and tanh always "
            "(no error; reads the case with the default activations)",
            documented=_ONNX_ACTIVATIONS,
            upstream="reference/ops/op_gru.py:17-21 and op_lstm.py:17-24 hard-code f = sigmoid, g = h = tanh; "
            "activations is never read (op_gru.py:144-146, op_lstm.py:157-159: # noqa: ARG002)",
            releases=("1.23.2",),
            reads=onnx_reference_default_gate_activations,
        ),
        Cause(
            id="onnx-reference-rnn-reverse-uses-forward-activation",
            backends=("onnx.reference",),
            summary="bidirectional RNN runs activations[0] (with alpha[0], beta[0]) in both directions, silently "
            "(no error; reads the case with the forward's activation both ways)",
            documented=_ONNX_RNN_DIRECTIONS,
            upstream="reference/ops/op_rnn.py:37-49 makes f1 of activations[0]; _run_forward (:94) applies f1 "
            "for the forward (:171) and the reverse direction (:178); f2 (:50-65) is never used",
            releases=("1.23.2",),
            reads=onnx_reference_forward_activation_both_ways,
        ),
    ]
}


# onnxruntime's: Softplus as its CPU kernels compute it.

LN_FLOAT32_MAX = float(np.log(np.finfo(np.float32).max))  # 88.72: exp(x) is inf in float32 above it


def _softplus_in_float32(x):
    """log(1 + exp(x)) evaluated as written in float32: inf where exp(x) overflows, x > ln(FLT_MAX) = 88.72."""
    with np.errstate(over="ignore"):
        return np.where(np.asarray(x) > LN_FLOAT32_MAX, np.inf, np.logaddexp(0.0, x))


def onnxruntime_float32_softplus(case):
    """onnxruntime's RNN, GRU and LSTM compute Softplus as log(1 + exp(x)) in float32: the case (an OperatorCase)
    with each Keras "softplus" read as that, inf above 88.72, where the value is x (and what follows from an inf)."""
    read = (_softplus_in_float32, ACTIVATIONS["softplus"][1])
    activations = tuple(
        tuple((name, read if value == "softplus" else value) for name, value in direction)
        for direction in case.activations
    )
    return dataclasses.replace(case, activations=activations) if activations != case.activations else case


ONNXRUNTIME_CAUSES: dict[str, Cause] = {
    cause.id: cause
    for cause in [
        Cause(
            id="onnxruntime-softplus-overflow",
            backends=("onnxruntime",),
            summary="RNN, GRU and LSTM with a Softplus activation return inf (or nan) once a pre-activation "
            "passes 88.72, where Softplus(x) is x: log(1 + exp(x)) in float32 overflows in exp",
            documented="the spec (onnx/defs/doc_strings.cc, the RNN operators' activations): Softplus(x) = "
            "log(1 + e^x), finite for every finite x (about x above 30 in float32); found by a CI run of "
            "test_sequence_lens_is_a_right_padded_keras_mask",
            upstream="onnxruntime/core/providers/cpu/rnn/rnn_activation_functors.h: Softplus(x) returns "
            "log(1 + exp(x)), as written, in T = float; GRU and LSTM overflow alike (run: Softplus at x = 100 "
            "gives a GRU nan, an LSTM inf); x + log1p(exp(-x)) for x > 0 is the same function without overflow",
            releases=("1.32.0",),
            reads=onnxruntime_float32_softplus,
        )
    ]
}

