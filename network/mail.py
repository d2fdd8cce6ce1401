"""Outgoing mail: SMTP when configured, otherwise .eml files in the outbox folder."""
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app

from network.timeutil import utcnow


def build_message(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> EmailMessage:
    """A plain-text UTF-8 message from the configured sender."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="vaxthuset.network")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send one message through SMTP, or write it to the outbox when no server is set."""
    message = build_message(to, subject, body, headers)
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
    # The subject and file only: bodies may carry single-use links.
    current_app.logger.info("Mail to %s (%s) written to %s", to, subject, path)
