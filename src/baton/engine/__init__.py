"""The run engine: one sans-I/O state machine (``machine``) and two small drivers.

The engine proposes states and follows the orchestrator's answers; it never
decides orchestration by itself.
"""
