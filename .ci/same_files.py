"""CI: the installed rnncheck is this checkout's package, file for file and byte for byte.

usage: same_files.py   (run from the checkout's root, with the wheel installed in place of the editable checkout)

Every file git tracks under rnncheck/ must be in the installed distribution's RECORD with the sha256 of the
checkout's file, the installed file must still hash to it, and the RECORD must list no other source file under
rnncheck/: what conform runs from the wheel is then what the checkout's pytest ran. Exits 1 naming a difference.
"""

import base64
import hashlib
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path


def digest(data: bytes) -> str:
    """sha256=... as a wheel's RECORD writes it (urlsafe base64, no padding)."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def main() -> None:
    distribution = metadata.distribution("rnncheck")
    if json.loads(distribution.read_text("direct_url.json") or "{}").get("dir_info", {}).get("editable"):
        sys.exit("rnncheck is installed editable: install the wheel first")
    installed = {
        str(f): f for f in distribution.files or () if f.parts[0] == "rnncheck" and "__pycache__" not in f.parts
    }
    tracked = subprocess.run(["git", "ls-files", "rnncheck"], capture_output=True, text=True, check=True).stdout.split()
    problems = [f"{path}: not in the wheel" for path in tracked if path not in installed]
    problems += [f"{path}: in the wheel, not tracked in the checkout" for path in installed if path not in tracked]
    for path in tracked:
        record = installed.get(path)
        if record is None:
            continue
        checkout = digest(Path(path).read_bytes())
        wheel = f"{record.hash.mode}={record.hash.value}"
        if wheel != checkout:
            problems.append(f"{path}: the wheel's RECORD has {wheel}, the checkout's file {checkout}")
        elif digest(Path(record.locate()).read_bytes()) != checkout:
            problems.append(f"{path}: the installed file {record.locate()} differs from its RECORD")
    if problems:
        sys.exit("the installed rnncheck is not this checkout's:\n  " + "\n  ".join(problems))
    print(f"wheel: the {len(tracked)} files under rnncheck/ are the checkout's, byte for byte")


if __name__ == "__main__":
    main()
