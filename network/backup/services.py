"""Taking a backup and restoring it: the copy, its manifest and the checks (see the package's docstring).

Works on the app's configured database (``db.engine``): SQLite through its online backup API,
PostgreSQL through ``pg_dump``/``pg_restore``, whose paths the config keys ``BACKUP_PG_DUMP`` and
``BACKUP_PG_RESTORE`` may set (default: found on PATH).
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from network.extensions import db
from network.journal import keys as journal_keys
from network.timeutil import utcnow

MANIFEST = "manifest.json"
COPIES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
FORMAT = 1


class BackupError(Exception):
    """A backup or a restore was refused or failed; the message says why and what to do."""


@dataclass
class Manifest:
    """What a backup holds; written beside the copy as manifest.json."""

    database: str  # "sqlite" or "postgresql"
    file: str  # the copy's name in the backup folder
    sha256: str
    revision: str | None  # the Alembic revision the database was at
    tables: dict[str, int]  # rows per table, read from the copy itself (SQLite) or pg_dump's snapshot
    journal_key_ids: list[str]  # the keys the journal entries need; never the keys themselves
    created_at: str = ""
    format: int = FORMAT

    def write(self, folder: Path) -> None:
        path = folder / MANIFEST
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        path.chmod(0o600)

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        """The manifest in ``folder``; BackupError when there is none or it is not ours."""
        try:
            manifest = cls(**json.loads((folder / MANIFEST).read_text()))
        except (OSError, ValueError, TypeError) as error:
            raise BackupError(f"{folder} holds no readable {MANIFEST}: it is not a backup made by `flask backup`.") from error
        if manifest.format != FORMAT or COPIES.get(manifest.database) != manifest.file:
            raise BackupError(f"{folder / MANIFEST} is not a manifest this release understands (format {manifest.format}).")
        return manifest

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# Backing up ---------------------------------------------------------------------------------------

def back_up(folder: Path) -> Manifest:
    """Copy the configured database into ``folder`` (new or empty) with its manifest.

    Safe while the app writes: the copy is one consistent snapshot, and the manifest's counts are
    read from that same snapshot. The journal key is never copied. On failure ``folder`` is left
    as empty as it was found.
    """
    kind = database_kind()
    prepare_folder(folder)
    try:
        manifest = back_up_sqlite(folder) if kind == "sqlite" else back_up_postgresql(folder)
        manifest.created_at = utcnow().isoformat()
        manifest.write(folder)
    except BaseException:
        for name in (COPIES[kind], MANIFEST):
            (folder / name).unlink(missing_ok=True)
        raise
    return manifest


def database_kind() -> str:
    """"sqlite" or "postgresql": the configured database's kind; BackupError for anything else."""
    name = db.engine.dialect.name
    if name not in COPIES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def prepare_folder(folder: Path) -> None:
    """``folder`` exists, is empty and only its owner can read it; BackupError otherwise."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} is not an empty directory: a backup never overwrites or mixes with other files. "
                          "Name a new directory.")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def back_up_sqlite(folder: Path) -> Manifest:
    """The SQLite database copied page by page in one step of the online backup API.

    One step reads one snapshot: in WAL mode the app's writers go on meanwhile, and their commits
    after the snapshot are simply not in the copy.
    """
    source, copy = sqlite_file(), folder / COPIES["sqlite"]
    if not source.is_file():
        raise BackupError(f"The configured database {source} does not exist.")
    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
    with closing(sqlite3.connect(source, timeout=timeout)) as live, closing(sqlite3.connect(copy)) as target:
        live.backup(target)
    copy.chmod(0o600)
    engine = create_engine(f"sqlite:///{copy}")
    try:
        with engine.connect() as connection:
            facts = database_facts(connection)
    finally:
        engine.dispose()
    with closing(sqlite3.connect(copy)) as finished:
        finished.execute("PRAGMA journal_mode=DELETE")  # one self-contained file: no -wal or -shm beside it
    check_integrity(copy)
    return Manifest(database="sqlite", file=copy.name, sha256=sha256(copy), **facts)


def back_up_postgresql(folder: Path) -> Manifest:
    """``pg_dump --format=custom`` of the database, counted in the very snapshot pg_dump reads.

    A REPEATABLE READ transaction exports its snapshot and stays open while pg_dump uses it
    (``--snapshot``), so the manifest's counts and the dump agree whatever the app writes meanwhile.
    """
    dump = folder / COPIES["postgresql"]
    program = client_program("BACKUP_PG_DUMP", "pg_dump")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            facts = database_facts(connection)
            run_client([program, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}"])
    dump.chmod(0o600)
    return Manifest(database="postgresql", file=dump.name, sha256=sha256(dump), **facts)


def database_facts(connection: Connection) -> dict:
    """The manifest's facts about the database behind ``connection``: revision, counts, journal keys."""
    tables = row_counts(connection)
    revision = None
    if "alembic_version" in tables:
        revision = ",".join(sorted(connection.scalars(text("SELECT version_num FROM alembic_version")))) or None
    key_ids = journal_keys.key_ids_in_use(connection) if "journal_entry" in tables else set()
    return {"revision": revision, "tables": tables, "journal_key_ids": sorted(key_ids)}


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows per table, for every table in the database (SQLite's full-text tables and Alembic's too)."""
    names = sorted(inspect(connection).get_table_names())
    quote = connection.dialect.identifier_preparer.quote
    return {name: connection.scalar(text(f"SELECT count(*) FROM {quote(name)}")) for name in names}


def journal_key_location() -> str:
    """Where the journal key lives, in words: the setting or the key file's path."""
    if current_app.config.get("JOURNAL_KEY"):
        return "the NETWORK_JOURNAL_KEY setting"
    return str(Path(current_app.instance_path) / journal_keys.KEY_FILE)


