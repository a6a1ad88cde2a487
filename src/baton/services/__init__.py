"""Background services: loops that keep runs moving when nobody is calling the API.

Each service is a function ``run_once(db, now)`` that does one pass and says
what it did, so tests drive it with any ``now`` and never sleep; ``loop.py``
runs them on an interval inside ``baton server start``. Every pass is safe to
race with another instance of itself: runs are made under unique idempotency
keys, and states only change through the rules engine.
"""
