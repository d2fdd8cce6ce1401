"""Outgoing mail through a transactional outbox.

``send_mail`` writes the finished message to the ``outbox`` table in the caller's transaction:
it exists only if the change that caused it commits, and a request never waits for SMTP.
Delivery runs apart: ``flask mail work`` (a long-lived second process) or ``flask mail send``
(from cron) delivers what is due, retries with exponential backoff and marks a message failed
after MAIL_MAX_ATTEMPTS; admins see failed messages and can retry them. With
MAIL_DELIVER_AFTER_REQUEST (on in tests, debug mode and without MAIL_SERVER) the outbox is also
drained right after each request or command that committed mail, so development stays simple.

SMTP when MAIL_SERVER is set, otherwise .eml files in MAIL_OUTBOX_DIR. Logs and stored errors
name the kind of failure only: SMTP errors and header errors quote addresses.
This is a foundation module: it imports no feature package.
"""
import email
import enum
import re
import signal
import smtplib
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import NamedTuple

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import Boolean, Index, LargeBinary, String, delete, event, false, func, select
from sqlalchemy.orm import Mapped, Session, SessionTransaction, defer, mapped_column

from network.extensions import checkpoint_sqlite_wal, db, enum_column
from network.timeutil import UTCDateTime, utcnow

# Keys in Session.info: mail written in the open transaction, and mail a commit has released.
QUEUED = "network.mail.queued"
COMMITTED = "network.mail.committed"

# C0 and C1 control characters, DEL and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_HEADER_LINE = 998  # RFC 5322
MAX_BACKOFF = timedelta(days=1)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """One outgoing message, written with the change that caused it, until delivered or given up."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(255))
    message: Mapped[bytes] = mapped_column(LargeBinary)  # the whole message as it goes out
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(100))  # the kind of error, never its text
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Deleted once delivered or given up (the confirmation of an erasure: no address stays behind).
    erase_when_sent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# Building messages ------------------------------------------------------------------------------

class MailPolicy(EmailPolicy):
    """The default policy, except that List-* headers (URLs, ids) are written as plain ASCII lines.

    The default folds a long value into RFC 2047 encoded-words, which mail clients do not decode
    in List-Unsubscribe: the one-click unsubscribe would not work.
    """

    def fold(self, name, value):
        plain = self._plain(name, value)
        return plain if plain is not None else super().fold(name, value)

    def fold_binary(self, name, value):
        plain = self._plain(name, value)
        return plain.encode("ascii") if plain is not None else super().fold_binary(name, value)

    def _plain(self, name: str, value) -> str | None:
        line = f"{name}: {value}"
        if name.lower().startswith("list-") and line.isascii() and len(line) <= MAX_HEADER_LINE:
            return line + self.linesep
        return None


POLICY = MailPolicy()


def single_line(value: object) -> str:
    """``value`` as one line: control characters (CR, LF, NUL, ...) and runs of spaces become one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", str(value)).split())


def build_message(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> EmailMessage:
    """A plain-text UTF-8 message from the configured sender; every header value is single-line."""
    message = EmailMessage(policy=POLICY)
    fields = {
        "From": current_app.config["MAIL_SENDER"], "To": to, "Subject": subject,
        "Date": format_datetime(utcnow()), "Message-ID": make_msgid(domain="vaxthuset.network"),
        **(headers or {}),
    }
    for name, value in fields.items():
        message[single_line(name)] = single_line(value)
    message.set_content(body)
    return message


# Writing to the outbox ---------------------------------------------------------------------------

def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None,
              erase_when_sent: bool = False) -> bool:
    """Write one message to the outbox in the current transaction; it leaves only if that commits.

    With ``erase_when_sent`` the row is deleted once delivered or given up. False (and logged)
    when the message cannot be built; never raises.
    """
    try:
        message = build_message(to, subject, body, headers)
        raw = bytes(message)
    except Exception as error:
        log_failure("A mail could not be built", error)
        return False
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any query still drops the message
    session.add(OutboxMessage(recipient=single_line(to)[:320], subject=str(message["Subject"])[:255], message=raw,
                              erase_when_sent=erase_when_sent))
    session.info[QUEUED] = True
    return True


