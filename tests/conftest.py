"""Shared fixtures: an app on a migrated database, clients, and creators for test data.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is set. The
schema is built once per run by the migrations; each test starts from empty tables.
"""
import os
from contextlib import contextmanager
from datetime import date

import pytest
from flask import g
from flask_migrate import upgrade
from sqlalchemy import event, text

from network import create_app, normalise_database_url
from network.auth import services as accounts
from network.auth.models import Role, User
from network.extensions import db
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
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database under test: DATABASE_URL if set, else a fresh SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def empty_database(url: str) -> None:
    """Drop everything in the database so the migrations start from nothing."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url, tmp_path_factory):
    """The database URL, with the schema built by running every migration."""
    instance = tmp_path_factory.mktemp("instance-migrate")
    os.environ["NETWORK_INSTANCE_PATH"] = str(instance)
    empty_database(database_url)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def clear_tables() -> None:
    """Remove every row, keeping the schema."""
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(text(f'DELETE FROM "{name}"'))


def fresh_request_state() -> None:
    g.__dict__.clear()
    db.session.expire_all()


@pytest.fixture
def make_app(migrated_database, tmp_path, monkeypatch):
    """Build apps on the test database; extra config per call."""
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    built = []

    def build(**overrides):
        config = {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": migrated_database,
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            **overrides,
        }
        application = create_app(config)
        # Tests hold an app context, which Flask then reuses for every request; give
        # each request fresh `g` and reloaded rows, as a real server would.
        application.before_request_funcs.setdefault(None, []).insert(0, fresh_request_state)
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            if application.config["SQLALCHEMY_DATABASE_URI"] == migrated_database:
                clear_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    application = make_app()
    with application.app_context():
        yield application


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


@pytest.fixture
def participant(make_user, cohort) -> User:
    return make_user(Role.PARTICIPANT, cohort=cohort, email="participant@example.org", name="Anna Lindqvist")


@pytest.fixture
def course_leader(make_user, cohort) -> User:
    return make_user(Role.COURSE_LEADER, cohort=cohort, email="leader@example.org", name="Karin Ledare")


@pytest.fixture
def admin(make_user) -> User:
    return make_user(Role.ADMIN, email="admin@example.org", name="Birgitta Admin")


# Measuring ------------------------------------------------------------------------

@pytest.fixture
def count_queries(app):
    """Context manager counting the SQL statements run inside it: `with count_queries() as n:`."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter
