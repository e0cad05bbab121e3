"""docs/upstream/performance/: each report's script, run on its own as a reporter would, still shows what the
report says, and prints what the report quotes, less what depends on the machine (times, and which values its
CPU's kernels round otherwise)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rnncheck.conformance.backends import require_findable

REPORTS = sorted((Path(__file__).parents[1] / "docs" / "upstream" / "performance").glob("*.md"))
TIMES = re.compile(r", [\d.]+ ms a call \(median\)| in [\d.]+ ms")
DIFFER = re.compile(r": \d+ of (\d+) values differ")  # how many the CPU's convolution kernels round otherwise
# What each report's script needs besides Keras and TensorFlow (the default install): without it, the case is skipped
# (and fails in CI, RNNCHECK_REQUIRE_BACKENDS).
NEEDS = {
    "keras-serialize-imports-tensorflow": ("jax",),
    "keras-tf-conv-xla-closure": (),
    "ml-dtypes-import-numpy-promoters": (),
}


def invariant(line: str) -> str:
    """A printed line less what depends on the machine."""
    return DIFFER.sub(r": some of \1 values differ", TIMES.sub("", line))


def blocks(text: str, language: str) -> list[str]:
    """The fenced blocks of `language` in a Markdown text, in order."""
    return re.findall(rf"^```{language}\n(.*?)\n```$", text, flags=re.S | re.M)


def test_the_reports_are_found():  # else the test below would have no case to run
    assert [report.stem for report in REPORTS] == list(NEEDS)


@pytest.mark.parametrize("report", REPORTS, ids=[report.stem for report in REPORTS])
def test_report_script_shows_what_the_report_quotes(report, tmp_path):
    for library in NEEDS[report.stem]:
        require_findable(library)
    text = report.read_text(encoding="utf-8")
    script = blocks(text, "python")[-1]  # the one under "## Reproduce"
    quoted = blocks(text, "text")[-1]  # what it printed
    path = tmp_path / re.search(r"Save as `(\w+\.py)`", text).group(1)
    path.write_text(script + "\n", encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name != "KERAS_BACKEND"}
    result = subprocess.run([sys.executable, str(path)], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 1, f"{report.name}: exit {result.returncode} (1: it still holds)\n{result.stderr}"
    printed = result.stdout.rstrip().splitlines()
    assert list(map(invariant, printed)) == list(map(invariant, quoted.splitlines())), (
        f"{report.name}: its script printed\n{result.stdout}"
    )
