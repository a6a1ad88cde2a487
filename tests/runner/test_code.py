"""Getting a deployment's code: a local directory, or a git repository fetched every run."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from baton.core.deployments import Deployment, GitSource
from baton.core.states import utcnow
from baton.runner.code import CodeUnavailable, checkout, prepare_code

from .support import commit_file, git, new_repo

V1 = "VERSION = 1\n"
V2 = "VERSION = 2\n"


def deployment(**fields: object) -> Deployment:
    now = utcnow()
    return Deployment(
        id=uuid.uuid4(), created=now, updated=now, flow_id=uuid.uuid4(), name="d", **fields
    )


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    return new_repo(tmp_path / "origin")


def test_a_local_path_is_used_where_it_is(tmp_path: Path) -> None:
    code = prepare_code(deployment(path=str(tmp_path)), tmp_path / "home")
    assert code.directory == tmp_path.resolve()
    assert code.revision is None


def test_a_missing_local_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CodeUnavailable, match=r"code directory .*nowhere.* does not exist"):
        prepare_code(deployment(path=str(tmp_path / "nowhere")), tmp_path / "home")


def test_a_repository_is_cloned_then_fetched_so_new_commits_change_the_next_run(
    origin: Path, tmp_path: Path
) -> None:
    first = commit_file(origin, "version.py", V1)
    target = deployment(source=GitSource(repository=str(origin)))
    home = tmp_path / "home"

    code = prepare_code(target, home)
    assert code.directory == home / "code" / str(target.id)
    assert code.revision == first
    assert (code.directory / "version.py").read_text() == V1

    second = commit_file(origin, "version.py", V2)
    code = prepare_code(target, home)
    assert code.revision == second != first
    assert (code.directory / "version.py").read_text() == V2


def test_a_pinned_commit_is_checked_out_even_when_the_branch_moved_on(
    origin: Path, tmp_path: Path
) -> None:
    first = commit_file(origin, "version.py", V1)
    commit_file(origin, "version.py", V2)
    code = checkout(GitSource(repository=str(origin), commit=first), tmp_path / "clone")
    assert code.revision == first
    assert (code.directory / "version.py").read_text() == V1


def test_a_branch_is_followed(origin: Path, tmp_path: Path) -> None:
    commit_file(origin, "version.py", V1)
    git(origin, "checkout", "--quiet", "-b", "next")
    tip = commit_file(origin, "version.py", V2)
    git(origin, "checkout", "--quiet", "main")
    code = checkout(GitSource(repository=str(origin), branch="next"), tmp_path / "clone")
    assert code.revision == tip
    assert (code.directory / "version.py").read_text() == V2


def test_local_edits_in_the_cache_are_overwritten(origin: Path, tmp_path: Path) -> None:
    commit_file(origin, "version.py", V1)
    source = GitSource(repository=str(origin))
    code = checkout(source, tmp_path / "clone")
    (code.directory / "version.py").write_text("VERSION = 'edited'\n")
    assert (checkout(source, tmp_path / "clone").directory / "version.py").read_text() == V1


def test_an_unknown_branch_is_a_clear_error(origin: Path, tmp_path: Path) -> None:
    commit_file(origin, "version.py", V1)
    with pytest.raises(CodeUnavailable, match="has no branch 'nope'"):
        checkout(GitSource(repository=str(origin), branch="nope"), tmp_path / "clone")


def test_an_unknown_commit_is_a_clear_error(origin: Path, tmp_path: Path) -> None:
    commit_file(origin, "version.py", V1)
    with pytest.raises(CodeUnavailable, match=r"'git checkout' failed: .*0000000"):
        checkout(GitSource(repository=str(origin), commit="0000000"), tmp_path / "clone")


def test_a_repository_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    source = GitSource(repository=str(tmp_path / "missing"))
    with pytest.raises(CodeUnavailable, match=r"'git clone' failed: .*missing"):
        checkout(source, tmp_path / "clone")


def test_an_option_is_never_taken_for_a_commit(origin: Path, tmp_path: Path) -> None:
    commit_file(origin, "version.py", V1)
    with pytest.raises(CodeUnavailable, match="not a commit"):
        checkout(GitSource(repository=str(origin), commit="--orphan=x"), tmp_path / "clone")
