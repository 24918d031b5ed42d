"""The local SQLite ledger: schema, migrations and the connection factory."""
