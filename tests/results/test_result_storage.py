"""Result persistence against real local directories and fsspec's in-memory filesystem."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import os
import pickle
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pydantic
import pytest

from baton.results import (
    JSONSerializer,
    LocalFileSystem,
    PickleSerializer,
    RemoteFileSystem,
    ResultRef,
    ResultStorage,
    ResultStorageError,
    SerializationError,
    Serializer,
    load,
    persist,
    resolve_serializer,
    resolve_storage,
)


@pytest.fixture
def memory_url() -> Iterator[str]:
    """A fresh directory in fsspec's process-wide memory filesystem, removed afterwards."""
    name = f"baton-test-{uuid.uuid4().hex}"
    yield f"memory://{name}"
    fs = fsspec.filesystem("memory")
    if fs.exists(f"/{name}"):
        fs.rm(f"/{name}", recursive=True)


@dataclasses.dataclass
class Point:
    x: int
    when: datetime.date


class Payload(pydantic.BaseModel):
    id: uuid.UUID
    at: datetime.datetime


# --- serializers ------------------------------------------------------------------------------


def test_pickle_round_trips_closures_and_lambdas() -> None:
    offset = 10

    def add_offset(n: int) -> int:
        return n + offset

    serializer = PickleSerializer()
    restored = serializer.loads(serializer.dumps({"f": add_offset, "g": lambda n: n * 3}))

    assert restored["f"](1) == 11
    assert restored["g"](2) == 6


def test_pickle_reports_unpicklable_values() -> None:
    with pytest.raises(SerializationError) as info:
        PickleSerializer().dumps(threading.Lock())

    message = str(info.value)
    assert "type 'lock'" in message
    assert "'pickle' serializer" in message


def test_pickle_reports_corrupt_data() -> None:
    with pytest.raises(SerializationError, match="could not deserialize data with the 'pickle'"):
        PickleSerializer().loads(b"not a pickle")


def test_json_round_trips_plain_values() -> None:
    value = {"a": [1, 2.5, None, True], "b": {"nested": "ü"}}

    serializer = JSONSerializer()
    data = serializer.dumps(value)

    assert isinstance(data, bytes)
    assert serializer.loads(data) == value


def test_json_encodes_common_python_types_to_their_json_form() -> None:
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    moment = datetime.datetime(2024, 5, 17, 8, 30, 5, tzinfo=datetime.timezone.utc)
    value = {
        "datetime": moment,
        "date": datetime.date(2024, 5, 17),
        "time": datetime.time(8, 30),
        "uuid": ident,
        "decimal": decimal.Decimal("0.1000000000000000000001"),
        "set": {3},
        "frozenset": frozenset({"x"}),
        "dataclass": Point(x=1, when=datetime.date(2020, 1, 2)),
        "model": Payload(id=ident, at=moment),
    }

    serializer = JSONSerializer()
    restored = serializer.loads(serializer.dumps(value))

    assert restored == {
        "datetime": "2024-05-17T08:30:05+00:00",
        "date": "2024-05-17",
        "time": "08:30:00",
        "uuid": "12345678-1234-5678-1234-567812345678",
        "decimal": "0.1000000000000000000001",
        "set": [3],
        "frozenset": ["x"],
        "dataclass": {"x": 1, "when": "2020-01-02"},
        "model": {"id": "12345678-1234-5678-1234-567812345678", "at": "2024-05-17T08:30:05Z"},
    }


def test_json_names_the_type_it_cannot_serialize() -> None:
    with pytest.raises(SerializationError) as info:
        JSONSerializer().dumps({"values": (n for n in range(3))})

    message = str(info.value)
    assert message.startswith("could not serialize a value of type 'dict' with the 'json'")
    assert "Object of type generator is not JSON serializable" in message


def test_json_reports_the_top_level_type() -> None:
    with pytest.raises(SerializationError, match="type 'generator' with the 'json' serializer"):
        JSONSerializer().dumps(n for n in range(3))


def test_json_rejects_circular_structures() -> None:
    loop: list[Any] = []
    loop.append(loop)

    with pytest.raises(SerializationError, match="type 'list' with the 'json' serializer"):
        JSONSerializer().dumps(loop)


def test_json_reports_invalid_data() -> None:
    with pytest.raises(SerializationError, match="could not deserialize data with the 'json'"):
        JSONSerializer().loads(b"{not json")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pickle", PickleSerializer),
        ("cloudpickle", PickleSerializer),
        ("json", JSONSerializer),
        (" JSON ", JSONSerializer),
    ],
)
def test_resolve_serializer_by_name(name: str, expected: type[Serializer]) -> None:
    assert type(resolve_serializer(name)) is expected


