"""CI: each framework's column found every divergence cause recorded for it.

usage: every_cause.py REPORT FRAMEWORK[,FRAMEWORK...] [REPORT FRAMEWORK[,...] ...]

A REPORT.xml is JUnit XML from the checkout's `pytest` (every file on tensorflow, the default backend, which is
also the pytorch and onnxruntime columns); any other REPORT is the matrix `rnncheck conform` printed (jax and
torch, from the installed wheel). A column that ran none of a cause's occurrences as a known divergence has
stopped judging it (a strict xfail that passed already fails the run); a cause whose machine check says it cannot
hold here (tensorflow-cpu-conv-channels-first where oneDNN runs NCHW) is not expected. Exits 1 naming the column
and the causes.
"""

import re
import sys
from pathlib import Path

from rnncheck.conform import read_junit
from rnncheck.conformance.causes import CAUSES, ONNX_CAUSES, ONNXRUNTIME_CAUSES
from rnncheck.frameworks import CLAIMED, FRAMEWORKS

TAG = re.compile(r"\[([a-z0-9-]+)\]$")  # a divergence's reason ends in its cause's id
ALSO = {"onnxruntime": ("onnx.reference",)}  # test_onnx.py, in onnxruntime's column, judges onnx.reference too


def recorded(framework: str) -> set[str]:
    """The causes recorded for the frameworks `framework`'s column judges that can hold on this machine."""
    names = {framework, *ALSO.get(framework, ())}
    tables = (CAUSES, ONNX_CAUSES, ONNXRUNTIME_CAUSES)
    causes = [cause for table in tables for cause in table.values() if names & set(cause.backends)]
    return {cause.id for cause in causes if cause.holds_here()}


def in_column(framework: str, test: str) -> bool:
    """Whether conform's column of `framework` runs `test` (conformance/test_x.py::...)."""
    file = Path(test.split("::")[0]).name
    own = FRAMEWORKS[framework].suite
    return file in own if own else file not in CLAIMED


def junit_causes(junit: str, framework: str) -> set[str]:
    """The causes the checkout's pytest found in `framework`'s column (its files, on the default backend)."""
    reasons = (
        outcome.message
        for outcome in read_junit(Path(junit))
        if outcome.status == "divergence"
        and outcome.test.removeprefix("rnncheck/").startswith("conformance/")
        and in_column(framework, outcome.test)
    )
    return {m.group(1) for reason in reasons if (m := TAG.search(reason))}


def matrix_causes(text: str, framework: str) -> set[str]:
    """The causes of `framework`'s known divergences in conform's matrix: "  jax: TEST" then its reason."""
    lines = [line.strip() for line in text.splitlines()]
    reasons = (lines[i + 1] for i in range(len(lines) - 1) if lines[i].startswith(f"{framework}: conformance/"))
    return {m.group(1) for reason in reasons if (m := TAG.search(reason))}


def main(*arguments: str) -> None:
    if not arguments or len(arguments) % 2:
        sys.exit(__doc__)
    for report, frameworks in zip(arguments[::2], arguments[1::2], strict=True):
        for framework in frameworks.split(","):
            if report.endswith(".xml"):
                found = junit_causes(report, framework)
            else:
                found = matrix_causes(Path(report).read_text(), framework)
            expected = recorded(framework)
            if missing := expected - found:
                sys.exit(f"{framework}: {report} has no known divergence of the causes {sorted(missing)}")
            print(f"{framework}: all {len(expected)} causes recorded there found in {report}")


if __name__ == "__main__":
    main(*sys.argv[1:])
