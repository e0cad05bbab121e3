"""Performance figures for the README, measured in one run on this machine.

    python bench/performance.py [--seeds 0 1 2 3 4] [--skip-suite]

Prints: the gate's accuracy and fit time for each seed; the gate's samples per second against
the same model trained the plain way (float64 inputs, one-hot labels, model.fit defaults);
the default test suite's wall time; load_mnist's time and peak memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import subprocess
import sys
import time

import numpy as np

from rnncheck.config import GATE
from rnncheck.data import load_mnist, one_hot
from rnncheck.model import keras
from rnncheck.train import train

LOADING = """
import time, tracemalloc
from rnncheck.data import load_mnist
load_mnist()  # warm the page cache: measure the loader, not the disk
tracemalloc.start()
start = time.perf_counter()
(x_train, _), (x_test, _) = load_mnist()
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
result = (x_train.nbytes + x_test.nbytes) / 2**20
print(f"load_mnist: {seconds:.2f} s, peak {peak / 2**20:.0f} MiB traced (the float32 result alone is {result:.0f} MiB)")
"""


def measure_loading() -> None:
    """In a fresh process: tracemalloc slows everything that runs after it in the same one."""
    subprocess.run([sys.executable, "-c", LOADING], check=True)


def plain_fit(data, *, seed: int) -> tuple[float, float]:
    """The classic script's way: float64 pixels / 255, one-hot labels, categorical loss, fit defaults."""
    (x_train, y_train), (x_test, y_test) = data
    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.SimpleRNN(GATE.units), keras.layers.Dense(10, activation="softmax")]
    )
    learning_rate = GATE.learning_rate
    if GATE.cosine_decay:  # the same schedule as the gate: only the way of training differs
        steps = GATE.epochs * math.ceil(len(x_train) / GATE.batch_size)
        learning_rate = keras.optimizers.schedules.CosineDecay(GATE.learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=GATE.clipnorm),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    x64, y_hot = x_train.astype(np.float64), one_hot(y_train)
    start = time.perf_counter()
    model.fit(x64, y_hot, batch_size=GATE.batch_size, epochs=GATE.epochs, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = model.evaluate(x_test.astype(np.float64), one_hot(y_test), batch_size=1024, verbose=0)[1]
    return accuracy, seconds


def measure_training(seeds: list[int]) -> None:
    data = load_mnist()
    samples = GATE.epochs * len(data[0][0])
    print(f"gate: {GATE}")
    gate_rates = []
    for seed in seeds:
        result = train(dataclasses.replace(GATE, seed=seed), data, verbose=0)
        gate_rates.append(samples / result.fit_seconds)
        print(
            f"  seed {seed}: test accuracy {result.test_accuracy:.4f}, "
            f"fit {result.fit_seconds:.2f} s, {gate_rates[-1]:,.0f} samples/s"
        )
    accuracy, seconds = plain_fit(data, seed=seeds[0])
    plain_rate = samples / seconds
    print(
        f"plain way (seed {seeds[0]}): test accuracy {accuracy:.4f}, fit {seconds:.2f} s, {plain_rate:,.0f} samples/s"
    )
    gate_median = float(np.median(gate_rates))
    print(f"gate / plain samples per second: {gate_median / plain_rate:.2f}x (gate median {gate_median:,.0f})")


def measure_suite() -> None:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else "(no output)"
    print(f"default test suite: {seconds:.1f} s wall ({summary})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--skip-suite", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, keras {keras.__version__}, numpy {np.__version__}")
    measure_loading()
    measure_training(args.seeds)
    if not args.skip_suite:
        measure_suite()


if __name__ == "__main__":
    main()
