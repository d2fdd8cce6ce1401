"""Small helpers the tests share."""
import email
import email.policy
import re
import smtplib
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


CSRF_TOKEN_VALUE = re.compile(r'(name="csrf_token"[^>]*?value=")[^"]*')


def page_text_without_tokens(response) -> str:
    """The response body as text, CSRF token values left out: they are signed with the second they were made in."""
    return CSRF_TOKEN_VALUE.sub(r"\1", page_text(response))


class FakeSMTP:
    """An SMTP server in memory: records what it accepts; ``down`` refuses connections, ``refuse``
    rejects every recipient with that reply code, ``refused`` names addresses rejected with 550."""

    sent: list = []
    connections = 0
    down = False
    refuse: int | None = None
    refused: set = set()

    def __init__(self, host, port, timeout=None):
        type(self).connections += 1
        if self.down:
            raise smtplib.SMTPConnectError(421, b"Service not available")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def send_message(self, message):
        if self.refuse or message["To"] in self.refused:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (self.refuse or 550, b"No such user")})
        self.sent.append(message)


def fake_smtp(monkeypatch) -> type[FakeSMTP]:
    """Put FakeSMTP in place of smtplib.SMTP for this test, up and accepting everyone."""
    for name, value in {"sent": [], "connections": 0, "down": False, "refuse": None, "refused": set()}.items():
        monkeypatch.setattr(FakeSMTP, name, value)
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP
