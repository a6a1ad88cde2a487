"""Unit tests of the pure domain: states, orchestration rules, the run machine."""
