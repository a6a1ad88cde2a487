"""Data access as plain functions, ``verb_noun(conn, ...)``, one module per resource."""
