"""masking-subnormal-flushed: on the tensorflow and jax backends, keras.layers.Masking(mask_value=0.0) masks a
timestep whose values differ from mask_value only by a subnormal float32: 1e-45 is masked, as if it were 0.0.
Masking's docstring (keras/src/layers/core/masking.py:12-15) masks a timestep only "if all values in the input
tensor at that timestep are equal to `mask_value`", and 1e-45 != 0.0 in float32 (NumPy and torch agree).
compute_mask (masking.py:58) and call (:61-63) compare with ops.not_equal, and tensorflow's and XLA's CPU kernels
flush subnormals to zero (denormals-are-zero), so not_equal(1e-45, 0.0) is False there.

Run: python masking_subnormal_flushed.py [tensorflow|jax]   (exit 1: the bug is there; exit 0: fixed)
"""

import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1] if len(sys.argv) > 1 else "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow 2.21 still writes two INFO lines to stderr on import

import keras  # noqa: E402
import numpy as np  # noqa: E402

x = np.array([[[1e-45], [1.0]]], np.float32)  # (batch, time, features): t=0 holds the subnormal 1e-45, not 0.0
mask_value = 0.0

# Documented: a timestep is masked (False) only if all its values equal mask_value; np.float32(1e-45) != 0.0.
documented = np.any(x != np.float32(mask_value), axis=-1)

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
actual = keras.ops.convert_to_numpy(keras.layers.Masking(mask_value=mask_value).compute_mask(x))
print(f"Keras:      mask {actual.tolist()}")
print(f"documented: mask {documented.tolist()}")
sys.exit(0 if np.array_equal(actual, documented) else 1)
