"""``python -m bench [--customers N] [--events M] [--data DIR] [--reuse]``

Builds (or reuses) a seeded ledger and prints each figure as median and p99 beside its
target (docs/benchmarks.md) and a raw sqlite3 baseline from the same run. Exits 1 if a figure with
a target misses it, so CI's smoke run notices a gross regression.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from bench.generate import Built, build
from bench.measure import measure


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=None, help="default: 10 per customer")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--data", default="bench/data", help="where the generated ledger lives")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a ledger built before with the same sizes"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: check that everything runs; a missed target does not fail",
    )
    args = parser.parse_args()
    events = args.events if args.events is not None else args.customers * 10
    folder = Path(args.data) / f"c{args.customers}-e{events}"
    meta = folder / "built.json"
    if args.reuse and meta.exists():
        built = Built(folder / "ledger.sqlite3", **json.loads(meta.read_text()))
        print(f"reusing {built.path}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
        print(
            f"building {args.customers:,} customers and {events:,} events in {folder} ...",
            flush=True,
        )
        built = build(folder, args.customers, events)
        meta.write_text(
            json.dumps(
                {
                    "customers": built.customers,
                    "events": built.events,
                    "hot_customer": built.hot_customer,
                    "seconds": built.seconds,
                }
            )
        )
        size = built.path.stat().st_size / 2**30
        print(f"built in {built.seconds:.0f} s, {size:.2f} GiB", flush=True)
    figures = measure(built, runs=args.runs)
    print()
    print(f"{'figure':<48} {'median':>9} {'p99':>9} {'target':>9} {'raw sqlite3 p99':>16}  verdict")
    for f in figures:
        target = f"{f.target_ms:.2f} ms" if f.target_ms is not None else "-"
        base = f"{f.baseline_ms:.3f} ms" if f.baseline_ms is not None else "-"
        verdict = {True: "ok", False: "MISSED", None: ""}[f.ok]
        print(
            f"{f.name:<48} {f.median_ms:>6.3f} ms {f.p99_ms:>6.3f} ms {target:>9} {base:>16}  {verdict} {f.note}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps([f.__dict__ for f in figures], indent=2))
    missed = [f.name for f in figures if f.ok is False]
    if missed and args.smoke:
        print(f"smoke run: {len(missed)} target(s) missed on this machine (not enforced in CI)")
        return 0
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
