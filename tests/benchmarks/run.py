"""`make bench`: run every benchmark script in this folder, one after another, and fail if any does.

Benchmarks are never part of `make test`: machines here are noisy, so each script measures
side by side in one run and reports numbers (and ratios against its reference) rather than
asserting timings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if not scripts:
        print("no benchmark scripts found", file=sys.stderr)
        return 1
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        if subprocess.call([sys.executable, str(script)], cwd=HERE.parent.parent) != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
