"""The set-up contract: configuration, database, migrations, health check, security baseline."""
import os
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from helpers import page_text
from network import create_app
from network.extensions import db
from network.schema import include_object


def test_migrations_yield_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.committing
def test_migrations_downgrade_to_nothing_and_back(app):
    downgrade(revision="base")
    with db.engine.connect() as connection:
        assert "user" not in db.inspect(connection).get_table_names()
    upgrade()
    with db.engine.connect() as connection:
        assert "user" in db.inspect(connection).get_table_names()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 20000


def test_an_explicit_sqlite_busy_timeout_wins(make_app, monkeypatch, tmp_path):
    monkeypatch.setenv("NETWORK_SQLITE_BUSY_TIMEOUT_MS", "12345")
    application = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'other.db'}")
    with application.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 12345


def test_environment_variables_override_config(make_app, monkeypatch):
    monkeypatch.setenv("NETWORK_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("NETWORK_PER_PAGE", "10")
    application = create_app()
    assert application.config["RATELIMIT_ENABLED"] is False
    assert application.config["PER_PAGE"] == 10


def test_instance_config_file_is_read(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("PER_PAGE = 7\n")
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("NETWORK_PER_PAGE", raising=False)
    assert create_app().config["PER_PAGE"] == 7


def test_secret_key_is_generated_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(tmp_path / "fresh"))
    monkeypatch.delenv("NETWORK_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    key_file = tmp_path / "fresh" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first) >= 64
    assert create_app().config["SECRET_KEY"] == first


def test_database_url_selects_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.example/network")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example/network"
    monkeypatch.delenv("DATABASE_URL")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'network.db'}"


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(make_app, tmp_path):
    broken = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in tests


def test_production_sets_hsts_and_secure_cookies(make_app, participant):
    production = make_app(HTTPS=True)
    client = production.test_client()
    response = client.post("/login", data={"email": participant.email, "password": "correct horse battery"},
                           base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers.get("Set-Cookie")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_in_pages(client):
    body = page_text(client.get("/login"))
    assert "<script>" not in body and "onclick" not in body


@pytest.mark.parametrize("path,code", [("/no-such-page", 404), ("/logout", 405)])
def test_error_pages_in_swedish_by_default(client, path, code):
    response = client.get(path)
    assert response.status_code == code
    body = page_text(response)
    assert '<html lang="sv">' in body
    assert "Felkod" in body


def test_error_pages_in_english_when_chosen(client):
    client.post("/language", data={"language": "en"})
    body = page_text(client.get("/no-such-page"))
    assert '<html lang="en">' in body and "Page not found" in body


def test_too_large_request_gets_413_page(make_app):
    small = make_app(MAX_CONTENT_LENGTH=100)
    response = small.test_client().post("/login", data={"email": "x" * 500, "password": "y"})
    assert response.status_code == 413
    assert "Felkod" in page_text(response)


def test_unexpected_error_gives_500_page_without_traceback(make_app):
    application = make_app()

    @application.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = application.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in page_text(response)
    assert "Traceback" not in page_text(response)


def test_every_post_route_refuses_requests_without_csrf_token(make_app, admin):
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = admin.get_id()
        session["_fresh"] = True
    checked = 0
    for rule in protected.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.build({arg: 1 if arg.endswith("id") else "x" for arg in rule.arguments}, append_unknown=False)[1]
        response = client.post(url, data={"anything": "1"})
        assert response.status_code == 400, f"{rule.rule} answered {response.status_code}"
        checked += 1
    assert checked >= 10
