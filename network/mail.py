"""Outgoing mail: queued in the database transaction, sent only once it commits.

SMTP when configured, otherwise .eml files in the outbox folder. Mail never makes a request or a
command fail: a message that cannot be built or sent is logged (without addresses) and skipped.
Messages queued in a transaction that rolls back are dropped, so no mail tells of unsaved work.
"""
import re
import smtplib
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from network.extensions import db
from network.timeutil import utcnow

QUEUE = "network.mail.queue"  # key in Session.info

# C0 and C1 control characters, DEL and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def single_line(value: object) -> str:
    """``value`` as one line: control characters (CR, LF, NUL, ...) and runs of spaces become one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", str(value)).split())


def build_message(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> EmailMessage:
    """A plain-text UTF-8 message from the configured sender; every header value is single-line."""
    message = EmailMessage()
    fields = {
        "From": current_app.config["MAIL_SENDER"], "To": to, "Subject": subject,
        "Date": format_datetime(utcnow()), "Message-ID": make_msgid(domain="vaxthuset.network"),
        **(headers or {}),
    }
    for name, value in fields.items():
        message[single_line(name)] = single_line(value)
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> bool:
    """Queue one message to leave when the current transaction commits; call before the commit.

    False (and logged) when the message cannot be built; never raises.
    """
    try:
        message = build_message(to, subject, body, headers)
    except Exception as error:
        log_failure("A mail could not be built", error)
        return False
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any query still drops the message
    session.info.setdefault(QUEUE, []).append(message)
    return True


def send_localised(to: str, language: str, compose: Callable[[], tuple[str, str]],
                   headers: dict[str, str] | None = None) -> bool:
    """Queue a message whose ``compose()`` gives (subject, body) in the recipient's language.

    False (and logged) when composing or building fails, so callers can try again later; never raises.
    """
    try:
        with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject, body = compose()
    except Exception as error:
        log_failure("A mail could not be composed", error)
        return False
    return send_mail(to, subject, body, headers)


def log_failure(what: str, error: Exception) -> None:
    """Log a mail failure by kind only: SMTP errors and header errors quote addresses."""
    current_app.logger.error("%s (%s); it was not sent.", what, type(error).__name__)


def deliver(message: EmailMessage) -> None:
    """Send one message through SMTP, or write it to the outbox folder when no server is set."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return
    outbox = Path(config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    # The file only: addresses are personal data, subjects quote thread titles, bodies carry links.
    current_app.logger.info("Mail written to %s", path.name)


@event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    """Deliver what the committed transaction queued, each message on its own."""
    for message in session.info.pop(QUEUE, []):
        try:
            deliver(message)
        except Exception as error:
            log_failure("A mail could not be delivered", error)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """Forget mail of a transaction that ended without a commit (after a commit the queue is empty)."""
    if transaction.parent is None:
        session.info.pop(QUEUE, None)
