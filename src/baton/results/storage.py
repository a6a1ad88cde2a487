"""Where serialized results live.

Results are kept out of the database: a run records only a storage URI and a key. Storage objects
are shipped to worker threads and processes, so they hold nothing but their location and are
cheap to pickle.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from baton.exceptions import BatonError


class ResultStorageError(BatonError):
    """Result bytes could not be written, read or found."""


def _validate_key(key: str) -> str:
    """Reject keys that could point outside the storage location once joined to it."""
    segments = key.split("/")
    if not key or "\\" in key or "\0" in key or any(s in ("", ".", "..") for s in segments):
        raise ValueError(
            f"invalid result key {key!r}: use non-empty '/'-separated names without '.' or '..'"
        )
    return key


class ResultStorage(ABC):
    """A place to put result bytes under string keys.

    Two storages are equal when their URIs are, because the URI is all a reader gets back.
    """

    key: ClassVar[str]
    """Short name of this kind of storage."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Human-readable place the results go, used in error messages."""

    @property
    @abstractmethod
    def uri(self) -> str:
        """Stable URI recorded in result references, from which the storage can be rebuilt."""

    @abstractmethod
    def write(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing any previous value."""

    @abstractmethod
    def read(self, key: str) -> bytes:
        """Return the bytes stored under ``key``."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether something is stored under ``key``."""

    def _error(self, doing: str, exc: BaseException) -> ResultStorageError:
        return ResultStorageError(f"could not {doing} {self.location}: {type(exc).__name__}: {exc}")

    def _not_found(self, key: str) -> ResultStorageError:
        return ResultStorageError(f"result {key!r} not found in {self.location}")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ResultStorage) and type(other) is type(self) and self.uri == other.uri
        )

    def __hash__(self) -> int:
        return hash((type(self), self.uri))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"


class LocalFileSystem(ResultStorage):
    """Results as files under a local directory.

    Writes go to a temporary file in the target directory and are renamed into place, so a reader
    (or a crash) never sees a half-written result. Files are created readable by the owner only.
    """

    key: ClassVar[str] = "local-file-system"

    def __init__(self, basepath: str | os.PathLike[str]) -> None:
        # Absolute now, so a worker with another working directory still finds the same files.
        self.basepath = Path(basepath).expanduser().absolute()

    @property
    def location(self) -> str:
        return str(self.basepath)

    @property
    def uri(self) -> str:
        return self.basepath.as_uri()

    def _path(self, key: str) -> Path:
        return self.basepath / _validate_key(key)

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise self._error(f"write result {key!r} to", exc) from exc

    def read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise self._not_found(key) from exc
        except OSError as exc:
            raise self._error(f"read result {key!r} from", exc) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


class RemoteFileSystem(ResultStorage):
    """Results in any filesystem fsspec understands (``memory://``, ``s3://bucket/prefix``, ...).

    Credentials and options come from the backend's usual configuration (environment, fsspec
    config files), never from the URL recorded in the database. Whether a write is atomic depends
    on the backend; object stores replace objects atomically.
    """

    key: ClassVar[str] = "remote-file-system"

    def __init__(self, url: str) -> None:
        scheme, separator, rest = url.partition("://")
        if not separator or not scheme:
            raise ValueError(f"expected a URL such as 'memory://results', got {url!r}")
        self.url = f"{scheme}://{rest.rstrip('/')}"

    @property
    def location(self) -> str:
        return self.url

    @property
    def uri(self) -> str:
        return self.url

    def _resolve(self, key: str) -> tuple[Any, str]:
        """Return the fsspec filesystem and the full path of ``key`` in it."""
        # fsspec reuses filesystem instances, so resolving per call is cheap and leaves nothing
        # unpicklable on this object.
        from fsspec.core import url_to_fs

        fs, root = url_to_fs(self.url)
        return fs, f"{root.rstrip('/')}/{key}" if root else key

    def write(self, key: str, data: bytes) -> None:
        _validate_key(key)
        try:
            fs, path = self._resolve(key)
            try:
                fs.pipe_file(path, data)
            except FileNotFoundError:
                # Directory-based backends (sftp, smb, ...) need the parent to exist first.
                fs.makedirs(path.rpartition("/")[0], exist_ok=True)
                fs.pipe_file(path, data)
        except Exception as exc:
            raise self._error(f"write result {key!r} to", exc) from exc

    def read(self, key: str) -> bytes:
        _validate_key(key)
        try:
            fs, path = self._resolve(key)
            data: bytes = fs.cat_file(path)
        except FileNotFoundError as exc:
            raise self._not_found(key) from exc
        except Exception as exc:
            raise self._error(f"read result {key!r} from", exc) from exc
        return data

    def exists(self, key: str) -> bool:
        _validate_key(key)
        try:
            fs, path = self._resolve(key)
            return bool(fs.exists(path))
        except Exception as exc:
            raise self._error(f"check for result {key!r} in", exc) from exc


def _file_url_to_path(url: str) -> Path:
    from urllib.request import url2pathname

    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"file URL {url!r} names host {parts.netloc!r}; only local files work")
    return Path(url2pathname(parts.path))


def resolve_storage(
    value: str | os.PathLike[str] | ResultStorage, default_base: Path | None = None
) -> ResultStorage:
    """Turn a setting or a recorded URI into a storage.

    ``file://`` URLs and plain paths become :class:`LocalFileSystem` (relative paths are taken
    from ``default_base``, or the working directory without one); any other URL goes to fsspec.
    """
    if isinstance(value, ResultStorage):
        return value
    if isinstance(value, str) and "://" in value:
        if value.lower().startswith("file://"):
            return LocalFileSystem(_file_url_to_path(value))
        return RemoteFileSystem(value)
    path = Path(value).expanduser()
    if default_base is not None:
        path = default_base.expanduser() / path
    return LocalFileSystem(path)
