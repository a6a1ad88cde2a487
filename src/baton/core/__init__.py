"""The pure domain: states, run models, schedules and the orchestration rules. No I/O here."""
