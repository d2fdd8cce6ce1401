"""Shared fixtures: one migrated database and one app per run, each test in a transaction rolled back.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is set. The migrations
build the schema (and seed the programme's themes) once per run. Every test then works inside
one outer transaction on one connection that is rolled back at its end; code that commits only
releases a savepoint (SQLAlchemy's ``join_transaction_mode="create_savepoint"``), as indico's
``indico/testing/fixtures/database.py`` does it.

Tests that need real commits (several connections, threads, subprocesses, migrations) are
marked ``@pytest.mark.committing``: they run on the plain engine, and the database is put back
in its migrated state afterwards.

``app`` is the run's app; ``make_app(**overrides)`` builds another app with other config, on the
same connection (and so the same transaction). Config, the rate limiter's counters, the journal
key and the mail outbox folder (``tmp_path``) are per test. ``login_as(client, user)`` logs a
client in; ``cast(...)`` gives the network's people (``participant``, ``course_leader`` and
``admin`` are three of them).
"""
import gc
import os
import re
import shutil
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from flask import g
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, insert, make_url, select, text

from network import create_app, normalise_database_url
from network.auth import services as accounts
from network.auth.models import Role, User
from network.extensions import db, limiter
from network.forum.models import Theme
from network.journal import keys as journal_keys
from network.programme.models import (
    Cohort,
    CohortMembership,
    MembershipRole,
    Organisation,
    OrganisationKind,
)

PASSWORD = "correct horse battery"

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "WTF_CSRF_ENABLED": False,
    "HTTPS": False,
    "RATELIMIT_ENABLED": True,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "SERVER_NAME": None,
    # Staff log in with the password alone, as the suite's tests expect; tests/test_twofactor.py
    # turns the requirement on where it tests it.
    "REQUIRE_2FA_ROLES": (),
}


def pytest_configure(config):
    # Requests make short-lived objects by the hundred thousand: collecting the youngest ones every
    # 700 allocations (the default) took a tenth of the run; every 20,000 halves that.
    gc.set_threshold(20_000, 50, 100)
    config.addinivalue_line(
        "markers", "committing: the test commits for real (threads, subprocesses, migrations); "
                   "the database is restored to its migrated state afterwards",
    )


# The database -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database under test: DATABASE_URL if set, else a fresh SQLite file (one per pytest-xdist
    worker: the temporary folder is the worker's own; on PostgreSQL a database beside DATABASE_URL's)."""
    url = os.environ.get("DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url:
        url = normalise_database_url(url)
        return worker_database(url, worker) if worker else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def worker_database(url: str, worker: str) -> str:
    """The URL of the worker's own PostgreSQL database, named after DATABASE_URL's, created if missing."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def empty_database(url: str) -> None:
    """Drop everything in the database so the migrations start from nothing."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()


class MigratedState:
    """What the migrations left in the database, to put back after a test that committed.

    SQLite: a copy of the database file. PostgreSQL: the rows the migrations seeded.
    """

    def __init__(self, url: str):
        self.url = url
        self.sqlite_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        self.rows: dict[str, list[dict]] = {}

    def save(self, engine) -> None:
        if self.sqlite_file:
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            shutil.copyfile(self.sqlite_file, self.template)
            return
        with engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in connection.execute(select(table))]
                if rows:
                    self.rows[table.name] = rows

    @property
    def template(self) -> Path:
        return self.sqlite_file.with_name("migrated.db")

    def restore(self, engine) -> None:
        """Back to the migrated state; every engine on the database must be disposed first."""
        if self.sqlite_file:
            for suffix in ("-wal", "-shm"):
                Path(f"{self.sqlite_file}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.template, self.sqlite_file)
            return
        with engine.begin() as connection:
            tables = connection.scalars(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )).all()
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            for table in db.metadata.sorted_tables:
                if table.name in self.rows:
                    connection.execute(insert(table), self.rows[table.name])
                    for column in table.primary_key.columns:
                        if column.autoincrement is not False and column.type.python_type is int:
                            connection.execute(text(
                                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                                f"(SELECT max(\"{column.name}\") FROM \"{table.name}\"))"
                            ))


@pytest.fixture(scope="session")
def migrated_state(database_url, tmp_path_factory):
    """The database built by running every migration, and a way back to that state."""
    instance = tmp_path_factory.mktemp("instance-migrate")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETWORK_INSTANCE_PATH", str(instance))
        empty_database(database_url)
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    state = MigratedState(database_url)
    with app.app_context():
        upgrade()
        state.save(db.engine)
        db.engine.dispose()
    return state


@pytest.fixture(scope="session")
def migrated_database(migrated_state):
    """The URL of the migrated database."""
    return migrated_state.url


class RollbackSession(Session):
    """Flask-SQLAlchemy's session, on the test's connection when the app's engine has one."""

    connections: dict = {}  # engine -> the connection holding the test's outer transaction

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        return self.connections.get(engine, engine)


def heard_by_listeners(engine) -> None:
    """A connection only reports to the listeners its engine had when it was made: have one, so
    ``count_queries`` hears the test's connection."""
    event.listen(engine, "begin", lambda connection: None)


