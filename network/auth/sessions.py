"""Starting a member's session and checking their current password: shared by the account views
and the features that build on log-in (two-factor log-in), which may not import another feature's routes."""
from flask import abort, current_app, session
from flask_login import current_user, login_user
from limits import parse as parse_limit

from network.auth.passwords import verify_password
from network.extensions import limiter


def start_session(user, remember: bool = False) -> None:
    """Log ``user`` in on a new session: nothing from before (the CSRF secret included) carries over."""
    session.clear()
    login_user(user, remember=remember)


def current_password_ok(password: str | None) -> bool:
    """Whether ``password`` is the member's current one; every check counts towards PASSWORD_CHECK_LIMIT.

    Past the limit the member gets 429, so a stolen session cannot guess the password.
    """
    if limiter.enabled:
        limit = parse_limit(current_app.config["PASSWORD_CHECK_LIMIT"])
        if not limiter.limiter.hit(limit, current_app.config["RATELIMIT_KEY_PREFIX"], "password-check",
                                   str(current_user.id)):
            abort(429)
    return verify_password(current_user.password_hash, password or "")
