"""Finding a deployment's flow from its entrypoint, and a flow's entrypoint from its source."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from baton import flow
from baton.flows import Flow
from baton.runner.entrypoint import MODULE_NAME, EntrypointError, entrypoint_of, load_flow

from .support import write

FLOWS = """
    from baton import flow

    @flow
    def hello(name: str = "world") -> str:
        return f"hello {name}"

    class Jobs:
        nightly = hello

    not_a_flow = 42

    if __name__ == "__main__":
        raise SystemExit("imported as a script")
"""


@pytest.fixture(autouse=True)
def _clean_imports() -> Iterator[None]:
    """Each test imports its own files: forget the modules and paths it added."""
    modules, path = set(sys.modules), list(sys.path)
    yield
    for name in set(sys.modules) - modules:
        del sys.modules[name]
    sys.path[:] = path


def test_a_file_entrypoint_loads_the_flow_without_running_main(tmp_path: Path) -> None:
    write(tmp_path / "pipelines" / "flows.py", FLOWS)
    loaded = load_flow("pipelines/flows.py:hello", tmp_path)
    assert isinstance(loaded, Flow)
    assert loaded.fn(name="you") == "hello you"
    assert loaded.fn.__module__ == MODULE_NAME


def test_a_module_entrypoint_is_imported_from_the_code_directory(tmp_path: Path) -> None:
    write(tmp_path / "team_pipelines" / "__init__.py", "")
    write(tmp_path / "team_pipelines" / "daily.py", FLOWS)
    loaded = load_flow("team_pipelines.daily:hello", tmp_path)
    assert loaded.fn() == "hello world"


def test_a_dotted_name_reaches_into_the_module(tmp_path: Path) -> None:
    write(tmp_path / "flows.py", FLOWS)
    assert load_flow("flows.py:Jobs.nightly", tmp_path).name == "hello"


def test_sibling_modules_of_a_file_entrypoint_can_be_imported(tmp_path: Path) -> None:
    write(tmp_path / "helpers_for_entrypoint.py", "GREETING = 'hi'\n")
    write(
        tmp_path / "flows.py",
        """
        from baton import flow
        from helpers_for_entrypoint import GREETING

        @flow
        def greet() -> str:
            return GREETING
        """,
    )
    assert load_flow("flows.py:greet", tmp_path).fn() == "hi"


@pytest.mark.parametrize(
    ("entrypoint", "message"),
    [
        ("flows.py", "must look like 'path/to/file.py:flow_function'"),
        ("flows.py:", "must look like"),
        ("missing.py:hello", "no file '.*missing.py'"),
        ("flows.py:goodbye", "'flows.py' has no 'goodbye'"),
        ("flows.py:Jobs.weekly", "has no 'Jobs.weekly'"),
        ("flows.py:not_a_flow", "is a int, not a flow"),
        ("no_such_package.mod:hello", "no module 'no_such_package.mod'"),
        ("broken.py:hello", "importing '.*broken.py' failed: ZeroDivisionError"),
        ("broken_import:hello", "importing 'broken_import' failed: ModuleNotFoundError: .*numpyy"),
    ],
)
def test_an_entrypoint_that_leads_nowhere_is_a_clear_error(
    tmp_path: Path, entrypoint: str, message: str
) -> None:
    write(tmp_path / "flows.py", FLOWS)
    write(tmp_path / "broken.py", "1 / 0\n")
    write(tmp_path / "broken_import.py", "import numpyy\n")
    with pytest.raises(EntrypointError, match=message):
        load_flow(entrypoint, tmp_path)


def test_a_flow_entrypoint_is_its_file_relative_to_the_directory(tmp_path: Path) -> None:
    write(tmp_path / "jobs" / "flows.py", FLOWS)
    loaded = load_flow("jobs/flows.py:hello", tmp_path)
    assert entrypoint_of(loaded, tmp_path) == "jobs/flows.py:hello"
    assert entrypoint_of(loaded, tmp_path / "jobs") == "flows.py:hello"


def test_a_flow_outside_the_directory_has_no_entrypoint(tmp_path: Path) -> None:
    write(tmp_path / "flows.py", FLOWS)
    loaded = load_flow("flows.py:hello", tmp_path)
    with pytest.raises(EntrypointError, match="outside"):
        entrypoint_of(loaded, tmp_path / "elsewhere")


def test_a_flow_defined_in_a_function_has_no_entrypoint(tmp_path: Path) -> None:
    @flow
    def local() -> None:
        pass

    with pytest.raises(EntrypointError, match=r"top level of a \.py file"):
        entrypoint_of(local, Path(__file__).parent)
