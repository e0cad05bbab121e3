"""What one `keras.ops.conv` call costs on each Keras backend, by rank and data format: the ConvLSTM properties' floor.

    python bench/keras_conv_call.py [--calls 20] [--backends tensorflow jax torch]

A ConvLSTM step makes 8 convolutions (4 gates, input and recurrent), so a ConvLSTM example costs at least 8 *
steps calls. On tensorflow Keras 3.15 wraps a 5-D channels_first convolution (ConvLSTM3D's) in a
`tf.function(jit_compile=True)` defined inside `conv` (keras/src/backend/tensorflow/nn.py): a new function every
call, so each call traces it and hands XLA a graph again. The script shows that cost beside the same
convolution channels_last. A convolution the backend cannot run is shown as its error (tensorflow's CPU 2-D
channels_first without oneDNN: `tensorflow-cpu-conv-channels-first`). Each backend runs in its own process; each
line is the median of --calls warm calls (after one first call, shown apart) of the same inputs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

CASES = [  # (name, inputs shape channels_last, kernel shape): small, as the properties draw them
    ("2-D", (2, 5, 5, 3), (2, 2, 3, 4)),
    ("3-D", (2, 4, 4, 4, 3), (2, 2, 2, 3, 4)),
]


def measure(calls: int) -> None:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    for name, shape, kernel_shape in CASES:
        x = rng.standard_normal(shape).astype("float32")
        kernel = rng.standard_normal(kernel_shape).astype("float32")
        for data_format in ("channels_last", "channels_first"):
            inputs = x if data_format == "channels_last" else np.moveaxis(x, -1, 1).copy()
            times = []
            try:
                for _ in range(calls + 1):
                    start = time.perf_counter()
                    np.asarray(keras.ops.conv(inputs, kernel, data_format=data_format))
                    times.append(time.perf_counter() - start)
            except Exception as error:  # tensorflow's CPU 2-D channels_first without oneDNN (a recorded cause)
                message = re.sub(r"^\{\{.*?\}\}\s*", "", str(error)).splitlines()[0][:80]  # less TF's node name
                print(f"  {name} {data_format:<15} fails: {type(error).__name__}: {message}")
                continue
            first, warm = times[0], sorted(times[1:])[calls // 2]
            line = f"  {name} {data_format:<15} first {first * 1e3:8.2f} ms, then {warm * 1e3:7.2f} ms a call"
            print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="warm calls per line (default 20)")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # in the backend's own process
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    if args.measure:
        measure(args.calls)
        return 0
    print(f"machine: {os.cpu_count()} cores; median of {args.calls} warm calls of keras.ops.conv", flush=True)
    for backend in args.backends:
        print(f"{backend}:", flush=True)
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run([sys.executable, __file__, "--measure", "--calls", str(args.calls)], env=env)
        if done.returncode:
            print(f"{backend}: the measuring process exited {done.returncode}", file=sys.stderr)
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
