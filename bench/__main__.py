"""Runs the benchmarks and prints one table (see bench/__init__.py)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

from bench import Result


def _modules(selected: set[str]) -> list[str]:
    names = [info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)]) if info.name.startswith("bench_")]
    return sorted(name for name in names if not selected or name.removeprefix("bench_") in selected)


def _row(result: Result) -> str:
    ratio = f"{result.ratio:.2f}" if result.ratio is not None else "-"
    reference = f"{result.reference:,.2f}" if result.reference is not None else "-"
    value = f"{result.value:,.2f} {result.unit}"
    return f"| {result.name} | {value} | {reference} | {ratio} | {result.target} | {result.note} |"


def main() -> int:
    selected = {name for name in os.environ.get("BENCH", "").split(",") if name}
    rows: list[str] = []
    failed = 0
    for name in _modules(selected):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            results = importlib.import_module(f"bench.{name}").run()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed += 1
            results = [Result(name, 0, "-", note=f"FAILED: {type(exc).__name__}: {str(exc)[-600:]}")]
        rows.extend(_row(result) for result in results)
    print("| benchmark | value | reference | ratio | target | note |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
