"""Small helpers the tests share."""
import email
import email.policy
import re
from pathlib import Path


def outbox(app) -> list:
    """Messages written to the outbox folder, oldest first, parsed."""
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
