"""Running deployments: workers that poll a work pool, and ``serve()`` for flows in one process.

Both claim due runs and execute each in a process of its own
(``python -m baton.runner <flow run id>``), which fetches the deployment's code,
imports its flow and runs it for that run.
"""