def test_resolve_serializer_passes_instances_through() -> None:
    serializer = JSONSerializer()

    assert resolve_serializer(serializer) is serializer


def test_resolve_serializer_lists_valid_names_for_unknown_ones() -> None:
    with pytest.raises(ValueError, match="unknown result serializer 'yaml'") as info:
        resolve_serializer("yaml")

    assert "'cloudpickle', 'json', 'pickle'" in str(info.value)


# --- storage ----------------------------------------------------------------------------------


def test_local_storage_write_read_exists(tmp_path: Path) -> None:
    storage = LocalFileSystem(tmp_path)

    assert not storage.exists("k")
    storage.write("k", b"first")
    storage.write("k", b"second")

    assert storage.exists("k")
    assert storage.read("k") == b"second"
    assert os.listdir(tmp_path) == ["k"], "no temporary files are left behind"


def test_local_storage_creates_missing_directories(tmp_path: Path) -> None:
    storage = LocalFileSystem(tmp_path / "a" / "b")

    storage.write("cache/key", b"data")

    assert (tmp_path / "a" / "b" / "cache" / "key").read_bytes() == b"data"


def test_local_storage_cleans_up_when_the_final_rename_fails(tmp_path: Path) -> None:
    (tmp_path / "k").mkdir()  # replacing a directory with a file fails, even for root
    storage = LocalFileSystem(tmp_path)

    with pytest.raises(ResultStorageError, match=f"could not write result 'k' to {tmp_path}"):
        storage.write("k", b"data")

    assert os.listdir(tmp_path) == ["k"]
    assert (tmp_path / "k").is_dir()


