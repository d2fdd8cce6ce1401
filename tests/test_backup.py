"""Backups that restore: `flask backup PATH` while the network is in use, `flask restore PATH` into an
empty database with its checks, and the journal key kept out of every backup."""
import json
import shutil
import threading
import time

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, make_url, select, text

from network.auth.models import User
from network.backup import services as backups
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, Theme, Thread
from network.journal import keys as journal_keys
from network.journal import services as journal
from network.timeutil import local_today


@pytest.fixture
def empty_database(database_url, tmp_path):
    """The URL of an empty database beside the test's: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore (the PostgreSQL client tools) are not installed")
    base = make_url(database_url)
    name = f"{base.database}_restore"
    server = create_engine(base, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def restore_into(make_app, url: str, folder):
    """Run `flask restore folder` in an app whose database is ``url``; (that app, the command's result)."""
    target = make_app(SQLALCHEMY_DATABASE_URI=url)
    with target.app_context():  # `flask` commands run in the app context they find
        return target, target.test_cli_runner().invoke(args=["restore", str(folder)])


def back_up(runner, folder) -> dict:
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    return json.loads((folder / backups.MANIFEST).read_text())


@pytest.mark.committing
def test_a_backup_taken_while_replies_are_written_restores_exactly_its_manifests_rows(
        app, cast, runner, make_app, empty_database, tmp_path):
    people = cast("participant", "course_leader")
    theme = db.session.scalar(select(Theme).order_by(Theme.id).limit(1))
    thread = forum.create_thread(people["course_leader"], theme, "Tillit i vardagen", "Hur bygger ni tillit?")
    journal.save_entry(people["participant"], None, title="Efter konferensen", body="Tankar", tags=[],
                       entry_date=local_today(), event_id=None, is_draft=False)
    db.session.commit()
    author_id, thread_id = people["participant"].id, thread.id
    written, failures, writing, stop = [], [], threading.Event(), threading.Event()

    def write_replies():
        with app.app_context():
            try:
                author, discussion = db.session.get(User, author_id), db.session.get(Thread, thread_id)
                for n in range(5000):
                    if stop.is_set():
                        break
                    forum.create_reply(author, discussion, f"Svar nummer {n}")
                    db.session.commit()
                    written.append(n)
                    if n == 20:
                        writing.set()
            except Exception as error:  # reported by the test, not lost in the thread
                failures.append(error)
                writing.set()
            finally:
                db.session.remove()

    writer = threading.Thread(target=write_replies)
    writer.start()
    try:
        assert writing.wait(60) and not failures
        before = len(written)
        manifest = back_up(runner, tmp_path / "backup")
        after = len(written)
        for _ in range(1000):  # the writer keeps going after the backup: it was never paused by it
            if len(written) > after or failures:
                break
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join(60)
    assert not failures and len(written) > after

    replies_in_backup = manifest["tables"]["post"] - 1  # the opening post
    assert before <= replies_in_backup <= after
    assert manifest["journal_key_ids"] == [journal_keys.keyring().current]

    target, result = restore_into(make_app, empty_database, tmp_path / "backup")
    assert result.exit_code == 0, result.output
    assert "every table's rows match the manifest" in result.output
    with target.app_context():
        stored = db.session.scalars(select(Post.body_source).where(Post.opening.is_(False))).all()
        assert sorted(stored) == sorted(f"Svar nummer {n}" for n in range(replies_in_backup))
        assert db.session.scalar(select(func.count(User.id))) == manifest["tables"]["user"]


def test_restore_refuses_a_database_that_holds_data(runner, tmp_path):
    back_up(runner, tmp_path / "backup")
    themes = db.session.scalar(select(func.count(Theme.id)))
    result = runner.invoke(args=["restore", str(tmp_path / "backup")])
    assert result.exit_code != 0
    assert "The configured database is not empty" in result.output and "nothing was changed" in result.output
    assert db.session.scalar(select(func.count(Theme.id))) == themes


def test_restore_goes_into_a_database_holding_only_an_empty_migration_stamp(runner, make_app, empty_database, tmp_path):
    back_up(runner, tmp_path / "backup")
    stamped = create_engine(empty_database)
    with stamped.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    stamped.dispose()
    _, result = restore_into(make_app, empty_database, tmp_path / "backup")
    assert result.exit_code == 0, result.output


def test_backup_refuses_a_folder_that_already_holds_files(runner, tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "notes.txt").write_text("last week's copy")
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code != 0 and "is not an empty directory" in result.output
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]


