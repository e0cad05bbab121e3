"""rnncheck: check what a Keras recurrent layer really is.

Light on import: TensorFlow loads only with rnncheck.model, rnncheck.train or a download.
"""

__version__ = "0.1.0"