def test_local_storage_reports_unwritable_locations(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    storage = LocalFileSystem(blocker / "results")

    with pytest.raises(ResultStorageError) as info:
        storage.write("abc", b"data")

    message = str(info.value)
    assert message.startswith(f"could not write result 'abc' to {blocker / 'results'}: ")
    assert "Error" in message.split(": ", 1)[1]


def test_local_storage_reports_missing_keys(tmp_path: Path) -> None:
    with pytest.raises(ResultStorageError, match=f"result 'nope' not found in {tmp_path}"):
        LocalFileSystem(tmp_path).read("nope")


@pytest.mark.parametrize("key", ["", "../escape", "a/../../b", "/abs", "a//b", "a\\b", "."])
def test_storage_rejects_keys_that_leave_the_location(tmp_path: Path, key: str) -> None:
    storage = LocalFileSystem(tmp_path / "results")

    with pytest.raises(ValueError, match="invalid result key"):
        storage.write(key, b"data")

    assert list(tmp_path.iterdir()) == []


def test_local_storage_is_absolute_and_describes_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    storage = LocalFileSystem("results")

    assert storage.location == str(tmp_path / "results")
    assert storage.uri == (tmp_path / "results").as_uri()
    assert storage.uri.startswith("file:///")


def test_remote_storage_in_memory(memory_url: str) -> None:
    storage = RemoteFileSystem(memory_url + "/")

    assert storage.uri == memory_url
    assert not storage.exists("k")
    storage.write("nested/k", b"payload")

    assert storage.exists("nested/k")
    assert storage.read("nested/k") == b"payload"
    with pytest.raises(ResultStorageError, match=f"result 'k' not found in {memory_url}"):
        storage.read("k")


def test_remote_storage_reports_unknown_protocols() -> None:
    storage = RemoteFileSystem("nosuchprotocol://bucket")

    with pytest.raises(ResultStorageError, match="could not write result 'k' to nosuchprotocol"):
        storage.write("k", b"data")


def test_remote_storage_needs_a_url() -> None:
    with pytest.raises(ValueError, match="expected a URL"):
        RemoteFileSystem("/just/a/path")


def test_storages_survive_pickling(tmp_path: Path, memory_url: str) -> None:
    local = LocalFileSystem(tmp_path)
    remote = RemoteFileSystem(memory_url)
    local.write("k", b"local")
    remote.write("k", b"remote")

    local_copy = pickle.loads(pickle.dumps(local))
    remote_copy = pickle.loads(pickle.dumps(remote))

    assert local_copy == local
    assert remote_copy == remote
    assert local_copy.read("k") == b"local"
    assert remote_copy.read("k") == b"remote"


def test_resolve_storage_from_paths_and_urls(tmp_path: Path, memory_url: str) -> None:
    remote = RemoteFileSystem(memory_url)

    assert resolve_storage(str(tmp_path)) == LocalFileSystem(tmp_path)
    assert resolve_storage(tmp_path) == LocalFileSystem(tmp_path)
    assert resolve_storage("results", default_base=tmp_path) == LocalFileSystem(
        tmp_path / "results"
    )
    assert resolve_storage(tmp_path / "abs", default_base=Path("/elsewhere")) == LocalFileSystem(
        tmp_path / "abs"
    )
    assert resolve_storage((tmp_path / "a b").as_uri()) == LocalFileSystem(tmp_path / "a b")
    assert resolve_storage(f"file://localhost{tmp_path}") == LocalFileSystem(tmp_path)
    assert resolve_storage(memory_url) == remote
    assert resolve_storage(remote) is remote


def test_resolve_storage_rejects_file_urls_on_other_hosts() -> None:
    with pytest.raises(ValueError, match="names host 'server'"):
        resolve_storage("file://server/share")


# --- persistence ------------------------------------------------------------------------------


def test_persist_and_load_locally(tmp_path: Path) -> None:
    ref = persist({"answer": 42}, tmp_path, "pickle")

    assert ref.storage == tmp_path.as_uri()
    assert ref.serializer == "pickle"
    assert len(ref.key) == 32
    int(ref.key, 16)
    assert (tmp_path / ref.key).is_file()
    assert load(ref) == {"answer": 42}


def test_persist_and_load_in_memory(memory_url: str) -> None:
    ref = persist([datetime.date(2024, 1, 1)], memory_url, JSONSerializer())

    assert ref == ResultRef(storage=memory_url, key=ref.key, serializer="json")
    assert load(ref) == ["2024-01-01"]


def test_persist_uses_fresh_keys_unless_given_one(tmp_path: Path) -> None:
    storage = LocalFileSystem(tmp_path)

    first = persist(1, storage, "json")
    second = persist(2, storage, "json")
    cached = persist(3, storage, "json", key="cache-abc")
    replaced = persist(4, storage, "json", key="cache-abc")

    assert first.key != second.key
    assert cached == replaced
    assert cached.key == "cache-abc"
    assert load(cached) == 4
    assert load(first) == 1


def test_failed_serialization_stores_nothing(tmp_path: Path) -> None:
    with pytest.raises(SerializationError, match="type 'generator' with the 'json' serializer"):
        persist((n for n in range(3)), tmp_path, "json", key="k")

    assert list(tmp_path.iterdir()) == []


class ExplodingSerializer(Serializer):
    type = "exploding"

    def dumps(self, obj: Any) -> bytes:
        raise RuntimeError("boom")

    def loads(self, data: bytes) -> Any:
        raise RuntimeError("boom")


def test_persist_wraps_errors_from_custom_serializers(tmp_path: Path) -> None:
    with pytest.raises(SerializationError, match="type 'int' with the 'exploding' serializer"):
        persist(1, tmp_path, ExplodingSerializer())

    assert list(tmp_path.iterdir()) == []


def test_load_reports_missing_results(memory_url: str) -> None:
    ref = ResultRef(storage=memory_url, key="gone", serializer="pickle")

    with pytest.raises(ResultStorageError, match=f"result 'gone' not found in {memory_url}"):
        load(ref)


def test_load_names_the_result_it_cannot_decode(tmp_path: Path) -> None:
    LocalFileSystem(tmp_path).write("k", b"{broken")
    ref = ResultRef(storage=tmp_path.as_uri(), key="k", serializer="json")

    with pytest.raises(SerializationError, match=f"result 'k' in {tmp_path}: could not deser"):
        load(ref)


def test_result_ref_json_round_trip_and_immutability() -> None:
    ref = ResultRef(storage="memory://bucket", key="abc", serializer="json")

    restored = ResultRef.model_validate_json(ref.model_dump_json())

    assert restored == ref
    with pytest.raises(pydantic.ValidationError):
        ref.key = "other"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        ResultRef.model_validate({**ref.model_dump(), "extra": 1})


@pytest.mark.parametrize("where", ["local", "memory"])
def test_large_values_round_trip(tmp_path: Path, memory_url: str, where: str) -> None:
    value = os.urandom(50 * 1024 * 1024)
    storage: ResultStorage = (
        LocalFileSystem(tmp_path) if where == "local" else RemoteFileSystem(memory_url)
    )

    ref = persist(value, storage, "pickle")

    assert load(ref) == value


def test_importing_results_defers_heavy_dependencies() -> None:
    code = (
        "import sys, baton\n"
        "before = set(sys.modules)\n"
        "import baton.results\n"
        "print(sorted({'fsspec', 'cloudpickle'} & (set(sys.modules) - before)))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout

    assert out.strip() == "[]"
