"""Baton run by real child processes: durability, concurrency and failures of storage."""
