"""Schema creation and migrations on real SQLite files and, when configured, PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from baton.exceptions import StorageError
from baton.storage import schema
from baton.storage.database import Database
from baton.storage.models import flow, flow_run, metadata
from baton.testing import postgres_schema

POSTGRES_URL_VARIABLE = "BATON_TEST_POSTGRES_URL"
# Where ``baton`` is imported from, for child processes (it may not be installed).
BATON_IMPORT_ROOT = Path(schema.__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database; on PostgreSQL a schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'baton.db'}")
        yield db
        db.dispose()
        return
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    with postgres_schema(url) as isolated:
        db = Database(isolated)
        try:
            yield db
        finally:
            db.dispose()


def schema_differences(db: Database) -> list[Any]:
    """What autogenerate would change to make the database match the models."""
    with db.read() as conn:
        differences: list[Any] = compare_metadata(MigrationContext.configure(conn), metadata)
    return differences


def table_names(db: Database) -> set[str]:
    with db.read() as conn:
        return set(inspect(conn).get_table_names())


def add_flow(db: Database, name: str = "etl") -> uuid.UUID:
    now = dt.datetime.now(dt.timezone.utc)
    flow_id = uuid.uuid4()
    with db.write() as conn:
        conn.execute(insert(flow).values(id=flow_id, name=name, created=now, updated=now))
    return flow_id


def add_flow_run(db: Database, flow_id: uuid.UUID) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    with db.write() as conn:
        conn.execute(
            insert(flow_run).values(
                id=uuid.uuid4(), flow_id=flow_id, name="run", created=now, updated=now
            )
        )


def flow_count(db: Database) -> int:
    with db.read() as conn:
        return conn.scalar(select(func.count()).select_from(flow)) or 0


def flow_run_count(db: Database) -> int:
    with db.read() as conn:
        return conn.scalar(select(func.count()).select_from(flow_run)) or 0


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    """Start ``python -c code args`` with Baton importable."""
    path = [str(BATON_IMPORT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def url_of(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def test_head_revision_is_the_newest_migration() -> None:
    scripts = ScriptDirectory.from_config(schema.alembic_config())
    assert scripts.get_heads() == [schema.HEAD_REVISION]


def test_migrations_build_the_schema_the_models_define(database: Database) -> None:
    schema.upgrade(database)

    assert schema.current_revision(database) == schema.HEAD_REVISION
    assert schema_differences(database) == []


def test_created_and_migrated_sqlite_databases_have_the_same_ddl(tmp_path: Path) -> None:
    created = Database(f"sqlite:///{tmp_path / 'created.db'}")
    migrated = Database(f"sqlite:///{tmp_path / 'migrated.db'}")

    schema.ensure_schema(created)
    schema.upgrade(migrated)

    ddl = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    with created.read() as one, migrated.read() as other:
        assert _unquoted(one.exec_driver_sql(ddl).all()) == _unquoted(
            other.exec_driver_sql(ddl).all()
        )
    created.dispose()
    migrated.dispose()


def _unquoted(ddl: list[Any]) -> list[tuple[Any, ...]]:
    """DDL with table names unquoted: SQLite quotes the name of a table a migration rebuilt."""
    return [
        (kind, name, re.sub(r'^CREATE TABLE "(\w+)"', r"CREATE TABLE \1", sql or ""))
        for kind, name, sql in ddl
    ]


def test_ensure_schema_creates_and_stamps_an_empty_database(database: Database) -> None:
    assert schema.current_revision(database) is None

    schema.ensure_schema(database)

    assert schema.current_revision(database) == schema.HEAD_REVISION
    assert table_names(database) == {*metadata.tables, "alembic_version"}
    assert schema_differences(database) == []
    with database.read() as conn:
        version_key = inspect(conn).get_pk_constraint("alembic_version")
    assert (version_key["name"], version_key["constrained_columns"]) == (
        "alembic_version_pkc",  # what Alembic itself names it
        ["version_num"],
    )


def test_ensure_schema_on_a_current_database_changes_nothing(database: Database) -> None:
    schema.ensure_schema(database)
    add_flow(database)

    schema.ensure_schema(database)

    assert flow_count(database) == 1
    assert schema.current_revision(database) == schema.HEAD_REVISION


def test_ensure_schema_accepts_a_database_migrated_by_alembic(database: Database) -> None:
    schema.upgrade(database)
    add_flow(database)

    schema.ensure_schema(database)

    assert flow_count(database) == 1
    assert schema.current_revision(database) == schema.HEAD_REVISION


def test_downgrade_to_base_then_upgrade(database: Database) -> None:
    schema.ensure_schema(database)
    add_flow(database)

    with database.write() as conn:
        command.downgrade(schema.alembic_config(conn), "base")

    assert schema.current_revision(database) is None
    assert table_names(database) & set(metadata.tables) == set()

    schema.upgrade(database)

    assert schema.current_revision(database) == schema.HEAD_REVISION
    assert schema_differences(database) == []
    assert flow_count(database) == 0


def test_ensure_schema_does_not_import_alembic_when_current(database: Database) -> None:
    schema.ensure_schema(database)

    child = run_python(
        """
        import sys
        from baton.storage.database import Database
        from baton.storage.schema import ensure_schema
        ensure_schema(Database(sys.argv[1]))
        print("alembic" in sys.modules)
        """,
        url_of(database),
    )
    out, err = child.communicate(timeout=120)

    assert child.returncode == 0, err
    assert out.strip() == "False"


@pytest.mark.slow
@pytest.mark.parametrize("opened_first", [False, True], ids=["new", "opened"])
def test_processes_starting_together_on_a_fresh_database_all_succeed(
    database: Database, opened_first: bool
) -> None:
    if opened_first:
        # An empty SQLite database already in WAL mode lets the children's first
        # reads run side by side, so they all find it empty and queue for the lock.
        assert schema.current_revision(database) is None
    # Each child imports everything, then waits for the same instant.
    start_at = str(time.time() + 3)
    children = [
        run_python(
            """
            import sys, time
            from baton.storage.database import Database
            from baton.storage.schema import ensure_schema
            db = Database(sys.argv[1])
            time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
            ensure_schema(db)
            """,
            url_of(database),
            start_at,
        )
        for _ in range(6)
    ]
    errors = [child.communicate(timeout=120)[1] for child in children]

    assert [child.returncode for child in children] == [0] * len(children), "\n".join(errors)
    assert schema.current_revision(database) == schema.HEAD_REVISION
    assert schema_differences(database) == []


def test_a_file_that_is_not_sqlite_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "baton.db"
    path.write_bytes(os.urandom(4096))
    db = Database(f"sqlite:///{path}")

    with pytest.raises(StorageError, match="is not a SQLite database"):
        schema.ensure_schema(db)
    db.dispose()


def test_a_database_from_a_newer_baton_is_refused(database: Database) -> None:
    schema.ensure_schema(database)
    with database.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))

    with pytest.raises(StorageError, match="created by a newer Baton"):
        schema.ensure_schema(database)
    with pytest.raises(StorageError, match="created by a newer Baton"):
        schema.upgrade(database)


def test_tables_without_a_revision_are_not_touched(database: Database) -> None:
    with database.write() as conn:
        metadata.create_all(conn)

    with pytest.raises(StorageError, match="no schema revision"):
        schema.ensure_schema(database)


def test_reset_deletes_the_data_and_keeps_the_schema(database: Database) -> None:
    schema.ensure_schema(database)
    add_flow(database, "one")
    add_flow(database, "two")

    schema.reset(database)

    assert flow_count(database) == 0
    assert schema.current_revision(database) == schema.HEAD_REVISION
    assert schema_differences(database) == []


def test_schema_changes_leave_foreign_keys_enforced(database: Database) -> None:
    schema.ensure_schema(database)
    schema.reset(database)

    with pytest.raises(IntegrityError):
        add_flow_run(database, uuid.uuid4())


# Changes a column of ``flow``, which SQLite can only do by rebuilding the table:
# with foreign keys enforced, dropping the old table would delete every flow run.
REBUILDING_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("flow") as batch:
        batch.alter_column("name", existing_type=sa.String(), type_=sa.Text())


def downgrade():
    with op.batch_alter_table("flow") as batch:
        batch.alter_column("name", existing_type=sa.Text(), type_=sa.String())
"""