def send_localised(to: str, language: str, compose: Callable[[], tuple[str, str]],
                   headers: dict[str, str] | None = None, erase_when_sent: bool = False) -> bool:
    """Write a message whose ``compose()`` gives (subject, body) in the recipient's language.

    False (and logged) when composing or building fails, so callers can try again later; never raises.
    """
    try:
        with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject, body = compose()
    except Exception as error:
        log_failure("A mail could not be composed", error)
        return False
    return send_mail(to, subject, body, headers, erase_when_sent)


def log_failure(what: str, error: Exception) -> None:
    """Log a mail failure by kind only: SMTP errors and header errors quote addresses."""
    current_app.logger.error("%s (%s); it was not sent.", what, type(error).__name__)


@event.listens_for(Session, "after_commit")
def _release_committed(session: Session) -> None:
    """Note that committed mail waits, for delivery right after the request (when configured)."""
    if session.info.pop(QUEUED, False):
        session.info[COMMITTED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without a commit took its outbox rows with it."""
    if transaction.parent is None:
        session.info.pop(QUEUED, None)


# Delivering -------------------------------------------------------------------------------------

def transmit(raw: bytes, name: str) -> None:
    """Send one message through SMTP, or write it to the outbox folder when no server is set."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        message = email.message_from_bytes(raw, policy=POLICY)
        timeout = float(config["MAIL_TIMEOUT_SECONDS"])
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return
    folder = Path(config["MAIL_OUTBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{utcnow():%Y%m%dT%H%M%S%f}-{name}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(raw)
    # The file only: addresses are personal data, subjects quote thread titles, bodies carry links.
    current_app.logger.info("Mail written to %s", path.name)


def error_kind(error: Exception) -> str:
    """What went wrong, without the text: the exception class and any SMTP reply codes."""
    codes: list[int] = []
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({reply[0] for reply in error.recipients.values() if reply})
    elif isinstance(error, smtplib.SMTPResponseException):
        codes = [error.smtp_code]
    return " ".join([type(error).__name__, *map(str, codes)])[:100]


def is_permanent(error: Exception) -> bool:
    """The server refused the recipient for good (5xx): trying again cannot help."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and bool(error.recipients) and all(
        reply and reply[0] >= 500 for reply in error.recipients.values())


def backoff(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts: the base, doubled after each further one."""
    base = max(1.0, float(current_app.config["MAIL_BACKOFF_SECONDS"]))
    return min(timedelta(seconds=base * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def next_due(now: datetime) -> OutboxMessage | None:
    """The next message due at ``now``, locked for this worker (PostgreSQL skips rows others hold).

    SQLite has no row locks: there, run one worker.
    """
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalars(stmt).first()


def attempt(message: OutboxMessage) -> OutboxStatus:
    """Try to deliver ``message`` once and record the outcome on it (the caller commits)."""
    message.attempts += 1
    try:
        transmit(message.message, str(message.id))
    except Exception as error:
        record_failure(message, error)
    else:
        message.status, message.sent_at, message.last_error = OutboxStatus.SENT, utcnow(), None
    if message.erase_when_sent and message.status != OutboxStatus.PENDING:
        db.session.delete(message)
    return message.status


def record_failure(message: OutboxMessage, error: Exception) -> None:
    """Schedule the next attempt with backoff, or mark the message failed after the last one."""
    message.last_error = error_kind(error)
    limit = int(current_app.config["MAIL_MAX_ATTEMPTS"])
    if message.attempts >= limit or is_permanent(error):
        message.status = OutboxStatus.FAILED
        outcome = "it is marked failed"
    else:
        message.next_attempt_at = utcnow() + backoff(message.attempts)
        outcome = f"tried again from {message.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
    current_app.logger.error("A mail could not be delivered (%s); message %d, attempt %d of %d (%s), %s.",
                             type(error).__name__, message.id, message.attempts, limit, message.last_error,
                             outcome)


def deliver_due() -> Counter:
    """Try once each message due now, committing after each; counts by outcome (sent, pending, failed).

    A message that fails is rescheduled into the future, so the run ends.
    """
    now = utcnow()
    counts: Counter = Counter()
    erased = False
    while (message := next_due(now)) is not None:
        erased |= message.erase_when_sent
        counts[attempt(message)] += 1
        db.session.commit()
    if erased:  # the deleted message's zeroed page must replace the WAL's copy that held the address
        checkpoint_sqlite_wal()
    return counts


def purge_sent(now: datetime) -> int:
    """Delete messages sent longer ago than MAIL_KEEP_SENT_DAYS (they hold addresses); the caller commits."""
    before = now - timedelta(days=float(current_app.config["MAIL_KEEP_SENT_DAYS"]))
    result = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < before))
    return result.rowcount or 0


def run_once() -> Counter:
    """One worker round: deliver what is due and forget old sent messages; no transaction stays open."""
    counts = deliver_due()
    purge_sent(utcnow())
    db.session.commit()
    return counts


# For the admin page -------------------------------------------------------------------------------

def failed_messages_stmt():
    """Failed messages, newest first (without their bodies)."""
    return (select(OutboxMessage).options(defer(OutboxMessage.message))
            .where(OutboxMessage.status == OutboxStatus.FAILED)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))


class Backlog(NamedTuple):
    waiting: int  # messages not yet delivered (nor given up)
    oldest: datetime | None  # when the oldest of them was written
    due_since: datetime | None  # since when the longest-due one waits for a worker


def backlog() -> Backlog:
    """What waits for delivery; ``due_since`` long past means no worker is delivering."""
    return Backlog(*db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at),
               func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == OutboxStatus.PENDING)).one())


