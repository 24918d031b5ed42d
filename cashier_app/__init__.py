"""Offline-first loyalty cashier workstation."""

__version__ = "0.1.0"
