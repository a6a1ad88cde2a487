"""The two drivers of the run machine: one synchronous, one asynchronous.

A driver performs the machine's commands through ``RunPorts``: the few
operations that differ between a flow and a task. The only difference
between the drivers is how they sleep and how they execute user code.
"""

from __future__ import annotations

import abc
import asyncio
import time
from typing import Any

from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import State
from baton.engine.machine import Execute, Machine, Outcome, Propose, Settle, Sleep


class RunPorts(abc.ABC):
    """What a driver needs to carry out one run's commands."""

    @abc.abstractmethod
    def propose(self, state: State) -> OrchestrationResult: ...

    @abc.abstractmethod
    def execute(self) -> Outcome:
        """Run synchronous user code."""

    @abc.abstractmethod
    async def execute_async(self) -> Outcome:
        """Run asynchronous user code."""

    @abc.abstractmethod
    def settle(self, outcome: Outcome) -> State: ...


def drive(machine: Machine, ports: RunPorts) -> State:
    """Run the machine to its end on this thread."""
    reply: Any = None
    try:
        while True:
            command = machine.send(reply)
            if type(command) is Propose:
                reply = ports.propose(command.state)
            elif type(command) is Execute:
                reply = ports.execute()
            elif type(command) is Settle:
                reply = ports.settle(command.outcome)
            elif type(command) is Sleep:
                time.sleep(command.seconds)
                reply = None
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def drive_async(machine: Machine, ports: RunPorts) -> State:
    """Run the machine to its end on the running event loop."""
    reply: Any = None
    try:
        while True:
            command = machine.send(reply)
            if type(command) is Propose:
                reply = ports.propose(command.state)
            elif type(command) is Execute:
                reply = await ports.execute_async()
            elif type(command) is Settle:
                reply = ports.settle(command.outcome)
            elif type(command) is Sleep:
                await asyncio.sleep(command.seconds)
                reply = None
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
