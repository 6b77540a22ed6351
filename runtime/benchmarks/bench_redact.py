"""Micro-benchmark: describing a failed check's error, for hostile texts of 4 KB to 800 KB.

Run: .venv/bin/python runtime/benchmarks/bench_redact.py
Not a test: timings depend on the machine. The shapes are the ones that made
the previous redactor quadratic (``a+a+a+...``: 40 KB took 4.4 s, 80 KB 17 s).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from mangum_warmup.checks import describe_error
from mangum_warmup.redact import Redactor, environment_secrets

SHAPES: dict[str, Callable[[int], str]] = {
    "a+a+a+ (scheme-like run)": lambda n: ("a+" * n)[:n],
    "ab://c: repeated": lambda n: ("ab://c:" * n)[:n],
    "password= repeated": lambda n: ("password=" * n)[:n],
    'password=" unterminated': lambda n: ('password="' * n)[:n],
    "one long token": lambda n: "x" * n,
    "words with secrets": lambda n: ("connect postgresql://u:p@ss@db password=hunter2 " * n)[:n],
    "host 'x@ repeated": lambda n: ("host 'x@" * n)[:n],
}
SIZES = (4_000, 40_000, 80_000, 800_000)


def main() -> None:
    redactor = Redactor([*environment_secrets(), "Kx7@vault9Q", "pm-test-secret"])
    print(f"{'shape':28} " + " ".join(f"{size // 1000:>6} KB" for size in SIZES))
    for name, make in SHAPES.items():
        cells = []
        for size in SIZES:
            error = RuntimeError(make(size))
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                describe_error(error, redactor)
                runs.append(time.perf_counter() - started)
            cells.append(f"{statistics.median(runs) * 1000:>6.2f} ms")
        print(f"{name:28} " + " ".join(cells))
    print(f"(median of 5, Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
