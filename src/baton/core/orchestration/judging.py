"""Judge one proposed state for a run in memory: the policy's answer, with no storage.

Kept apart from the orchestrator's storage code so a process that judges its
own task runs (the HTTP client's task pipeline) does not import the database layer.
"""

from __future__ import annotations

from baton.core.fast import assign
from baton.core.models import RunKind, RunModel
from baton.core.orchestration.context import OrchestrationContext, OrchestrationStore
from baton.core.orchestration.policies import Policy, default_policy
from baton.core.states import State, utcnow


def judge(
    run: RunModel,
    kind: RunKind,
    proposed: State,
    *,
    store: OrchestrationStore | None,
    force: bool = False,
    policy: Policy | None = None,
) -> OrchestrationContext:
    """Apply the policy to ``proposed`` for ``run``; ``run`` is updated in place."""
    ctx = OrchestrationContext(
        run=run,
        kind=kind,
        initial_state=run.state,
        proposed_state=proposed,
        now=utcnow(),
        store=store,
    )
    _link(proposed, run, kind)
    (policy or default_policy(kind)).judge(ctx, force=force)
    if ctx.validated_state is not None and ctx.validated_state is not proposed:
        _link(ctx.validated_state, run, kind)
    return ctx


def _link(state: State, run: RunModel, kind: RunKind) -> None:
    """States name the run they belong to."""
    field = "flow_run_id" if kind is RunKind.FLOW_RUN else "task_run_id"
    assign(state.state_details, **{field: run.id})
