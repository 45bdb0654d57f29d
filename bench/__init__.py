"""Benchmarks: `make bench` runs every `bench/bench_*.py` module and prints one table of ratios.

A module exposes `run() -> list[Result]`. Each result compares a measurement with its reference taken
in the same run on the same machine (a bare view, nginx, a plain upload), so figures are ratios, not
absolute numbers that depend on the machine. Select modules with `make bench BENCH=audit,files`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Result:
    name: str
    value: float
    unit: str
    reference: float | None = None  # same unit as value; None when there is no reference
    target: str = ""  # e.g. ">= 0.7" (ratio) or "< 60 s"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.reference in (None, 0):
            return None
        return self.value / self.reference
