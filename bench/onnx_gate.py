"""The gate's model in onnxruntime: convert a saved model (or train the gate's), and compare test accuracies.

    python bench/onnx_gate.py [--model FILE.keras] [--seed 0]

Without --model it trains the gate (rnncheck.config.GATE) as bench/convert_gate.py does. Either way it converts the
model with rnncheck.onnx_graph.convert_keras_to_onnx, runs the 10,000 MNIST test images through onnxruntime and
prints Keras's test accuracy, onnxruntime's, and how many of the 10,000 predictions differ.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime

from rnncheck.config import GATE
from rnncheck.data import load_mnist
from rnncheck.model import load_keras_model
from rnncheck.onnx_graph import convert_keras_to_onnx
from rnncheck.train import train_model, versions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a saved .keras model (default: train the gate's)")
    parser.add_argument("--seed", type=int, default=0, help="the gate's seed, when training it")
    args = parser.parse_args()
    data = load_mnist()
    _, (x_test, y_test) = data
    evaluated = None
    with tempfile.TemporaryDirectory() as folder:
        if args.model is None:
            model, result = train_model(dataclasses.replace(GATE, seed=args.seed), data, verbose=0)
            evaluated = result.test_accuracy
            model_path = Path(folder) / "gate.keras"
            model.save(model_path)
        else:
            model_path = args.model
            model = load_keras_model(model_path)
        record = convert_keras_to_onnx(model_path, Path(folder) / "gate.onnx")
        session = onnxruntime.InferenceSession(str(Path(folder) / "gate.onnx"), providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    probabilities = np.concatenate(
        [session.run(None, {"input": x_test[i : i + 1000]})[0] for i in range(0, len(x_test), 1000)]
    )
    onnx_seconds = time.perf_counter() - start
    predicted = probabilities.argmax(axis=-1)
    keras_probabilities = model.predict(x_test, batch_size=1024, verbose=0)
    keras_predicted = keras_probabilities.argmax(axis=-1)
    print(f"machine: {os.cpu_count()} cores, {versions()}, onnxruntime {onnxruntime.__version__}")
    print(f"model: {model_path.name if args.model else 'the gate, trained now'}; "
          f"ONNX opset {record.opset}, layers {[layer.keras_class for layer in record.layers]}, "
          f"{record.parameters} parameters")  # fmt: skip
    if evaluated is not None:
        print(f"Keras (evaluate):         test accuracy {evaluated:.4f}")
    print(f"Keras (predict, argmax):  test accuracy {np.mean(keras_predicted == y_test):.4f}")
    print(f"onnxruntime:              test accuracy {np.mean(predicted == y_test):.4f} ({onnx_seconds:.2f} s)")
    print(f"predictions that differ: {int(np.sum(predicted != keras_predicted))} of {len(y_test)}")
    print(f"largest probability difference: {float(np.max(np.abs(probabilities - keras_probabilities))):.2g}")


if __name__ == "__main__":
    main()