# Restoring ----------------------------------------------------------------------------------------

@dataclass
class Restored:
    """A finished restore: its manifest, and the code's migration head when the backup is older."""

    manifest: Manifest
    upgrade_to: str | None


def restore(folder: Path) -> Restored:
    """Restore the backup in ``folder`` into the configured database, which must be empty.

    Refused (BackupError, the target untouched) when the target holds data, the copy's checksum
    or SQLite's integrity check fails, or the backup comes from a newer release than this code.
    Afterwards every table's rows are counted against the manifest.
    """
    manifest = Manifest.read(folder)
    kind = database_kind()
    if manifest.database != kind:
        raise BackupError(f"This is a backup of a {manifest.database} database; the configured database is {kind}.")
    refuse_unless_empty()
    copy = folder / manifest.file
    if not copy.is_file() or sha256(copy) != manifest.sha256:
        raise BackupError(f"{copy} is missing or changed since the backup was made (its SHA-256 differs from the "
                          "manifest's): nothing was restored.")
    upgrade_to = migration_to_come(manifest.revision)
    if kind == "sqlite":
        restore_sqlite(copy)
    else:
        restore_postgresql(copy)
    compare_counts(manifest)
    return Restored(manifest=manifest, upgrade_to=upgrade_to)


def refuse_unless_empty() -> None:
    """BackupError unless the target is empty: no tables, or only an ``alembic_version`` without rows."""
    with db.engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
        stamped = "alembic_version" in names and connection.scalar(text("SELECT count(*) FROM alembic_version"))
    if names - {"alembic_version"} or stamped:
        raise BackupError(
            f"The configured database is not empty ({len(names)} tables): a restore only goes into an empty database. "
            "Create a new one (or point DATABASE_URL at one) and restore there; nothing was changed."
        )


def migration_to_come(revision: str | None) -> str | None:
    """The code's head when the backup is older than the code; None when they match.

    BackupError when the code does not know the backup's revision: it was made by a newer release.
    """
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    heads = ",".join(sorted(script.get_heads()))
    if revision == heads:
        return None
    try:
        known = revision is not None and all(script.get_revision(r) for r in revision.split(","))
    except CommandError:  # alembic's word for a revision it cannot find
        known = False
    if not known:
        raise BackupError(f"The backup is at migration {revision}, which this code does not know (its newest is "
                          f"{heads}): it was made by a newer release. Restore it with that release; nothing was changed.")
    return heads


def restore_sqlite(copy: Path) -> None:
    """Copy the checked backup into a file beside the target, check it, then move it into place."""
    check_integrity(copy)
    target = sqlite_file()
    db.engine.dispose()  # the app's connections see the replaced file afresh
    staging = target.with_name(f".{target.name}.restoring")
    staging.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(read_only(copy), uri=True)) as source, closing(sqlite3.connect(staging)) as new:
            source.backup(new)
        check_integrity(staging)
        for suffix in ("-wal", "-shm", "-journal"):  # the empty target's: a stale WAL would be replayed
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)


def restore_postgresql(dump: Path) -> None:
    """``pg_restore`` into the empty database, all or nothing (one transaction, stop at the first error)."""
    program = client_program("BACKUP_PG_RESTORE", "pg_restore")
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))  # empty (checked): the dump brings its own
    db.engine.dispose()
    run_client([program, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(dump)])


def compare_counts(manifest: Manifest) -> None:
    """BackupError naming every table whose rows differ from the manifest's count."""
    with db.engine.connect() as connection:
        found = row_counts(connection)
    differing = {name for name in manifest.tables.keys() | found.keys() if manifest.tables.get(name) != found.get(name)}
    if differing:
        details = ", ".join(f"{name}: {found.get(name)} restored, {manifest.tables.get(name)} in the manifest"
                            for name in sorted(differing))
        raise BackupError(f"The restored database differs from the manifest ({details}). Do not use it.")


# Shared ---------------------------------------------------------------------------------------------

def sqlite_file() -> Path:
    """The configured SQLite database's file."""
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(name)


def read_only(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def check_integrity(path: Path) -> None:
    """BackupError unless SQLite's ``PRAGMA integrity_check`` finds ``path`` sound."""
    try:
        with closing(sqlite3.connect(read_only(path), uri=True)) as connection:
            found = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        found = [str(error)]
    if found != ["ok"]:
        raise BackupError(f"{path.name} fails SQLite's integrity check ({'; '.join(found[:3])}): nothing was restored.")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def client_program(config_key: str, name: str) -> str:
    """The PostgreSQL client program ``name`` (``config_key`` wins when set); BackupError when missing."""
    program = shutil.which(current_app.config.get(config_key) or name)
    if program is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools of the server's version "
                          f"(e.g. apt-get install postgresql-client) or set NETWORK_{config_key} to its path.")
    return program


def run_client(arguments: list[str]) -> None:
    """Run a PostgreSQL client program against the configured database (its password through the environment)."""
    url = db.engine.url
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    environment = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    program, *options = arguments
    result = subprocess.run([program, f"--dbname={conninfo}", *options], env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(arguments[0]).name} failed: {result.stderr.strip()[-2000:]}")
