"""What one `keras.ops.conv` call costs on each Keras backend, by rank and data format: the ConvLSTM properties' floor.

    python bench/keras_conv_call.py [--calls 20] [--backends tensorflow jax torch]
    python bench/keras_conv_call.py --suite

A ConvLSTM step makes 8 convolutions (4 gates, input and recurrent), so a ConvLSTM example costs at least 8 *
steps calls. On tensorflow Keras 3.15 wraps a 5-D channels_first convolution (ConvLSTM3D's) in a
`tf.function(jit_compile=True)` defined inside `conv` (keras/src/backend/tensorflow/nn.py): a new function every
call, so each call traces it, with the inputs as constants, and XLA compiles and folds it again. The script shows
that cost beside the same convolution channels_last and, on tensorflow, beside the fix proposed upstream (one
tf.function taking the inputs as arguments, bench/conv_xla_reused.py; docs/upstream/performance/), with whether
each gives channels_last's values. --suite runs the ConvLSTM properties on tensorflow as they are and with the
fix, and prints both times and outcomes. A convolution the backend cannot run is shown as its error
(tensorflow's CPU 2-D channels_first without oneDNN: `tensorflow-cpu-conv-channels-first`). Each backend runs in
its own process; each line is the median of --calls warm calls (after one first call, shown apart) of the same
inputs.
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


def timed(conv, inputs, kernel, data_format, calls: int):
    """(the first call's seconds, the median of `calls` warm calls' seconds, the output as NumPy)."""
    import numpy as np

    times = []
    for _ in range(calls + 1):
        start = time.perf_counter()
        output = np.asarray(conv(inputs, kernel, data_format=data_format))
        times.append(time.perf_counter() - start)
    return times[0], sorted(times[1:])[calls // 2], output


def measure(calls: int) -> None:
    import keras
    import numpy as np

    fixed = None
    if keras.backend.backend() == "tensorflow":
        from conv_xla_reused import conv_with_one_xla_function
        from keras.src.backend.tensorflow import nn

        fixed = conv_with_one_xla_function(nn.conv)
    rng = np.random.default_rng(0)
    for name, shape, kernel_shape in CASES:
        x = rng.standard_normal(shape).astype("float32")
        kernel = rng.standard_normal(kernel_shape).astype("float32")
        outputs = {}  # data_format -> the output, channels_last
        for data_format in ("channels_last", "channels_first"):
            inputs = x if data_format == "channels_last" else np.moveaxis(x, -1, 1).copy()
            try:
                first, warm, output = timed(keras.ops.conv, inputs, kernel, data_format, calls)
            except Exception as error:  # tensorflow's CPU 2-D channels_first without oneDNN (a recorded cause)
                message = re.sub(r"^\{\{.*?\}\}\s*", "", str(error)).splitlines()[0][:80]  # less TF's node name
                print(f"  {name} {data_format:<15} fails: {type(error).__name__}: {message}")
                continue
            outputs[data_format] = output if data_format == "channels_last" else np.moveaxis(output, 1, -1)
            line = f"  {name} {data_format:<15} first {first * 1e3:8.2f} ms, then {warm * 1e3:7.2f} ms a call"
            print(line, flush=True)
            if fixed is not None and name == "3-D" and data_format == "channels_first":
                print(f"    {differs(outputs['channels_first'], outputs['channels_last'])} channels_last's")
                first, warm_fixed, output = timed(fixed, inputs, kernel, data_format, calls)
                print(f"  {name} {data_format:<15} first {first * 1e3:8.2f} ms, then {warm_fixed * 1e3:7.2f} ms a call "
                      f"through one tf.function (the fix: {warm / warm_fixed:.1f}x faster)")  # fmt: skip
                print(f"    {differs(np.moveaxis(output, 1, -1), outputs['channels_last'])} channels_last's")


def differs(output, other) -> str:
    """'the same values as' or how far output is from other."""
    import numpy as np

    if np.array_equal(output, other):
        return "the same values, bit for bit, as"
    largest = np.abs(output - other).max()
    return f"{np.sum(output != other)} of {output.size} values differ (by at most {largest:.2g}) from"


SUITE = "rnncheck/conformance/test_convlstm.py"


def suite() -> int:
    """test_convlstm.py on tensorflow (-n 0, the ci profile), as it is and with the fix: wall time and outcomes."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", "CI": "true",
           "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}  # fmt: skip
    print(f"machine: {os.cpu_count()} cores; {SUITE} on tensorflow, -n 0, Hypothesis's ci profile", flush=True)
    seconds, outcomes = {}, {}
    for label, plugin in (("as it is", []), ("with the fix", ["-p", "conv_xla_reused"])):
        command = [sys.executable, "-m", "pytest", SUITE, "-q", "-n", "0", "-p", "no:cacheprovider", *plugin]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        seconds[label] = time.perf_counter() - start
        summary = (done.stdout.strip().splitlines() or ["no output"])[-1].strip("= ")
        outcomes[label] = re.sub(r" in [\d.]+s.*", "", summary)  # the counts, less pytest's own time
        print(f"  {label:<12} {seconds[label]:6.1f} s: {summary}", flush=True)
        if done.returncode:
            print(done.stdout[-3000:], file=sys.stderr)
            return done.returncode
    same = len(set(outcomes.values())) == 1
    print(f"  the fix: {seconds['as it is'] / seconds['with the fix']:.2f}x faster, "
          f"{'the same outcomes' if same else 'OTHER OUTCOMES'}")  # fmt: skip
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="warm calls per line (default 20)")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--suite", action="store_true", help=f"time {SUITE} on tensorflow with and without the fix")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # in the backend's own process
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    if args.measure:
        measure(args.calls)
        return 0
    if args.suite:
        return suite()
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
