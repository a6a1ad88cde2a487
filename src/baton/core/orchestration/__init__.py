"""The rules engine: orchestration is the enforcement of rules on state transitions.

A client *proposes* a state; a policy (an ordered list of small rules) answers
ACCEPT, REJECT (enter another state instead), WAIT (try again after a delay) or
ABORT, each with a reason that is recorded. See ``rules`` for the base class,
``common_rules`` and ``task_rules`` for the rules and ``policies`` for which
rules apply to which kind of run.
"""

from baton.core.orchestration.context import (
    OrchestrationContext,
    OrchestrationResult,
    OrchestrationStore,
)
from baton.core.orchestration.policies import Policy, default_policy

__all__ = [
    "OrchestrationContext",
    "OrchestrationResult",
    "OrchestrationStore",
    "Policy",
    "default_policy",
]
