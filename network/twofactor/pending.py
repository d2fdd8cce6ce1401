"""The log-in waiting for its second step: after a correct password, before the code.

The session holds the member's id and session token (so a password change or suspension in the
meantime voids it), the remember-me choice, where to go next, and when the wait ends. The member
is not logged in until the code is right.
"""
from datetime import timedelta

from flask import current_app, session

from network.auth.models import User
from network.auth.services import load_session_user
from network.timeutil import utcnow

KEY = "two_factor_pending"


def max_age() -> timedelta:
    """How long the step waits (TWO_FACTOR_PENDING_MAX_AGE: a timedelta, or seconds from the environment)."""
    value = current_app.config["TWO_FACTOR_PENDING_MAX_AGE"]
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def hold(user: User, remember: bool, next_url: str | None) -> None:
    """Start a fresh session that waits for ``user``'s second factor."""
    language = session.get("language")
    session.clear()  # nothing from before the log-in carries over, as with start_session
    if language:
        session["language"] = language  # the code step stays in the visitor's chosen language
    session[KEY] = {
        "identity": user.get_id(), "remember": bool(remember), "next": next_url or "",
        "until": (utcnow() + max_age()).timestamp(),
    }


def held() -> dict | None:
    """The waiting log-in, if there is one and it has not expired."""
    marker = session.get(KEY)
    if not isinstance(marker, dict) or float(marker.get("until", 0)) < utcnow().timestamp():
        return None
    return marker


def held_user() -> User | None:
    """The active member whose log-in waits, while their session token is unchanged."""
    marker = held()
    return load_session_user(str(marker.get("identity", ""))) if marker else None


def release() -> None:
    """Forget the waiting log-in."""
    session.pop(KEY, None)
