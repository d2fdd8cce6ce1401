"""URL helpers shared by features."""
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter

# Loopback names a request may always use: health checks on the box, the test client ("localhost").
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def mail_url(endpoint: str, **values) -> str:
    """An absolute link for mail, always on the configured ``BASE_URL``.

    Never built from the request: its Host header is the sender's to choose, and a reset link on
    the sender's host hands them the token. Works inside and outside requests (CLI, cron).
    """
    current_app.inject_url_defaults(endpoint, values)
    return base_url_adapter().build(endpoint, values, force_external=True)


def base_url_adapter() -> MapAdapter:
    """The app's URL map bound to the configured ``BASE_URL``."""
    base = urlsplit(current_app.config["BASE_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)


def base_host(base_url: str) -> str:
    """The host name of ``base_url`` ("localhost" when it names none)."""
    return urlsplit(base_url).hostname or "localhost"


def trusted_hosts(base_url: str) -> list[str]:
    """The hosts requests may name: the host of ``base_url`` and loopback."""
    return list(dict.fromkeys([base_host(base_url), *LOOPBACK_HOSTS]))
