"""rnncheck: check what a recurrent layer (Keras on any backend, or PyTorch) really is.

Light on import: a Keras backend loads only with model, train, autodiff or export (or a download of
MNIST), and torch only with torch_model; the CLI's `params` imports no framework.
"""

__version__ = "0.1.0"
