"""URL helpers shared by features."""
from urllib.parse import urlsplit


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


def url_context():
    """A request context for building absolute links outside requests (CLI, cron)."""
    from flask import current_app

    return current_app.test_request_context("/", base_url=current_app.config["BASE_URL"])
