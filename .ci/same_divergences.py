"""CI: the installed wheel's conform run found what the checkout's pytest run found, framework by framework.

usage: same_divergences.py JUNIT.xml CONFORM.txt FRAMEWORK...

JUNIT.xml is the checkout's `pytest` (every file on tensorflow, the default backend, as conform runs the
pytorch and onnxruntime columns); CONFORM.txt is `rnncheck conform --backends FRAMEWORK...` from the wheel.
For each framework, the files its column selects must have the same tests ending as known divergences, and on
tensorflow those divergences must name every cause recorded there (an occurrence may mark several
parametrized cases, so tests are not table rows). Exits 1 naming the difference.
"""

import re
import sys
from pathlib import Path

from rnncheck.conform import read_junit
from rnncheck.conformance.divergences import DIVERGENCES
from rnncheck.frameworks import CLAIMED, FRAMEWORKS


def in_column(framework: str, test: str) -> bool:
    """Whether conform's column of `framework` runs `test` (conformance/test_x.py::...)."""
    file = Path(test.split("::")[0]).name
    own = FRAMEWORKS[framework].suite
    return file in own if own else file not in CLAIMED


def checkout_divergences(junit: str, framework: str) -> set[str]:
    tests = (o.test.removeprefix("rnncheck/") for o in read_junit(Path(junit)) if o.status == "divergence")
    return {t for t in tests if t.startswith("conformance/") and in_column(framework, t)}


def wheel_divergences(lines: list[str], framework: str) -> set[str]:
    return {line.removeprefix(f"{framework}: ") for line in lines if line.startswith(f"{framework}: conformance/")}


def main(junit: str, conform: str, *frameworks: str) -> None:
    lines = [line.strip() for line in Path(conform).read_text().splitlines()]
    if not frameworks:
        sys.exit("name the frameworks the wheel's conform ran")
    for framework in frameworks:
        checkout, wheel = checkout_divergences(junit, framework), wheel_divergences(lines, framework)
        if wheel != checkout:
            only = f"only the wheel's {sorted(wheel - checkout)}, only the checkout's {sorted(checkout - wheel)}"
            sys.exit(f"{framework}: the wheel's divergences differ from the checkout's pytest run's: {only}")
        print(f"wheel: {framework}: the same {len(wheel)} divergences as the checkout's pytest run")
    if "tensorflow" in frameworks:
        reasons = [line for line in lines if line.startswith("Keras ")]  # each divergence's reason ends in [cause]
        causes = {m.group(1) for line in reasons if (m := re.search(r"\[([a-z0-9-]+)\]$", line))}
        expected = {row.cause for row in DIVERGENCES if "tensorflow" in row.backends}
        if causes != expected:
            sys.exit(f"tensorflow: the wheel's causes differ from those recorded there: {sorted(causes ^ expected)}")
        print(f"wheel: tensorflow: all {len(expected)} causes recorded there")


if __name__ == "__main__":
    main(*sys.argv[1:])
