"""Växthuset Network: the application factory."""
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from network import config as default_config
from network.urls import trusted_hosts

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build and wire the application. No database writes, no network calls."""
    instance_path = os.environ.get("NETWORK_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, test_config)
    from network import setup

    setup.register_extensions(app)
    setup.register_blueprints(app)
    setup.register_errorhandlers(app)
    setup.register_request_hooks(app)
    setup.register_template_helpers(app)
    setup.register_commands(app)
    return app


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Apply the configuration layers: defaults, instance file, environment, tests."""
    app.config.from_object(default_config)
    # A copy: NETWORK_SQLALCHEMY_ENGINE_OPTIONS__<key> edits it in place, and must not edit the module.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(default_config.SQLALCHEMY_ENGINE_OPTIONS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("NETWORK")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.from_mapping(test_config)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{os.path.join(app.instance_path, 'network.db')}"
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config.setdefault("MAIL_OUTBOX_DIR", None)
    app.config["MAIL_OUTBOX_DIR"] = app.config["MAIL_OUTBOX_DIR"] or os.path.join(
        app.instance_path, "outbox"
    )
    if app.config.get("TRUSTED_HOSTS") is None:  # set explicitly (NETWORK_TRUSTED_HOSTS), it wins
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["BASE_URL"])
    secure = bool(app.config["HTTPS"])
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app.instance_path, "secret_key")


def normalise_database_url(url: str) -> str:
    """Route plain PostgreSQL URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret(instance_path: str, filename: str) -> str:
    """Read a secret from the instance folder, creating it (mode 600) on first start."""
    path = Path(instance_path) / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
