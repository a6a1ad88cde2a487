"""One router per resource; routes are thin and call the storage and orchestrator layers."""
