"""rnncheck's conformance suite: the properties that judge each framework's recurrent layers against the reference.

Shipped with the package, so that an installed rnncheck runs them with no checkout:

    rnncheck conform --backends tensorflow          # each framework in its own process, as a matrix
    pytest --pyargs rnncheck.conformance            # the active KERAS_BACKEND, in this process's pytest
    pytest --rnncheck-conformance                   # the same, from a project's own pytest run (the plugin)

`FOLDER` is where the test files are.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
