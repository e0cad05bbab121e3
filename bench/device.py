"""The device run: the conformance properties on a CUDA GPU, against the same NumPy reference, in one command.

    python bench/device.py --prepare     # here, with the package registry: Keras's wheels for the device, into .whl/
    python3 bench/device.py              # there (or anywhere): runs everything below and prints one report

What it runs, each in its own process (KERAS_BACKEND set, Hypothesis's derandomized ci profile):
- Keras on jax and on torch: the layer, Bidirectional, stack and gradient properties (rnncheck/conformance), with
  rnncheck.conformance.fused counting the calls of Keras's fused cuDNN LSTM/GRU that ran, the proof that the
  fused path was taken and not the generic loop;
- PyTorch's nn.RNN / nn.GRU / nn.LSTM with RNNCHECK_DEVICE=cuda (conformance/test_pytorch.py): cuDNN's kernels,
  packed sequences, bidirectional and stacked layers, autograd, with TF32 off (float32 tolerances as on the CPU:
  rtol 1e-5, atol 1e-5; gradients rtol 1e-4, atol 1e-5).
Without a GPU the same command runs the CPU path and says plainly that no GPU kernel was exercised.
The device has torch, jax, hypothesis, pytest and onnxruntime but no Keras and no network: --prepare fetches the
wheels Keras needs that it lacks (keras, namex, optree, for Python 3.12), and this script installs them there
into a folder of its own (/tmp/rnncheck-site), not into the system.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / ".whl"
SITE = Path(tempfile.gettempdir()) / "rnncheck-site"
KERAS_WHEELS = ("keras==3.15.1", "namex", "optree")  # what the device lacks of Keras's requirements
PROPERTIES = ["test_reference.py", "test_bidirectional.py", "test_gradients.py"]


def prepare() -> int:
    """Download the wheels for the device's Python (3.12, x86-64 Linux) into .whl/."""
    WHEELS.mkdir(exist_ok=True)
    platforms = [f"--platform={p}" for p in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version=3.12",
               "--implementation=cp", *platforms, "-d", str(WHEELS), *KERAS_WHEELS]  # fmt: skip
    print(" ".join(command))
    return subprocess.run(command).returncode


def environment() -> dict:
    """This process's environment with Keras importable: as installed, or from .whl/ unpacked into SITE."""
    env = {**os.environ, "CI": "true", "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    paths = [str(ROOT)]
    probe = subprocess.run([sys.executable, "-c", "import keras"], capture_output=True)
    if probe.returncode != 0:
        wheels = sorted(WHEELS.glob("*.whl"))
        if not wheels:
            sys.exit("Keras is not installed and .whl/ holds no wheels: run `python bench/device.py --prepare` first")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                        "--upgrade", "--target", str(SITE), *map(str, wheels)], check=True)  # fmt: skip
        paths.append(str(SITE))
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def gpu() -> dict:
    """What each library sees: torch's CUDA device and cuDNN, jax's default backend."""
    seen = {}
    try:
        import torch

        seen["torch"] = torch.__version__
        seen["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        seen["cudnn"] = torch.backends.cudnn.version() if torch.cuda.is_available() else None
    except ImportError:
        seen["torch"] = None
    try:
        import jax

        seen["jax"] = jax.__version__
        seen["jax backend"] = jax.default_backend()
    except ImportError:
        seen["jax"] = None
    return seen


def pytest(files: list[str], env: dict, *, junit: Path, extra: list[str] = ()) -> dict:
    folder = ROOT / "rnncheck" / "conformance"
    command = [sys.executable, "-m", "pytest", *(str(folder / f) for f in files), "-q", "-p", "no:cacheprovider",
               "--disable-plugin-autoload", "-p", "hypothesispytest", f"--rootdir={folder.parent}",
               f"--junitxml={junit}", *extra]  # fmt: skip
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    from rnncheck.conform import read_junit

    outcomes = read_junit(junit) if junit.is_file() else ()
    counts = {status: sum(o.status == status for o in outcomes) for status in ("passed", "divergence", "failed")}
    failures = [f"{o.test}: {o.message}" for o in outcomes if o.status == "failed"]
    tail = "" if outcomes else (completed.stdout + completed.stderr)[-1500:]
    return {**counts, "seconds": round(seconds, 1), "failures": failures, "output": tail}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help="download the wheels the device lacks into .whl/")
    parser.add_argument("--backends", nargs="+", default=["jax", "torch"], help="Keras backends (default jax torch)")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments (-k NAME for a smoke run)")
    args = parser.parse_args()
    if args.prepare:
        return prepare()
    env = environment()
    sys.path[:0] = [p for p in env["PYTHONPATH"].split(os.pathsep) if p]
    seen = gpu()
    on_gpu = bool(seen.get("cuda")) or seen.get("jax backend") == "gpu"
    print(f"rnncheck device run: {json.dumps(seen)}", flush=True)
    report = {"device": seen, "keras": {}, "pytorch": None}
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends:
            counts = Path(folder) / f"fused-{backend}.json"
            run_env = {**env, "KERAS_BACKEND": backend, "RNNCHECK_FUSED_COUNTS": str(counts)}
            result = pytest(PROPERTIES, run_env, junit=Path(folder) / f"{backend}.xml",
                            extra=["-p", "rnncheck.conformance.fused", *args.pytest_args])  # fmt: skip
            result["fused"] = json.loads(counts.read_text()) if counts.is_file() else None
            report["keras"][backend] = result
            ok &= not result["failed"] and not result["output"]
            tally = f"{result['passed']} passed, {result['divergence']} known, {result['failed']} failed"
            print(f"keras/{backend}: {tally} in {result['seconds']} s; fused kernels: {result['fused']}", flush=True)
            for failure in result["failures"]:
                print(f"  FAILED {failure}")
            if result["output"]:
                print(result["output"])
        device = "cuda" if seen.get("cuda") else "cpu"
        result = pytest(["test_pytorch.py"], {**env, "RNNCHECK_DEVICE": device}, junit=Path(folder) / "pytorch.xml",
                        extra=args.pytest_args)  # fmt: skip
        report["pytorch"] = {"device": device, **result}
        ok &= not result["failed"] and not result["output"]
        print(f"pytorch ({device}): {result['passed']} passed, {result['failed']} failed in {result['seconds']} s")
        for failure in result["failures"]:
            print(f"  FAILED {failure}")
    if not on_gpu:
        print("no GPU: the CPU path ran; no GPU kernel (cuDNN, fused LSTM/GRU) was exercised")
    else:
        ran = sum(r["fused"]["lstm ran"] + r["fused"]["gru ran"] for r in report["keras"].values() if r["fused"])
        print(f"fused Keras kernels that ran: {ran}" + ("" if ran else " (none: the generic loop ran everywhere)"))
    out = os.environ.get("OUT")
    if out:
        Path(out, "device.json").write_text(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
