"""The factory's wiring steps: extensions, blueprints, error pages, hooks, template helpers, commands.

App-wide hooks (every request, every page) are registered here and nowhere else. A feature's own
template helpers stay in its package and register through its blueprint's ``app_template_global``,
``app_template_filter`` and ``app_context_processor`` decorators.
"""
import importlib
import importlib.util
import os
import shlex
import sqlite3
import sys
import traceback
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from flask import Flask, current_app, g, has_request_context, render_template, request, session
from flask.globals import request_ctx
from markupsafe import escape
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from network import mail
from network.extensions import babel, csrf, db, limiter, login, migrate
from network.inputs import register_converters
from network.journal import keys as journal_keys
from network.labels import label, upper_first
from network.people import services as people
from network.timeutil import local_today, utcnow
from network.urls import base_url_adapter, mail_url

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    register_sqlite_busy_timeout(app)
    mail.init_app(app)  # after db: its teardown runs before the session is removed
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    warn_if_limits_not_shared(app)
    babel.init_app(app, locale_selector=select_locale)
    login.init_app(app)
    journal_keys.init_app(app)  # refuses to start when stored entries' key is missing
    login.login_view = "auth.login"
    login.login_message = _l("Please log in to see this page.")
    login.login_message_category = "info"
    login.session_protection = "basic"
    register_proxy_fix(app)


def register_proxy_fix(app: Flask) -> None:
    """Believe the configured number of proxies' X-Forwarded-* headers; Host only when configured."""
    config = app.config
    x_for = int(config.get("PROXY_FIX_X_FOR") or 0)
    x_proto = x_for if config.get("PROXY_FIX_X_PROTO") is None else int(config["PROXY_FIX_X_PROTO"])
    x_host = int(config.get("PROXY_FIX_X_HOST") or 0)
    if x_for or x_proto or x_host:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto, x_host=x_host)


def warn_if_limits_not_shared(app: Flask) -> None:
    """Warn when several gunicorn workers each count rate limits in their own memory."""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    workers = gunicorn_workers()
    if app.config["RATELIMIT_ENABLED"] and storage.startswith("memory://") and workers > 1:
        app.logger.warning(
            "Rate limits are counted per worker: %d gunicorn workers multiply every limit by %d. "
            "Set NETWORK_RATELIMIT_STORAGE_URI=redis://... to share the counters.", workers, workers,
        )


def gunicorn_workers() -> int:
    """How many workers gunicorn runs us in (1 when not under gunicorn).

    The gunicorn master exports SERVER_SOFTWARE before it loads the app or forks; the worker
    count comes from the same sources gunicorn reads: GUNICORN_CMD_ARGS, the command line,
    and WEB_CONCURRENCY as the default.
    """
    if not os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        return 1
    from gunicorn.config import Config

    config = Config()
    parser = config.parser()
    arguments = shlex.split(os.environ.get("GUNICORN_CMD_ARGS", "")) + sys.argv[1:]
    known, _unknown = parser.parse_known_args(arguments)
    workers = getattr(known, "workers", None)
    return int(workers) if workers else config.workers


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL, enforced foreign keys and zeroed deleted content on every SQLite connection (the app's
    engine also sets its busy timeout).

    ``secure_delete``: what is deleted (an erased member's rows) is overwritten, not left in free pages.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def register_sqlite_busy_timeout(app: Flask) -> None:
    """The app's SQLite connections wait up to SQLITE_BUSY_TIMEOUT_MS for another worker's write lock.

    Gunicorn's workers write one at a time; on a busy machine a worker can wait its turn for
    seconds, and giving up answers "database is locked" (a 500, the reply not stored).
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    timeout = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _busy_timeout(dbapi_connection, connection_record) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={timeout}")


def select_locale() -> str:
    """The member's chosen language, else the visitor's choice, else Swedish."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


# One package per feature; each package's __init__ holds its blueprint.
FEATURES = (
    "core",
    "auth",
    "programme",
    "admin",
    "people",
    "forum",
    "journal",
    "moderation",
    "notifications",
    "events",
    "messages",
    "twofactor",
    "privacy",
)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per feature, after the URL converters that bound every route's values."""
    register_converters(app)
    for feature in FEATURES:
        importlib.import_module(f"network.{feature}.routes")  # attaches the views
        app.register_blueprint(importlib.import_module(f"network.{feature}").bp)
    register_personal_data()


def register_personal_data() -> None:
    """Load each feature's declarations of the personal data it keeps (``<feature>/personal.py``)
    and of how it erases them (``<feature>/erasure.py``); see ``network.personal_data``."""
    for feature in FEATURES:
        for declarations in ("personal", "erasure"):
            name = f"network.{feature}.{declarations}"
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check the form and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Page not found"), _l("There is no page here, or you cannot see it.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is too large. Files may be at most 5 MB.")),
    429: (_l("Too many attempts"), _l("You have tried too many times. Please wait a while and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. Nothing you saved is lost; please try again.")),
}


def render_error(code: int, message: str | None = None):
    """The error page for ``code`` in the user's language."""
    title, default_message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    if has_request_context() and request_ctx.url_adapter is None:
        # A refused Host header leaves the request without URLs; the page's links go to BASE_URL.
        request_ctx.url_adapter = base_url_adapter()
    try:
        body = render_template("errors/error.html", code=code, title=title, message=message or default_message)
    except Exception:  # the layout itself failed: still answer with a readable page
        current_app.logger.exception("Error page for %s could not be rendered", code)
        body = f"<!doctype html><title>{code}</title><h1>{escape(str(title))}</h1><p>{escape(str(message or default_message))}</p>"
    return body, code


