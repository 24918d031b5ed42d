"""Benchmarks against the speed targets of docs/benchmarks.md: ``python3 dev.py bench`` (see README)."""
