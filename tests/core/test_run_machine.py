"""The run machine driven by hand, then end to end by both drivers."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from baton.core.models import Decision
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import (
    AwaitingRetry,
    Cached,
    Completed,
    Failed,
    Pending,
    Retrying,
    State,
    utcnow,
)
from baton.engine.drivers import RunPorts, drive, drive_async
from baton.engine.machine import Execute, Machine, Outcome, Propose, Settle, Sleep, run_machine
from baton.exceptions import RunAborted


def accept(state: State) -> OrchestrationResult:
    return OrchestrationResult(status=Decision.ACCEPT, state=state)


def reject(state: State, reason: str = "rejected") -> OrchestrationResult:
    return OrchestrationResult(status=Decision.REJECT, state=state, reason=reason, rule="Rule")


def wait(seconds: float, current: State | None = None) -> OrchestrationResult:
    return OrchestrationResult(
        status=Decision.WAIT, state=current, delay_seconds=seconds, reason="wait", rule="Rule"
    )


def abort(reason: str) -> OrchestrationResult:
    return OrchestrationResult(status=Decision.ABORT, state=None, reason=reason, rule="Rule")


def recorded(state: State) -> State:
    """The state as the orchestrator hands it back after storing it: same id, no value."""
    return State.model_validate(state.model_dump())


def finish(machine: Machine, reply: Any) -> State:
    """Send the last reply; the machine must stop and return its final state."""
    with pytest.raises(StopIteration) as stop:
        machine.send(reply)
    final = stop.value.value
    assert isinstance(final, State)
    return final


def propose(command: object) -> State:
    assert isinstance(command, Propose), command
    return command.state


def start(machine: Machine) -> State:
    """Take the machine to its first proposal."""
    return propose(next(machine))


def run_once(machine: Machine, started: State, outcome: Outcome, settled: State) -> State:
    """From an accepted start through Execute and Settle to the final proposal."""
    assert machine.send(accept(started)) == Execute()
    command = machine.send(outcome)
    assert isinstance(command, Settle)
    assert command.outcome is outcome
    return propose(machine.send(settled))


class TestRunMachineByHand:
    def test_happy_path_proposes_running_executes_settles_and_returns_completed(self) -> None:
        machine = run_machine()
        running = start(machine)
        assert running.is_running()
        outcome = Outcome(value=3)
        final = Completed(data=3)
        assert run_once(machine, running, outcome, final) is final
        result = finish(machine, accept(final))
        assert result is final
        assert result.result() == 3

    def test_the_first_proposal_is_the_given_start_state(self) -> None:
        pending = Pending()
        machine = run_machine(pending)
        assert start(machine) is pending

    def test_the_recorded_final_state_keeps_the_in_memory_value(self) -> None:
        machine = run_machine()
        value = ["not", "persisted"]
        final = Completed(data=value)
        run_once(machine, start(machine), Outcome(value=value), final)
        answer = recorded(final)
        assert not answer.has_value()
        result = finish(machine, accept(answer))
        assert result is answer
        assert result.result() is value

    def test_a_different_accepted_state_does_not_take_the_proposed_value(self) -> None:
        machine = run_machine()
        final = Completed(data=1)
        run_once(machine, start(machine), Outcome(value=1), final)
        other = Completed()
        assert finish(machine, accept(other)) is other
        assert not other.has_value()

    def test_wait_on_start_sleeps_then_proposes_running_again(self) -> None:
        machine = run_machine(Pending())
        start(machine)
        assert machine.send(wait(2.5)) == Sleep(2.5)
        again = propose(machine.send(None))
        assert again.is_running()
        assert machine.send(accept(again)) == Execute()

    def test_wait_without_a_delay_sleeps_zero(self) -> None:
        machine = run_machine()
        start(machine)
        answer = OrchestrationResult(status=Decision.WAIT, state=None, delay_seconds=None)
        assert machine.send(answer) == Sleep(0.0)

    def test_cached_on_start_returns_the_cached_state_without_executing(self) -> None:
        machine = run_machine()
        start(machine)
        cached = Cached(data="from cache")
        assert finish(machine, reject(cached)) is cached

    def test_abort_on_start_raises_run_aborted_with_the_reason(self) -> None:
        machine = run_machine()
        start(machine)
        with pytest.raises(RunAborted, match="the run is already RUNNING"):
            machine.send(abort("the run is already RUNNING"))

    def test_abort_without_a_reason_still_explains_itself(self) -> None:
        machine = run_machine()
        start(machine)
        answer = OrchestrationResult(status=Decision.ABORT, state=None)
        with pytest.raises(RunAborted, match="aborted"):
            machine.send(answer)

    def test_abort_of_the_final_proposal_raises_run_aborted(self) -> None:
        machine = run_machine()
        run_once(machine, start(machine), Outcome(value=1), Completed(data=1))
        with pytest.raises(RunAborted, match="already finished"):
            machine.send(abort("the run has already finished"))

    def test_a_failure_rejected_into_awaiting_retry_sleeps_and_runs_again(self) -> None:
        machine = run_machine()
        error = ValueError("flaky")
        first = Outcome(error=error)
        failed = Failed(message="flaky", data=error)
        assert run_once(machine, start(machine), first, failed) is failed

        retry_at = utcnow() + dt.timedelta(seconds=60)
        sleep = machine.send(reject(AwaitingRetry(retry_at)))
        assert isinstance(sleep, Sleep)
        assert 0.0 < sleep.seconds <= 60.0

        rerun = propose(machine.send(None))
        assert rerun.is_running()
        final = Completed(data=5)
        assert run_once(machine, rerun, Outcome(value=5), final) is final
        assert finish(machine, accept(final)).result() == 5

    def test_a_retry_already_due_sleeps_zero(self) -> None:
        machine = run_machine()
        run_once(machine, start(machine), Outcome(error=ValueError()), Failed())
        due = AwaitingRetry(utcnow() - dt.timedelta(seconds=5))
        assert machine.send(reject(due)) == Sleep(0.0)

    def test_a_rerun_accepted_as_retrying_is_executed(self) -> None:
        machine = run_machine()
        run_once(machine, start(machine), Outcome(error=ValueError()), Failed())
        machine.send(reject(AwaitingRetry(utcnow())))
        propose(machine.send(None))
        assert machine.send(accept(Retrying())) == Execute()

    def test_a_failure_accepted_as_final_is_returned(self) -> None:
        machine = run_machine()
        error = ValueError("for good")
        failed = Failed(data=error)
        run_once(machine, start(machine), Outcome(error=error), failed)
        result = finish(machine, accept(failed))
        assert result.is_failed()
        assert result.result(raise_on_failure=False) is error

    def test_wait_on_the_final_proposal_sleeps_then_proposes_a_fresh_copy(self) -> None:
        machine = run_machine()
        final = Completed(message="done", data=8)
        run_once(machine, start(machine), Outcome(value=8), final)
        assert machine.send(wait(0.75)) == Sleep(0.75)
        copy = propose(machine.send(None))
        assert copy is not final
        assert copy.id != final.id
        assert (copy.type, copy.name, copy.message) == (final.type, final.name, final.message)
        assert machine.send(wait(0.25)) == Sleep(0.25)
        again = propose(machine.send(None))
        assert again.id not in (final.id, copy.id)
        assert again.result() == 8
        assert finish(machine, accept(again)) is again

    def test_the_recorded_answer_to_a_re_proposed_final_state_keeps_the_value(self) -> None:
        machine = run_machine()
        value = {"big": "not persisted"}
        final = Completed(data=value)
        run_once(machine, start(machine), Outcome(value=value), final)
        machine.send(wait(0.0))
        copy = propose(machine.send(None))
        result = finish(machine, accept(recorded(copy)))
        assert result.id == copy.id
        assert result.result() is value


class ScriptedPorts(RunPorts):
    """Answers proposals from a script and runs a scripted sequence of outcomes.

    An ACCEPT without a state in the script accepts what was proposed, handed
    back as the orchestrator records it (same id, no in-memory value).
    """

    def __init__(self, answers: list[OrchestrationResult], outcomes: list[Outcome]) -> None:
        self.answers = list(answers)
        self.outcomes = list(outcomes)
        self.log: list[str] = []

    def propose(self, state: State) -> OrchestrationResult:
        self.log.append(f"propose {state.name}")
        answer = self.answers.pop(0)
        if answer.status is Decision.ACCEPT and answer.state is None:
            return accept(recorded(state))
        return answer

    def execute(self) -> Outcome:
        self.log.append("execute")
        return self.outcomes.pop(0)

    async def execute_async(self) -> Outcome:
        self.log.append("execute")
        return self.outcomes.pop(0)

    def settle(self, outcome: Outcome) -> State:
        self.log.append("settle")
        if outcome.error is not None:
            return Failed(message=str(outcome.error), data=outcome.error)
        return Completed(data=outcome.value)


def flaky_run() -> ScriptedPorts:
    """A run that waits once, fails once, is retried and then completes with 42."""
    as_proposed = OrchestrationResult(status=Decision.ACCEPT, state=None)
    return ScriptedPorts(
        answers=[
            wait(0.0),
            as_proposed,
            reject(AwaitingRetry(utcnow() - dt.timedelta(seconds=1))),
            accept(Retrying()),
            as_proposed,
        ],
        outcomes=[Outcome(error=ValueError("flaky")), Outcome(value=42)],
    )


EXPECTED_LOG = [
    "propose Running",
    "propose Running",
    "execute",
    "settle",
    "propose Failed",
    "propose Running",
    "execute",
    "settle",
    "propose Completed",
]


class TestDrivers:
    def test_drive_follows_the_machine_through_wait_retry_and_completion(self) -> None:
        ports = flaky_run()
        final = drive(run_machine(), ports)
        assert final.is_completed()
        assert final.result() == 42
        assert ports.log == EXPECTED_LOG
        assert ports.answers == []
        assert ports.outcomes == []

    def test_drive_async_follows_the_same_machine(self) -> None:
        ports = flaky_run()
        final = asyncio.run(drive_async(run_machine(), ports))
        assert final.is_completed()
        assert final.result() == 42
        assert ports.log == EXPECTED_LOG
        assert ports.answers == []

    @pytest.mark.parametrize("driver", ["sync", "async"])
    def test_both_drivers_raise_run_aborted(self, driver: str) -> None:
        ports = ScriptedPorts(answers=[abort("limit is 0")], outcomes=[])
        with pytest.raises(RunAborted, match="limit is 0"):
            if driver == "sync":
                drive(run_machine(), ports)
            else:
                asyncio.run(drive_async(run_machine(), ports))
        assert ports.log == ["propose Running"]

    @pytest.mark.parametrize("driver", ["sync", "async"])
    def test_both_drivers_return_a_cached_state_without_executing(self, driver: str) -> None:
        cached = Cached(data="hit")
        ports = ScriptedPorts(answers=[reject(cached)], outcomes=[])
        if driver == "sync":
            final = drive(run_machine(), ports)
        else:
            final = asyncio.run(drive_async(run_machine(), ports))
        assert final is cached
        assert "execute" not in ports.log
