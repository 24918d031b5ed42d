"""Sync with the central server (SYNC.md): the outbox the background worker pushes."""
