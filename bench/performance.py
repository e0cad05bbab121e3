"""Performance figures for the README, measured in one run on this machine.

    python bench/performance.py [--seeds 0-4] [--no-plain]
    python bench/performance.py --seeds 0-29 --no-plain     # the gate's accuracy for 30 seeds
    python bench/performance.py --seeds 0 0 1 --no-plain    # a seed given twice: is it deterministic?

Prints the machine (cores, library versions); load_mnist's time and peak memory; the floor (the gate's
matmul FLOPs over the matmul throughput this machine reaches in NumPy float32, measured in this run);
the gate's accuracy, fit time and fit / floor for each seed; the same model trained the plain way
(float64 inputs, one-hot labels, model.fit defaults) and its ratio. The suite's time: bench/suite.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from rnncheck.cells import cell as cell_facts
from rnncheck.config import GATE, TrainConfig, for_backend
from rnncheck.data import load_mnist, one_hot
from rnncheck.model import build_model, keras, make_optimizer
from rnncheck.train import train, versions

MIN_ACCURACY = 0.93  # the gate's threshold (conftest.py's --min-accuracy default)

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

# Run in a fresh process: NumPy's BLAS reads its thread count once, when it loads.
MATMUL_RATE = """
import json, sys, time
import numpy as np
def rate(m, k, n, repeats=7, seconds=0.03):
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    calls = 1
    while True:  # enough calls that one repeat takes `seconds`
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(a, b, out=out)
        if time.perf_counter() - start > seconds:
            break
        calls *= 2
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2 * m * k * n * calls / best
print(json.dumps([rate(*shape) for shape in json.loads(sys.argv[1])]))
"""


@dataclass(frozen=True)
class GateFlops:
    """The gate's matmul FLOPs for a whole fit, split by the shape that runs them (2 FLOPs per multiply-add).

    Counted, per sample over T steps (d inputs, u units, G gates: g = G*u columns, k classes):
      sequential, each a (batch, u) @ (u, g): forward h_{t-1} U (T of them), the state gradient
        dz_t U^T (T - 1: nothing flows into the zero initial state), the recurrent kernel's gradient
        h_{t-1}^T dz_t (T), so (3T - 1) * 2ug;
      batched, all steps at once as a (batch * T, d) @ (d, g): the input x_t W and the input kernel's
        gradient x_t^T dz_t (2T * 2dg; no gradient flows into the data), and the Dense head (forward,
        kernel gradient, input gradient: 3 * 2uk).
    Not counted: elementwise work (bias, tanh, softmax, Adam's update), O(u) per step against O(u^2).
    """

    sequential: float
    batched: float

    @property
    def total(self) -> float:
        return self.sequential + self.batched


def gate_flops(
    config: TrainConfig, *, train_size: int, time_steps: int = 28, input_size: int = 28, num_classes: int = 10
) -> GateFlops:
    """GateFlops of config's fit: epochs * train_size samples through its recurrent layer and the Dense head."""
    t, d, u, k = time_steps, input_size, config.units, num_classes
    g = cell_facts(config.cell).gate_count * u
    samples = config.epochs * train_size
    return GateFlops(
        sequential=samples * (3 * t - 1) * 2 * u * g,
        batched=samples * (2 * t * 2 * d * g + 3 * 2 * u * k),
    )


@dataclass(frozen=True)
class Floor:
    """The fit time this CPU's matmuls allow: each FLOP class at the rate NumPy reaches for its shape."""

    flops: GateFlops
    sequential_shape: tuple[int, int, int]  # (m, k, n) of the step's matmul: (batch, u) @ (u, G*u)
    batched_shape: tuple[int, int, int]  # (batch * T, d) @ (d, G*u)
    sequential_rate: float  # FLOP/s, the best over thread counts, processes and repeats
    batched_rate: float
    rates: dict  # threads -> [sequential, batched] FLOP/s as measured

    @property
    def seconds(self) -> float:
        return self.flops.sequential / self.sequential_rate + self.flops.batched / self.batched_rate


def matmul_rates(shapes: list[tuple[int, int, int]], *, threads: int) -> list[float]:
    """Float32 matmul FLOP/s for each (m, k, n) in NumPy, in a fresh process with `threads` BLAS threads."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    env = dict(os.environ, **{name: str(threads) for name in names})
    completed = subprocess.run(
        [sys.executable, "-c", MATMUL_RATE, json.dumps(shapes)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def measure_floor(
    config: TrainConfig, *, train_size: int, time_steps: int = 28, input_size: int = 28, tries: int = 3
) -> Floor:
    """Floor of config's fit, from matmul rates measured now with 1 and with all BLAS threads.

    Each in `tries` fresh processes, keeping the best: a BLAS thread that waits for a core another
    process holds can make a matmul a hundred times slower, and that says nothing of this CPU.
    """
    columns = cell_facts(config.cell).gate_count * config.units
    sequential = (config.batch_size, config.units, columns)
    batched = (config.batch_size * time_steps, input_size, columns)
    rates = {}
    for threads in sorted({1, os.cpu_count() or 1}):
        measured = [matmul_rates([sequential, batched], threads=threads) for _ in range(tries)]
        rates[threads] = [max(column) for column in zip(*measured, strict=True)]
    return Floor(
        flops=gate_flops(config, train_size=train_size, time_steps=time_steps, input_size=input_size),
        sequential_shape=sequential,
        batched_shape=batched,
        sequential_rate=max(rate[0] for rate in rates.values()),
        batched_rate=max(rate[1] for rate in rates.values()),
        rates=rates,
    )


def best_floor(a: Floor, b: Floor) -> Floor:
    """The faster of two measurements of the same floor (a busy machine only ever makes a floor slower)."""
    rates = {
        threads: [max(x, y) for x, y in zip(a.rates[threads], b.rates[threads], strict=True)] for threads in a.rates
    }
    return dataclasses.replace(
        a,
        sequential_rate=max(a.sequential_rate, b.sequential_rate),
        batched_rate=max(a.batched_rate, b.batched_rate),
        rates=rates,
    )


def describe_floor(floor: Floor) -> str:
    (m, k, n), (bm, bk, bn) = floor.sequential_shape, floor.batched_shape
    measured = "; ".join(
        f"{threads} thread{'s' * (threads > 1)}: {seq / 1e9:.0f} and {bat / 1e9:.0f}"
        for threads, (seq, bat) in floor.rates.items()
    )
    flops = floor.flops
    single, *others = floor.rates.values()
    if any(rate < one / 2 for rates in others for rate, one in zip(rates, single, strict=True)):
        measured += " (more threads half as fast as one: another process held a core, so this floor is too slow)"
    return (
        f"floor: {flops.total / 1e9:.1f} GFLOP of matmuls = {floor.seconds:.2f} s\n"
        f"  {flops.sequential / 1e9:.1f} GFLOP sequential, ({m}, {k}) @ ({k}, {n}) "
        f"at {floor.sequential_rate / 1e9:.0f} GFLOP/s; {flops.batched / 1e9:.1f} GFLOP batched, "
        f"({bm}, {bk}) @ ({bk}, {bn}) at {floor.batched_rate / 1e9:.0f} GFLOP/s\n"
        f"  NumPy float32 GFLOP/s (best of before and after the fits), sequential and batched shape: {measured}"
    )


def measure_loading() -> None:
    """In a fresh process: tracemalloc slows everything that runs after it in the same one."""
    subprocess.run([sys.executable, "-c", LOADING], check=True)


def plain_fit(config: TrainConfig, data) -> tuple[float, float]:
    """The classic script's way: float64 pixels, one-hot labels, categorical loss, SimpleRNN and compile defaults.

    The model, optimizer and schedule are the gate's (build_model, make_optimizer); only the way of
    training differs: no unroll, one step per call, float64 inputs, one-hot labels.
    """
    (x_train, y_train), (x_test, y_test) = data
    plain = dataclasses.replace(config, unroll=False, steps_per_execution=1)
    keras.utils.clear_session()
    keras.utils.set_random_seed(plain.seed)
    model = build_model(plain, train_size=len(x_train), time_steps=x_train.shape[1], input_size=x_train.shape[2])
    model.compile(
        optimizer=make_optimizer(plain, train_size=len(x_train)), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    x64, y_hot = x_train.astype(np.float64), one_hot(y_train)
    start = time.perf_counter()
    model.fit(x64, y_hot, batch_size=plain.batch_size, epochs=plain.epochs, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = model.evaluate(x_test.astype(np.float64), one_hot(y_test), batch_size=1024, verbose=0)[1]
    return accuracy, seconds


def measure_training(seeds: list[int], *, plain: bool) -> None:
    data = load_mnist()
    (x_train, _), _ = data
    gate = for_backend(GATE, keras.backend.backend())
    shape = {"train_size": len(x_train), "time_steps": x_train.shape[1], "input_size": x_train.shape[2]}
    floor = measure_floor(gate, **shape)
    samples = gate.epochs * len(x_train)
    print(f"gate: {gate}")
    first, fits = {}, []
    for seed in seeds:
        result = train(dataclasses.replace(gate, seed=seed), data, verbose=0)
        fits.append(result.fit_seconds)
        line = f"  seed {seed}: test accuracy {result.test_accuracy:.4f}, fit {result.fit_seconds:.2f} s"
        if seed in first:
            same = (result.test_loss, result.test_accuracy, result.history) == (
                first[seed].test_loss,
                first[seed].test_accuracy,
                first[seed].history,
            )
            line += f" (again: {'identical' if same else 'DIFFERENT'} loss, accuracy and per-epoch history)"
        first.setdefault(seed, result)
        print(line, flush=True)
    floor = best_floor(floor, measure_floor(gate, **shape))  # measured before and after the fits
    print(describe_floor(floor))
    fit = np.array(fits)
    print(f"  fit / floor per fit: {' '.join(f'{s / floor.seconds:.2f}' for s in fits)}")
    accuracies = {seed: r.test_accuracy for seed, r in first.items()}
    worst = min(accuracies, key=accuracies.get)
    passed = sum(a >= MIN_ACCURACY for a in accuracies.values())
    print(
        f"gate over {len(fits)} fits: fit min {fit.min():.2f} / median {np.median(fit):.2f} / max {fit.max():.2f} s, "
        f"fit / floor min {fit.min() / floor.seconds:.2f} / median {np.median(fit) / floor.seconds:.2f}, "
        f"{samples / np.median(fit):,.0f} samples/s (median)\n"
        f"  test accuracy min {accuracies[worst]:.4f} (seed {worst}), "
        f"{passed}/{len(accuracies)} seeds >= {MIN_ACCURACY}"
    )
    if plain:
        accuracy, seconds = plain_fit(dataclasses.replace(gate, seed=seeds[0]), data)
        print(
            f"plain way (seed {seeds[0]}): test accuracy {accuracy:.4f}, fit {seconds:.2f} s, "
            f"{samples / seconds:,.0f} samples/s, fit / floor {seconds / floor.seconds:.2f} "
            f"(the gate's median fit is {seconds / np.median(fit):.2f}x faster)"
        )


def seed_list(values: list[str]) -> list[int]:
    """Seeds as given: integers and inclusive ranges ("0-29"), in order, repeats kept."""
    seeds = []
    for value in values:
        low, dash, high = value.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise argparse.ArgumentTypeError(f"--seeds: not a seed or a range LOW-HIGH: {value!r}")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", default=["0-4"], help="seeds and ranges: 0 1 2, 0-29 (default 0-4)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-way fit")
    args = parser.parse_args()
    try:
        seeds = seed_list(args.seeds)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    facts = versions()
    backend = facts["backend"]
    print(
        f"machine: {facts['cpu_count']} cores ({facts['machine']}), python {facts['python']}, "
        f"keras {facts['keras']}, backend {backend} {facts[backend]}, numpy {facts['numpy']}"
    )
    measure_loading()
    measure_training(seeds, plain=not args.no_plain)


if __name__ == "__main__":
    main()