def fresh_request_state() -> None:
    # Tests hold an app context, which Flask then reuses for every request; give each request
    # fresh `g` and reloaded rows, as a real server would.
    g.__dict__.clear()
    db.session.expire_all()


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per test process, not once per app (``make_app`` builds dozens)."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def prepare(application) -> None:
    application.before_request_funcs.setdefault(None, []).insert(0, fresh_request_state)
    # Every app of the run has the same Jinja settings; the cache checks each template's source.
    application.jinja_env.bytecode_cache = COMPILED_TEMPLATES


@pytest.fixture(scope="session")
def run_app(migrated_database, tmp_path_factory):
    """The one app of the run (its instance folder holds the run's journal key)."""
    instance = tmp_path_factory.mktemp("instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETWORK_INSTANCE_PATH", str(instance))
        application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database})
    prepare(application)
    db.session.session_factory.class_ = RollbackSession
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    with application.app_context():
        journal_keys.keyring()  # the run's journal key, created by the journal's first use
        heard_by_listeners(db.engine)
        engine = db.engine
    application.extensions["test_limiter_state"] = dict(vars(limiter))
    yield application
    engine.dispose()


@pytest.fixture
def database(run_app, migrated_state, request):
    """The test's view of the database: a transaction rolled back at the end, or (marked
    ``committing``) the real thing, restored to its migrated state afterwards."""
    with run_app.app_context():
        engine = db.engine
    if request.node.get_closest_marker("committing"):
        yield engine
        engine.dispose()
        migrated_state.restore(engine)
        engine.dispose()
        return
    with rolled_back(engine):
        yield engine


@contextmanager
def rolled_back(engine):
    """Every session on ``engine`` works inside one transaction, rolled back at the end."""
    connection = engine.connect()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # pysqlite's own transaction handling breaks SAVEPOINT: SQLAlchemy's documented workaround
        # (SQLite dialect, "Serializable isolation / Savepoints / Transactional DDL"), for this
        # connection only: tests that commit for real keep the driver's behaviour, as the app has it.
        connection.connection.driver_connection.isolation_level = None
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    RollbackSession.connections[engine] = connection
    try:
        yield connection
    finally:
        del RollbackSession.connections[engine]
        outer.rollback()
        if sqlite:
            connection.connection.driver_connection.isolation_level = ""
        connection.close()


@contextmanager
def run_app_restored(application, tmp_path):
    """The run's app for one test: its config, rate limits and journal key put back afterwards."""
    config = dict(application.config)
    key_file = Path(application.instance_path) / journal_keys.KEY_FILE
    key_text = key_file.read_text()
    application.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    limiter.reset()
    try:
        yield application
    finally:
        application.config.clear()
        application.config.update(config)
        vars(limiter).update(application.extensions["test_limiter_state"])
        if key_file.read_text() != key_text:  # a test rotated the key
            key_file.write_text(key_text)
            application.extensions[journal_keys.EXTENSION] = journal_keys.load_keyring(application, None)


@pytest.fixture
def make_app(run_app, database, tmp_path, monkeypatch):
    """Build apps on the test database, with config ``overrides`` (the ``app`` fixture is the run's app).

    A built app shares the run's engine, and so the test's transaction, unless the overrides
    name another database.
    """
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", run_app.instance_path)
    built = []

    def build(**overrides):
        config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": run_app.config["SQLALCHEMY_DATABASE_URI"],
                  "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"), **overrides}
        application = create_app(config)
        prepare(application)
        if normalise_database_url(config["SQLALCHEMY_DATABASE_URI"]) == run_app.config["SQLALCHEMY_DATABASE_URI"]:
            with application.app_context():
                db.engine.dispose()
            db._app_engines[application][None] = database  # Flask-SQLAlchemy keeps each app's engines here
        built.append(application)
        return application

    with run_app_restored(run_app, tmp_path):
        yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            if db.engine is not database:
                db.engine.dispose()


@pytest.fixture
def app(run_app, make_app):
    with run_app.app_context():
        yield run_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email, password=PASSWORD, **extra):
        return self._client.post("/login", data={"email": email, "password": password, **extra})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def log_in(client, user, headers=None) -> None:
    """Log a test client in as a member without the form (what the ``login_as`` fixture gives).

    ``user`` is a ``User`` or its ``get_id()`` (a string, safe to hand to threads); ``None`` logs
    out. ``headers`` pick the host the session cookie belongs to. Tests of logging in use ``auth``.
    """
    with client.session_transaction(headers=headers) as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user if isinstance(user, str) else user.get_id()
            session["_fresh"] = True


@pytest.fixture
def login_as():
    """``login_as(client, user)``: the client is logged in as ``user`` (see ``log_in``)."""
    return log_in


# Creators -------------------------------------------------------------------

@pytest.fixture
def make_org(app):
    def make(name="Upplands Väsby kommun", kind=OrganisationKind.MUNICIPALITY, municipality="Upplands Väsby"):
        organisation = Organisation(name=name, kind=kind, municipality=municipality)
        db.session.add(organisation)
        db.session.commit()
        return organisation

    return make


