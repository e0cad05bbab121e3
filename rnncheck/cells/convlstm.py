"""ConvLSTM1D / 2D / 3D: an LSTM whose matmuls are convolutions over each step's n-D input (Keras's ConvLSTMCell).

With * a convolution (the kernel's strides, padding and dilation_rate for the input; stride 1, "same" padding for
the recurrent kernel, as Keras's recurrent_conv has it) and a the 4f pre-activations:

    a_t = x_t * W + b + h_{t-1} * U      W: (*kernel_size, channels, 4f)   U: (*kernel_size, f, 4f)   b: (4f,)

then the LSTM's gates i, f, c, o on a_t (rnncheck.cells.lstm). So a layer has 4f (prod(kernel_size) (channels + f)
+ 1) parameters. States h and c are (batch, *spatial_out, f) (channels_last; channels_first puts f first).
"""

from __future__ import annotations

import math

import numpy as np

from rnncheck.activations import activation as activation_of
from rnncheck.cells.cell import Cell, Steps
from rnncheck.cells.lstm import gates_back, gates_forward
from rnncheck.checks import check_choice


def conv_output_size(size: int, kernel: int, *, stride: int, dilation: int, padding: str) -> int:
    """Length of one spatial axis after a convolution: ceil(n / s) with "same", else floor((n - d(k-1) - 1) / s) + 1."""
    if padding == "same":
        return -(-size // stride)
    return max((size - dilation * (kernel - 1) - 1) // stride + 1, 0)


def _pads(sizes, kernel_size, strides, dilations, padding):
    """(before, after) zeros per spatial axis, as TensorFlow's and XLA's "same": the extra one goes after."""
    if padding == "valid":
        return [(0, 0)] * len(sizes)
    pads = []
    for n, k, s, d in zip(sizes, kernel_size, strides, dilations, strict=True):
        out = conv_output_size(n, k, stride=s, dilation=d, padding="same")
        total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


class _Conv:
    """An n-D convolution of channels_last x (batch, *spatial, C) with w (*kernel_size, C, F), and its backward."""

    def __init__(self, spatial, kernel_size, *, strides, dilations, padding):
        self.kernel_size, self.strides, self.dilations = tuple(kernel_size), tuple(strides), tuple(dilations)
        self.pads = _pads(spatial, kernel_size, strides, dilations, padding)
        self.padded = tuple(n + a + b for n, (a, b) in zip(spatial, self.pads, strict=True))
        self.out = tuple(
            conv_output_size(n, k, stride=s, dilation=d, padding="valid")
            for n, k, s, d in zip(self.padded, kernel_size, strides, dilations, strict=True)
        )

    def _windows(self):
        for offset in np.ndindex(*self.kernel_size):
            yield offset, tuple(
                slice(o * d, o * d + s * (m - 1) + 1, s)
                for o, d, s, m in zip(offset, self.dilations, self.strides, self.out, strict=True)
            )

    def _pad(self, x):
        return np.pad(x, [(0, 0), *self.pads, (0, 0)])

    def forward(self, x, w):
        x = self._pad(x)
        y = np.zeros((x.shape[0], *self.out, w.shape[-1]))
        for offset, window in self._windows():
            y += x[(slice(None), *window)] @ w[offset]  # (batch, *out, C) @ (C, F)
        return y

    def backward(self, x, w, dy, dw):
        """dL/dx for dy = dL/dy; adds dL/dw into dw."""
        xp = self._pad(x)
        dxp = np.zeros_like(xp)
        axes = tuple(range(dy.ndim - 1))
        for offset, window in self._windows():
            index = (slice(None), *window)
            dw[offset] += np.tensordot(xp[index], dy, axes=(axes, axes))  # (C, F)
            dxp[index] += dy @ w[offset].T
        inner = tuple(slice(a, a + n) for (a, _), n in zip(self.pads, x.shape[1:-1], strict=True))
        return dxp[(slice(None), *inner)]


def _tuple(name, value, rank):
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ValueError(f"{name} must be a positive integer or {rank} of them, got {value!r}")
    return values


def make_steps(rank: int):
    def steps(
        kernel,
        recurrent_kernel,
        bias,
        *,
        kernel_size=None,
        strides=1,
        padding="valid",
        data_format="channels_last",
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
    ) -> Steps:
        if kernel_size is not None and _tuple("kernel_size", kernel_size, rank) != kernel.shape[:rank]:
            raise ValueError(f"kernel_size {kernel_size!r} does not match the kernel's shape {kernel.shape}")
        kernel_size = tuple(kernel.shape[:rank])
        strides, dilations = _tuple("strides", strides, rank), _tuple("dilation_rate", dilation_rate, rank)
        check_choice("padding", padding, ("valid", "same"))
        check_choice("data_format", data_format, ("channels_last", "channels_first"))
        act, ract = activation_of(activation), activation_of(recurrent_activation)
        filters = recurrent_kernel.shape[-2]
        b = 0.0 if bias is None else bias
        first = data_format == "channels_first"
        convs = {}

        def to_last(a):  # (batch, C, *spatial) -> (batch, *spatial, C)
            return np.moveaxis(a, 1, -1) if first else a

        def to_format(a):
            return np.moveaxis(a, -1, 1) if first else a

        def conv_pair(spatial):
            if spatial not in convs:
                inputs = _Conv(spatial, kernel_size, strides=strides, dilations=dilations, padding=padding)
                recurrent = _Conv(inputs.out, kernel_size, strides=(1,) * rank, dilations=(1,) * rank, padding="same")
                convs[spatial] = inputs, recurrent
            return convs[spatial]

        def zero_states(x_t):
            inputs, _ = conv_pair(to_last(x_t).shape[1:-1])
            return tuple(to_format(np.zeros((x_t.shape[0], *inputs.out, filters))) for _ in range(2))

        def step(x_t, states):
            x_t, h, c = to_last(x_t), to_last(states[0]), to_last(states[1])
            inputs, recurrent = conv_pair(x_t.shape[1:-1])
            a = inputs.forward(x_t, kernel) + b + recurrent.forward(h, recurrent_kernel)  # (batch, *out, 4f)
            (h_new, c_new), gates = gates_forward(a, c, act, ract)
            return (to_format(h_new), to_format(c_new)), (x_t, h, gates)

        def back(cache, d_states, grads):
            x_t, h, gates = cache
            dh_new, dc_new = (to_last(d) for d in d_states)
            inputs, recurrent = conv_pair(x_t.shape[1:-1])
            da, dc = gates_back(gates, dh_new, dc_new, act, ract)  # (batch, *out, 4f)
            if "bias" in grads:
                grads["bias"] += da.reshape(-1, da.shape[-1]).sum(axis=0)
            dx = inputs.backward(x_t, kernel, da, grads["kernel"])
            dh = recurrent.backward(h, recurrent_kernel, da, grads["recurrent_kernel"])
            return to_format(dx), (to_format(dh), to_format(dc))

        return Steps(step, back, zero_states)

    return steps


def output_spatial(spatial, *, kernel_size, strides=1, padding="valid", dilation_rate=1) -> tuple[int, ...]:
    """The spatial sizes of ConvLSTMnD's output and states for a step input of `spatial` sizes."""
    rank = len(spatial)
    kernel_size = _tuple("kernel_size", kernel_size, rank)
    strides, dilations = _tuple("strides", strides, rank), _tuple("dilation_rate", dilation_rate, rank)
    return tuple(
        conv_output_size(n, k, stride=s, dilation=d, padding=padding)
        for n, k, s, d in zip(spatial, kernel_size, strides, dilations, strict=True)
    )


CELLS = [
    Cell(
        name=f"convlstm{rank}d",
        keras_class=f"ConvLSTM{rank}D",
        gates=("i", "f", "c", "o"),
        states=("h", "c"),
        options={
            "kernel_size": None,  # the kernel's own (*kernel_size, channels, 4f) says it
            "strides": 1,
            "padding": "valid",
            "data_format": "channels_last",
            "dilation_rate": 1,
            "activation": "tanh",
            "recurrent_activation": "sigmoid",
        },
        bias_shape=lambda units, **_: (4 * units,),
        steps=make_steps(rank),
        rank=rank,
    )
    for rank in (1, 2, 3)
]


def param_formula(*, rank: int, channels: int, filters: int, kernel_size, use_bias: bool = True) -> int:
    """4 * filters * (prod(kernel_size) * (channels + filters) + 1), without the + 1 when use_bias=False."""
    k = math.prod(_tuple("kernel_size", kernel_size, rank))
    return 4 * filters * (k * (channels + filters) + (1 if use_bias else 0))
