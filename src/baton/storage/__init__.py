"""Storage: SQLAlchemy models, the database connection, migrations and queries.

SQLite (the embedded default, WAL) and PostgreSQL share every model and
query; dialect differences live in ``database`` and ``types`` only.
"""
