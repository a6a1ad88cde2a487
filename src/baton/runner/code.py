"""Getting a deployment's code onto this machine before one of its runs starts.

A deployment's code is a local directory (``path``) or a git repository
(``source``). A repository is cloned once into ``$BATON_HOME/code/<deployment id>``
and fetched before every run, so pushing new commits changes the next run; the
commit that ran is returned for the run's record. Git never prompts and never
waits forever: a failure is a ``CodeUnavailable`` saying what git said.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from baton.core.deployments import Deployment, GitSource
from baton.exceptions import BatonError

GIT_TIMEOUT_SECONDS = 300.0
"""The longest one git command may take (a clone of a large repository)."""


class CodeUnavailable(BatonError):
    """A deployment's code could not be found or fetched."""


@dataclass(frozen=True)
class PreparedCode:
    """Where a run's code is, and which commit it is (``None`` outside git)."""

    directory: Path
    revision: str | None = None


def prepare_code(deployment: Deployment, home: Path) -> PreparedCode:
    """The deployment's code, ready to import: fetched and checked out if it lives in git."""
    if deployment.source is not None:
        return checkout(deployment.source, home / "code" / str(deployment.id))
    directory = Path(deployment.path) if deployment.path else Path.cwd()
    if not directory.is_dir():
        raise CodeUnavailable(
            f"deployment {deployment.name!r}: its code directory {str(directory)!r} does not exist"
        )
    return PreparedCode(directory.resolve())


def checkout(source: GitSource, directory: Path) -> PreparedCode:
    """``source`` at its branch or commit in ``directory``, cloning it on first use.

    Runs of the same deployment starting together take turns (a file lock), so
    two fetches never write the same repository at once.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _locked(directory.with_name(directory.name + ".lock")):
        if not (directory / ".git").is_dir():
            _git("clone", "--quiet", "--no-checkout", "--", source.repository, str(directory))
        else:
            _git("fetch", "--quiet", "--prune", "origin", cwd=directory)
        target = _target(source, directory)
        _git("checkout", "--quiet", "--force", "--detach", target, cwd=directory)
        revision = _git("rev-parse", "HEAD", cwd=directory)
    return PreparedCode(directory, revision)


def _target(source: GitSource, directory: Path) -> str:
    """What to check out: the pinned commit, the branch's tip, or the remote's default branch."""
    if source.commit:
        if source.commit.startswith("-"):
            raise CodeUnavailable(f"{source.commit!r} is not a commit")
        return source.commit
    ref = f"origin/{source.branch}" if source.branch else "origin/HEAD"
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=directory)
    except CodeUnavailable:
        what = f"branch {source.branch!r}" if source.branch else "a default branch"
        raise CodeUnavailable(f"repository {source.repository!r} has no {what}") from None


def _git(*args: str, cwd: Path | None = None) -> str:
    """Run git without a terminal to prompt on; its output, or its error as an exception."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise CodeUnavailable("git is not installed (no 'git' on the PATH)") from None
    except subprocess.TimeoutExpired:
        raise CodeUnavailable(
            f"'git {args[0]}' took longer than {GIT_TIMEOUT_SECONDS:.0f} s"
        ) from None
    if done.returncode != 0:
        said = " ".join(done.stderr.split()) or f"exit code {done.returncode}"
        raise CodeUnavailable(f"'git {args[0]}' failed: {said}")
    return done.stdout.strip()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
