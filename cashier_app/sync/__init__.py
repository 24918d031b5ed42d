"""Sync with the central server (docs/sync.md): the outbox the background worker pushes."""