def failed_message(message_id: int) -> OutboxMessage | None:
    """The failed message with this id (None for other ids and for messages not failed)."""
    message = db.session.get(OutboxMessage, message_id)
    return message if message is not None and message.status == OutboxStatus.FAILED else None


def retry(message: OutboxMessage) -> None:
    """Give a failed message a fresh set of attempts, due now; it leaves once the caller commits."""
    message.status, message.attempts, message.next_attempt_at = OutboxStatus.PENDING, 0, utcnow()
    db.session.info[QUEUED] = True


# Wiring -------------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Decide MAIL_DELIVER_AFTER_REQUEST and drain the outbox after requests and commands when it is on.

    Unset, it is on in tests, in debug mode and without MAIL_SERVER (mail goes to .eml files);
    with a mail server in production the worker delivers. An explicit setting wins.
    """
    if app.config.get("MAIL_DELIVER_AFTER_REQUEST") is None:
        app.config["MAIL_DELIVER_AFTER_REQUEST"] = bool(
            app.testing or app.debug or not app.config.get("MAIL_SERVER"))

    @app.after_request
    def deliver_after_request(response):
        deliver_committed()
        return response

    @app.teardown_appcontext
    def deliver_after_command(_error=None):  # `flask ...` commands end with their app context
        deliver_committed()

    @app.cli.result_callback()
    def deliver_after_test_command(*_result, **_params):  # commands run under a test's app context
        deliver_committed()


def deliver_committed() -> None:
    """Deliver what committed since the last call, when configured to; never raises."""
    session = db.session()
    if not session.info.pop(COMMITTED, False) or not current_app.config["MAIL_DELIVER_AFTER_REQUEST"]:
        return
    if session.new or session.dirty or session.deleted:  # never commit what the caller left unsaved
        return
    try:
        deliver_due()
    except Exception as error:
        session.rollback()
        current_app.logger.error("The outbox could not be drained (%s).", type(error).__name__)


mail_cli = AppGroup("mail", help="Outgoing mail: deliver what waits in the outbox.")


@mail_cli.command("send")
def send_command():
    """Deliver every message that is due, once (run it from cron every minute or so)."""
    report(run_once())


def report(counts: Counter) -> None:
    """What a delivery round did, on one line."""
    click.echo(f"Sent {counts[OutboxStatus.SENT]}, to retry {counts[OutboxStatus.PENDING]}, "
               f"failed {counts[OutboxStatus.FAILED]}.")


@mail_cli.command("work")
@click.option("--interval", type=click.FloatRange(min=0.01), default=10.0, show_default=True,
              help="Seconds between looks at the outbox.")
@click.option("--rounds", type=click.IntRange(min=1), default=None, hidden=True)  # tests stop the loop
def work_command(interval: float, rounds: int | None):
    """Deliver mail as it becomes due until stopped (SIGTERM or Ctrl-C finish the current message)."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"Delivering mail every {interval:g} s; stop with Ctrl-C or SIGTERM.")
    try:
        done = 0
        while not stop.is_set() and (rounds is None or done < rounds):
            work_round()
            done += 1
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def work_round() -> None:
    """One round of the worker; a database that is away for a while does not end the worker."""
    try:
        counts = run_once()
    except Exception as error:
        db.session.rollback()
        current_app.logger.error("The mail worker's round failed (%s); trying again.", type(error).__name__)
        return
    if sum(counts.values()):
        report(counts)