def test_an_older_database_is_upgraded_without_losing_rows(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema.ensure_schema(database)
    add_flow_run(database, add_flow(database))
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(schema.__file__).parent / "migrations", scripts)
    head, newer = schema.HEAD_REVISION, f"{int(schema.HEAD_REVISION) + 1:04d}"
    migration = REBUILDING_MIGRATION.format(revision=newer, down_revision=head)
    (scripts / "versions" / f"{newer}_rebuild_flow.py").write_text(migration)
    monkeypatch.setattr(schema, "_SCRIPT_LOCATION", str(scripts))
    monkeypatch.setattr(schema, "HEAD_REVISION", newer)

    schema.ensure_schema(database)

    assert schema.current_revision(database) == newer
    assert (flow_count(database), flow_run_count(database)) == (1, 1)


@pytest.mark.parametrize(
    ("index", "condition"),
    [
        (
            "ix_flow_run__deployment_id_expected_start_time",
            flow_run.c.deployment_id == uuid.uuid4(),
        ),
        (
            "ix_flow_run__work_queue_id_state_type_expected_start_time",
            flow_run.c.work_queue_id.in_([uuid.uuid4(), uuid.uuid4()]),
        ),
        ("ix_flow_run__parent_task_run_id", flow_run.c.parent_task_run_id.in_([uuid.uuid4()])),
        (
            "ix_flow_run__flow_id_idempotency_key",
            (flow_run.c.flow_id == uuid.uuid4()) & (flow_run.c.idempotency_key == "k"),
        ),
    ],
)
def test_queries_on_columns_most_runs_leave_empty_use_their_partial_indexes(
    database: Database, index: str, condition: Any
) -> None:
    schema.ensure_schema(database)
    statement = select(flow_run.c.id).where(condition)
    with database.read() as conn:
        compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
        if conn.dialect.name == "sqlite":
            plan = conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            definition = "SELECT sql FROM sqlite_master WHERE name = :name"
        else:  # an empty table is read whole unless that is ruled out
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = conn.execute(text(f"EXPLAIN {compiled}")).all()
            definition = (
                "SELECT indexdef FROM pg_indexes"
                " WHERE indexname = :name AND schemaname = current_schema()"
            )
        created = conn.execute(text(definition), {"name": index}).scalar_one()
    assert index in str(plan)
    assert "IS NOT NULL" in created