def test_restore_refuses_a_copy_changed_since_the_backup(runner, make_app, empty_database, tmp_path):
    manifest = back_up(runner, tmp_path / "backup")
    copy = tmp_path / "backup" / manifest["file"]
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    target, result = restore_into(make_app, empty_database, tmp_path / "backup")
    assert result.exit_code != 0
    assert "changed since the backup was made" in result.output and "nothing was restored" in result.output
    with target.app_context(), db.engine.connect() as connection:
        assert inspect(connection).get_table_names() == []


def damage_btree_pages(path) -> None:
    """Scribble over the headers of the b-tree pages in the file's second half, as a failing disk might."""
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    for start in range(len(data) // 2 // size * size, len(data), size):
        if data[start] in (2, 5, 10, 13):  # b-tree page types
            data[start + 1:start + 8] = b"\x7f" * 7
    path.write_bytes(bytes(data))


def test_restore_refuses_a_copy_that_fails_the_integrity_check(runner, make_app, empty_database, tmp_path):
    if not empty_database.startswith("sqlite"):
        pytest.skip("SQLite's integrity check; pg_restore checks a PostgreSQL dump as it reads it")
    folder = tmp_path / "backup"
    manifest = back_up(runner, folder)
    damage_btree_pages(folder / manifest["file"])
    # Damaged before its checksum was taken: only the integrity check can tell.
    manifest["sha256"] = backups.sha256(folder / manifest["file"])
    (folder / backups.MANIFEST).write_text(json.dumps(manifest))
    target, result = restore_into(make_app, empty_database, folder)
    assert result.exit_code != 0
    assert "fails SQLite's integrity check" in result.output and "nothing was restored" in result.output
    with target.app_context(), db.engine.connect() as connection:
        assert inspect(connection).get_table_names() == []


def test_the_journal_key_stays_out_of_the_backup_and_the_command_says_where_it_lives(runner, app, tmp_path):
    folder = tmp_path / "backup"
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    key_file = journal_keys.keyring().path
    assert f"The journal key is NOT in this backup. It lives in {key_file}" in result.output
    assert "A backup without that key cannot open the journal entries" in result.output
    manifest = json.loads((folder / backups.MANIFEST).read_text())
    assert sorted(path.name for path in folder.iterdir()) == sorted([backups.MANIFEST, manifest["file"]])
    key_text = key_file.read_text().strip().encode()
    key = journal_keys.decode_keys(key_file.read_text())[-1]
    for path in folder.iterdir():
        assert key_text not in path.read_bytes() and key not in path.read_bytes()


def test_a_backup_from_a_newer_release_is_refused_and_an_older_one_is_restored_for_upgrading(app):
    [head] = ScriptDirectory(app.extensions["migrate"].directory).get_heads()
    assert backups.migration_to_come(head) is None
    assert backups.migration_to_come("0011") == head
    with pytest.raises(backups.BackupError, match="made by a newer release"):
        backups.migration_to_come("0099")


def test_a_missing_postgresql_client_program_is_named_with_how_to_get_it(make_app):
    with make_app(BACKUP_PG_DUMP="/nowhere/pg_dump").app_context():
        with pytest.raises(backups.BackupError, match="pg_dump was not found: install the PostgreSQL client tools"):
            backups.client_program("BACKUP_PG_DUMP", "pg_dump")