@pytest.fixture
def make_cohort(app):
    def make(name="Växthuset 2026", starts_on=date(2026, 1, 19), ends_on=date(2026, 12, 11)):
        cohort = Cohort(name=name, starts_on=starts_on, ends_on=ends_on, description="")
        db.session.add(cohort)
        db.session.commit()
        return cohort

    return make


@pytest.fixture
def make_theme(app):
    """Create a discussion theme (beside the ones the migration seeds)."""
    def make(slug="bemanning", name_sv="Bemanning", name_en="Staffing", position=1, **fields):
        theme = Theme(slug=slug, name_sv=name_sv, name_en=name_en, position=position, **fields)
        db.session.add(theme)
        db.session.commit()
        return theme

    return make


@pytest.fixture
def theme(make_theme):
    """One discussion theme of make_theme's defaults (a test module may define its own)."""
    return make_theme()


@pytest.fixture
def organisation(make_org):
    return make_org()


@pytest.fixture
def cohort(make_cohort):
    return make_cohort()


@pytest.fixture
def make_user(app, organisation):
    counter = iter(range(1, 100000))

    def make(role=Role.PARTICIPANT, cohort=None, email=None, name=None, organisation_=None,
             password=PASSWORD, membership_role=None):
        n = next(counter)
        user = accounts.create_user(
            email=email or f"member{n}@example.org", name=name or f"Member {n}", password=password,
            role=role, organisation=organisation_ or organisation,
        )
        if cohort is not None:
            if membership_role is None:
                membership_role = (
                    MembershipRole.COURSE_LEADER if role == Role.COURSE_LEADER else MembershipRole.PARTICIPANT
                )
            db.session.add(CohortMembership(user=user, cohort=cohort, role=membership_role))
        db.session.commit()
        return user

    return make


# The cast: the network's people, one table, each member created only when a test asks for them.

CAST = {
    # member: (role, cohort: "cohort" (the test's), "other_cohort" (another one) or None, email, name)
    "participant": (Role.PARTICIPANT, "cohort", "participant@example.org", "Anna Lindqvist"),
    "author": (Role.PARTICIPANT, "cohort", "author@example.org", "Erik Skribent"),
    "course_leader": (Role.COURSE_LEADER, "cohort", "leader@example.org", "Karin Ledare"),
    "outsider": (Role.PARTICIPANT, "other_cohort", "outsider@example.org", "Olle Utanför"),
    "other_leader": (Role.COURSE_LEADER, "other_cohort", "other-leader@example.org", "Jonas Coach"),
    "admin": (Role.ADMIN, None, "admin@example.org", "Birgitta Admin"),
}


class Cast:
    """``cast("admin", member="participant", names={"member": "Pia"}, emails=...)``: the members asked
    for, by their cast name or renamed to the test's own key, created in one transaction.

    A member is created at most once per test (later asks return the same ``User``); names and
    emails, keyed like the result, differ from the table's only for the first ask. Only the members
    asked for exist, so tests that count users, mails or directory rows keep their numbers.
    """

    def __init__(self, request, organisation):
        self._request = request
        self._organisation = organisation
        self._cohorts: dict[str, Cohort] = {}
        self.members: dict[str, User] = {}

    def cohort(self, which: str) -> Cohort:
        """The test's cohort, or the other cohort ("Växthuset 2025"), made when first needed."""
        if which not in self._cohorts:
            if which == "cohort":
                self._cohorts[which] = self._request.getfixturevalue("cohort")
            else:
                self._cohorts[which] = self._request.getfixturevalue("make_cohort")(
                    name="Växthuset 2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 1))
        return self._cohorts[which]

    def __call__(self, *members: str, names=None, emails=None, **renamed: str) -> dict[str, User]:
        chosen = {**{member: member for member in members}, **renamed}
        names, emails = names or {}, emails or {}
        made = False
        for key, member in chosen.items():
            if member not in self.members:
                role, in_cohort, email, name = CAST[member]
                self.members[member] = accounts.create_user(
                    email=emails.get(key, email), name=names.get(key, name), password=PASSWORD, role=role,
                    organisation=self._organisation, cohort=self.cohort(in_cohort) if in_cohort else None,
                )
                made = True
        if made:
            db.session.commit()
        return {key: self.members[member] for key, member in chosen.items()}


@pytest.fixture
def cast(request, app, organisation) -> Cast:
    return Cast(request, organisation)


@pytest.fixture
def participant(cast) -> User:
    return cast("participant")["participant"]


@pytest.fixture
def course_leader(cast) -> User:
    return cast("course_leader")["course_leader"]


@pytest.fixture
def admin(cast) -> User:
    return cast("admin")["admin"]


# Measuring ------------------------------------------------------------------------

TRANSACTION_CONTROL = re.compile(r"(BEGIN|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")


@pytest.fixture
def count_queries(app):
    """Context manager counting the SQL statements run inside it: `with count_queries() as n:`."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if not TRANSACTION_CONTROL.match(statement):  # the test's savepoints are not the app's queries
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter
