"""The central server (FastAPI, PostgreSQL): the network-wide ledger all tills sync with."""