def register_errorhandlers(app: Flask) -> None:
    """Error pages for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, str(_l("The form had expired or was not sent from this site. Please try again.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        message = getattr(error, "user_message", None)
        return render_error(error.code if error.code in ERROR_TEXTS else 500, message)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        # The route's pattern, not the path: paths carry reset, invitation and unsubscribe tokens.
        route = request.url_rule.rule if request.url_rule else "(no route)"
        if isinstance(error, DBAPIError):
            log_database_error(f"Database error on {request.method} {route}", error)
        else:
            app.logger.exception("Unhandled error on %s %s", request.method, route)
        return render_error(500)


def log_database_error(what: str, error: DBAPIError) -> None:
    """Log a database error with its statement, driver error class, constraint and stack.

    Not its message: the driver's text quotes row values (PostgreSQL's "Key (email)=(...)
    already exists"), which ``hide_parameters`` does not reach.
    """
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    stack = "".join(traceback.format_tb(error.__traceback__))
    current_app.logger.error(
        "%s: %s (%s), constraint %s, statement: %s\n%s",
        what, type(error).__name__, type(error.orig).__name__, constraint or "-", error.statement, stack,
    )


def register_request_hooks(app: Flask) -> None:
    """Security headers on every response; members' last activity on their page views."""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static" and current_user.is_authenticated:
            keep_private(response)
        return response

    app.after_request(record_activity)


ACTIVITY_INTERVAL = timedelta(minutes=15)


def record_activity(response):
    """Note a member's last activity at most every 15 minutes (for "recently active"), on page views only
    (not on views that keep out of the session, ``g.sessionless``: calendar feeds)."""
    if g.get("sessionless") or request.method != "GET" or request.endpoint in (None, "static") or response.status_code >= 400:
        return response
    if not current_user.is_authenticated:
        return response
    now = utcnow()
    stamp = session.get("active_at")
    if stamp is None or now.timestamp() - stamp >= ACTIVITY_INTERVAL.total_seconds():
        try:
            people.touch_last_active(current_user.id, now)
            db.session.commit()
        except SQLAlchemyError:  # a missed activity stamp must not break the page
            db.session.rollback()
            current_app.logger.warning("Could not record activity of user %s", current_user.id, exc_info=True)
            return response
        session["active_at"] = now.timestamp()
    return response


def register_template_helpers(app: Flask) -> None:
    """What every template may use: permissions, today, the navigation, labels, dates, the language menu."""
    from network import permissions
    from network.auth.forms import LanguageForm
    from network.forum import visibility as forum_rules

    can = predicates(permissions, forum_rules)

    @app.context_processor
    def page_context():
        helpers = {"can": can, "today": local_today(), "main_nav": main_nav(app)}
        # Mail composed by commands (invite, digests) renders outside any request: no session, no CSRF token.
        if has_request_context():
            helpers["language_form"] = LanguageForm(formdata=None, language=str(get_locale()))
        return helpers

    app.jinja_env.globals.update(
        label=label, role_label=label, field_attrs=field_attrs, mail_url=mail_url,
        format_date=format_date, format_datetime=format_datetime, get_locale=get_locale,
    )
    app.jinja_env.filters["upper_first"] = upper_first


def predicates(*modules) -> SimpleNamespace:
    """The ``can_*`` and ``is_*`` predicates of these modules under one name (templates' ``can``)."""
    found = {}
    for module in modules:
        found.update({name: f for name, f in vars(module).items() if name.startswith(("can_", "is_"))})
    return SimpleNamespace(**found)


def keep_private(response) -> None:
    """A member's pages are for them alone: no shared cache, no copy on disk.

    A view that already chose private caching (the versioned avatar) or no-store keeps its choice.
    """
    chosen = response.headers.get("Cache-Control", "")
    if "private" not in chosen and "no-store" not in chosen:
        response.headers["Cache-Control"] = "private, no-store"


# Main navigation in order; an entry shows once its feature's view exists.
MAIN_NAV = (
    ("core.home", _l("Home")),
    ("people.directory", _l("People")),
    ("forum.themes", _l("Themes")),
    ("journal.index", _l("Journal")),
    ("programme.cohorts", _l("Cohorts")),
    ("events.index", _l("Events")),
)


def main_nav(app: Flask) -> list[tuple[str, object]]:
    """The navigation entries whose views are registered."""
    return [(endpoint, text) for endpoint, text in MAIN_NAV if endpoint in app.view_functions]


def field_attrs(field) -> dict[str, str]:
    """ARIA attributes tying a form field to its hint and errors."""
    described = [f"{field.id}-hint"] if field.description else []
    attrs: dict[str, str] = {}
    if field.errors:
        described.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return attrs


def register_commands(app: Flask) -> None:
    """Add the project's `flask` commands."""
    from network.auth.commands import create_user_command, invite_command
    from network.backup.commands import backup_command, restore_command
    from network.demo import prepare_command, seed_demo_command
    from network.events.commands import events_cli
    from network.notifications.commands import notify_group
    from network.journal.commands import journal_cli
    from network.privacy.commands import privacy_cli
    from network.search import search_cli
    from network.twofactor.commands import twofactor_cli

    commands = (
        create_user_command,
        invite_command,
        seed_demo_command,
        prepare_command,
        notify_group,
        journal_cli,
        search_cli,
        privacy_cli,
        mail.mail_cli,
        events_cli,
        twofactor_cli,
        backup_command,
        restore_command,
    )
    for command in commands:
        app.cli.add_command(command)
