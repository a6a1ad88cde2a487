"""Finding a deployment's flow in its code from the entrypoint it was registered with.

An entrypoint is ``path/to/file.py:name`` (a file under the code directory) or
``package.module:name`` (a module importable from it); ``name`` may be dotted
(``pipelines:Jobs.nightly``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from baton.exceptions import BatonError
from baton.flows import Flow

MODULE_NAME = "__baton_entrypoint__"
"""What a file entrypoint is imported as: not ``__main__``, so its ``serve()`` calls don't run."""


class EntrypointError(BatonError):
    """A deployment's entrypoint does not lead to a flow."""


def load_flow(entrypoint: str, directory: Path) -> Flow[..., Any]:
    """The flow ``entrypoint`` names, imported with ``directory`` first on ``sys.path``."""
    where, _, name = entrypoint.rpartition(":")
    if not where or not name:
        raise EntrypointError(
            f"entrypoint {entrypoint!r} must look like 'path/to/file.py:flow_function' "
            "or 'package.module:flow_function'"
        )
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    is_file = where.endswith(".py") or "/" in where or "\\" in where
    module = _import_file(directory / where) if is_file else _import_module(where)
    found: Any = module
    for part in name.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise EntrypointError(
                f"{where!r} has no {name!r} (entrypoint {entrypoint!r})"
            ) from None
    if not isinstance(found, Flow):
        raise EntrypointError(
            f"entrypoint {entrypoint!r} is a {type(found).__name__}, not a flow "
            "(decorate the function with @flow)"
        )
    return found


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise EntrypointError(f"no file {str(path)!r}")
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise EntrypointError(f"{str(path)!r} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module  # dataclasses and pickling look their module up here
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[MODULE_NAME]
        raise EntrypointError(f"importing {str(path)!r} failed: {_describe(error)}") from error
    return module


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and (name + ".").startswith(error.name + "."):
            raise EntrypointError(f"no module {name!r}") from None
        raise EntrypointError(f"importing {name!r} failed: {_describe(error)}") from error
    except Exception as error:
        raise EntrypointError(f"importing {name!r} failed: {_describe(error)}") from error


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def entrypoint_of(flow: Flow[..., Any], directory: Path) -> str:
    """``path/file.py:function`` of where ``flow``'s function is defined, relative to ``directory``.

    Raises ``EntrypointError`` for a flow that cannot be found again by importing
    a file: one defined inside a function, in a notebook or outside ``directory``.
    """
    import inspect

    function = getattr(flow.fn, "__qualname__", "")
    try:
        source_file = inspect.getsourcefile(flow.fn)
    except TypeError:
        source_file = None
    if source_file is None or not function.isidentifier():
        raise EntrypointError(
            f"flow {flow.name!r} must be defined at the top level of a .py file to be deployed"
        )
    try:
        relative = Path(source_file).resolve().relative_to(directory.resolve())
    except ValueError:
        raise EntrypointError(
            f"flow {flow.name!r} is defined in {source_file}, outside {directory}"
        ) from None
    return f"{relative.as_posix()}:{function}"
