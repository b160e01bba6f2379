"""`make bench`: run every benchmark script in this folder and print ONE table of their rows.

Each ``bench_*.py`` runs alone too (it then prints its own table). Here each is run in its own
process with ``--json``; its rows (figure, reference measured side by side in the same run,
ratio, target, met) are collected and printed together. Benchmarks are never part of
`make test`: machines here are noisy, so figures are ratios against a same-run reference.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from report import JSON_MARKER, Row, format_table, parse_rows

HERE = Path(__file__).resolve().parent


def machine() -> str:
    """A one-line description of the machine the table was measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kib = 0
    import os

    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores {cpu}, "
        f"{memory_kib / 1024 / 1024:.0f} GiB, Python {platform.python_version()}"
    )


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if not scripts:
        print("no benchmark scripts found", file=sys.stderr)
        return 1
    rows: list[Row] = []
    failed = []
    for script in scripts:
        print(f"== {script.name}", file=sys.stderr, flush=True)
        result = subprocess.run(
            [sys.executable, str(script), "--json"],
            cwd=HERE.parent.parent,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        found = parse_rows(result.stdout)
        # A script that skips its figures (bench_scale.py without BENCH_SCALE_URL) prints none.
        if result.returncode != 0 or (not found and JSON_MARKER not in result.stdout):
            failed.append(script.name)
        rows.extend(found)
    print(f"machine: {machine()}")
    print(format_table(rows))
    notes = [f"- {row.name}: {row.note}" for row in rows if row.note]
    if notes:
        print("\n".join(notes))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
