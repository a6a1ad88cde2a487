from baton import flow, task
from baton.client.base import BatonClient


@task
def add(x: int, y: int) -> int:
    return x + y


@flow
def total(n: int) -> int:
    result = 0
    for i in range(n):
        result = add(result, i)
    return result


def test_flow_runs_and_records_its_tasks(client: BatonClient) -> None:
    state = total(4, return_state=True)
    assert state.result() == 6
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    flow_run = client.read_flow_run(run_id)
    assert flow_run.state_type is not None and flow_run.state_type.value == "COMPLETED"
    task_runs = client.read_task_runs(flow_run_id=run_id)
    assert [t.name for t in task_runs] == ["add-0", "add-1", "add-2", "add-3"]
    assert all(t.state_name == "Completed" for t in task_runs)
