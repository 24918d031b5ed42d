"""``cashier-app``: the command line of the workstation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cashier_app.scenario import ScenarioError, load_scenario
from cashier_app.simulate import EXIT_INVALID, run_scenario


def _simulate(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(Path(args.file))
    except ScenarioError as exc:
        print(f"cashier-app simulate: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return run_scenario(scenario)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cashier-app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="run a scenario file on a temporary ledger")
    sim.add_argument("file", help="scenario JSON (see docs/scenarios.md)")
    sim.set_defaults(func=_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
