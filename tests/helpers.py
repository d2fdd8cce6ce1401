"""Small helpers the tests share."""
import email
import email.policy
import re
from contextlib import nullcontext
from pathlib import Path

from flask import current_app, has_app_context

from network.mail import deliver_due


def outbox(app) -> list:
    """Messages written to the outbox folder, oldest first, parsed; what is due is delivered first,
    as the mail worker would."""
    with nullcontext() if has_app_context() and current_app._get_current_object() is app else app.app_context():
        deliver_due()
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def link_in(message, path_prefix: str) -> str:
    """The site-relative path of the first link in ``message`` that starts with ``path_prefix``."""
    body = message.get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", body)
    assert match, f"no {path_prefix} link in: {body}"
    return match.group(1)


def page_text(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)
