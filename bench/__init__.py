"""Benchmarks against QUALITY.md's targets: ``python3 dev.py bench`` (see README)."""
