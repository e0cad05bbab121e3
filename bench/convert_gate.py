"""The gate's model in PyTorch: train it, save it, rnncheck convert it, and compare test accuracies.

    python bench/convert_gate.py [--seed 0]

Prints the Keras model's test accuracy and that of the torch model loaded from the safetensors file
(rnncheck.torch_model.MnistTorch), which must agree to the fourth decimal.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from rnncheck.config import GATE
from rnncheck.data import load_mnist
from rnncheck.export import convert_keras_file
from rnncheck.torch_model import MnistTorch
from rnncheck.train import train_model, versions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = load_mnist()
    model, result = train_model(dataclasses.replace(GATE, seed=args.seed), data, verbose=0)
    _, (x_test, y_test) = data
    with tempfile.TemporaryDirectory() as folder:
        model.save(Path(folder) / "gate.keras")
        record = convert_keras_file(Path(folder) / "gate.keras", Path(folder) / "gate.safetensors")
        torch_model = MnistTorch(**record.module_options)
        torch_model.load_state_dict(load_file(Path(folder) / "gate.safetensors"))
    torch_model.eval()
    with torch.no_grad():
        predicted = torch_model(torch.from_numpy(x_test)).argmax(dim=-1).numpy()
    keras_predicted = model.predict(x_test, batch_size=1024, verbose=0).argmax(axis=-1)
    print(f"machine: {os.cpu_count()} cores, {versions()}")
    print(f"Keras (evaluate):         test accuracy {result.test_accuracy:.4f}")
    print(f"Keras (predict, argmax):  test accuracy {np.mean(keras_predicted == y_test):.4f}")
    print(f"PyTorch from safetensors: test accuracy {np.mean(predicted == y_test):.4f}")
    print(f"predictions that differ: {int(np.sum(predicted != keras_predicted))} of {len(y_test)}")


if __name__ == "__main__":
    main()
