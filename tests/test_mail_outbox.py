"""Mail through the outbox: written in the transaction of the change that causes it, delivered
apart from the request by `flask mail send` / `flask mail work` with retries and backoff, failed
messages shown to admins, and one-click unsubscribe headers that mail clients can read."""
import re
import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from conftest import PASSWORD
from helpers import fake_smtp, link_in, outbox, page_text, page_text_without_tokens
from network.auth.models import Role
from network.extensions import db
from network.forum import services as forum
from network.notifications import services as notifications
from network.notifications.models import EmailFrequency
from network.mail import OutboxMessage, OutboxStatus, next_due, send_mail
from network.timeutil import utcnow

LONG_LINK = "https://natverk.vaxthuset.example/unsubscribe/" + "eyJ1c2VyIjo0MiwiZW1haWwiOiJhbm5hQGV4YW1wbGUub3JnIn0" * 3


def rows(status=None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(db.session.scalars(stmt))


def closed_port() -> int:
    """A local TCP port nothing listens on (connecting is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    """The app talks to FakeSMTP; it starts up and accepting."""
    return fake_smtp(monkeypatch)


@pytest.fixture
def production(app, make_app):
    """The site as deployed: a mail server, delivery left to the worker (MAIL_DELIVER_AFTER_REQUEST unset).

    Its app context is pushed over the test app's, so fixtures listed after it use it."""
    application = make_app(TESTING=False, MAIL_SERVER="smtp.example.org", MAIL_MAX_ATTEMPTS=3,
                           MAIL_BACKOFF_SECONDS=60)
    with application.app_context():
        yield application


def make_due(message: OutboxMessage) -> None:
    """Let the backoff pass for this message."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


# Written in the same transaction ----------------------------------------------------------------

def test_mail_is_a_row_of_the_transaction_that_wrote_it_and_a_rollback_leaves_none(app):
    assert send_mail("someone@example.org", "Hej", "Text") is True
    db.session.rollback()
    assert rows() == []
    send_mail("someone@example.org", "Hej då", "Text")
    db.session.commit()
    [message] = rows()
    assert (message.status, message.attempts, message.recipient, message.subject) == (
        OutboxStatus.PENDING, 0, "someone@example.org", "Hej då")
    assert b"To: someone@example.org" in message.message


def test_a_request_that_fails_after_writing_mail_leaves_no_mail(make_app):
    application = make_app()  # a route of its own: the run's app has served requests already

    @application.post("/test-fails-after-mail")
    def fails_after_mail():
        send_mail("someone@example.org", "Hej", "Text")
        db.session.flush()
        raise RuntimeError("the change failed")

    with application.app_context():
        assert application.test_client().post("/test-fails-after-mail").status_code == 500
        assert rows() == [] and outbox(application) == []


# A request never waits for SMTP -------------------------------------------------------------------

def test_in_production_a_request_only_writes_the_row_and_the_worker_delivers_it(production, participant, smtp):
    client = production.test_client()
    response = client.post("/password-reset", data={"email": participant.email})
    assert response.status_code == 302
    assert smtp.connections == 0  # the request never talked to the mail server
    [message] = rows(OutboxStatus.PENDING)
    assert message.attempts == 0
    result = production.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "Sent 1, to retry 0, failed 0." in result.output
    assert [m["To"] for m in smtp.sent] == [participant.email]
    assert rows(OutboxStatus.SENT)[0].sent_at is not None


def test_with_the_mail_server_unreachable_the_request_succeeds_and_the_mail_waits(make_app, participant, caplog):
    application = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_USE_TLS=False)
    response = application.test_client().post("/password-reset", data={"email": participant.email})
    assert response.status_code == 302 and response.location.endswith("/login")
    [message] = rows()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1  # tried once after the request
    assert message.last_error == "ConnectionRefusedError"
    assert message.next_attempt_at > utcnow() + timedelta(seconds=60)
    assert "could not be delivered" in caplog.text and "@" not in caplog.text


def test_delivery_after_the_request_is_on_in_tests_and_without_a_mail_server_and_an_explicit_setting_wins(
        make_app, monkeypatch):
    assert make_app().config["MAIL_DELIVER_AFTER_REQUEST"] is True
    assert make_app(TESTING=False).config["MAIL_DELIVER_AFTER_REQUEST"] is True  # .eml files
    assert make_app(TESTING=False, MAIL_SERVER="smtp.example.org").config["MAIL_DELIVER_AFTER_REQUEST"] is False
    monkeypatch.setenv("NETWORK_MAIL_DELIVER_AFTER_REQUEST", "false")
    assert make_app().config["MAIL_DELIVER_AFTER_REQUEST"] is False


def test_mail_a_command_writes_is_delivered_when_the_command_ends(make_app, organisation):
    application = make_app(WTF_CSRF_ENABLED=True)  # as in production: templates outside a request work too
    with application.app_context():
        result = application.test_cli_runner().invoke(
            args=["invite", "--email", "ny@example.org", "--organisation", organisation.name])
        assert result.exit_code == 0, result.output
        assert [m.status for m in rows()] == [OutboxStatus.SENT]  # delivered as the command ended
        [message] = outbox(application)
    assert message["To"] == "ny@example.org" and "/invitations/" in message.get_content()


# flask mail send: retries with backoff, then failed ----------------------------------------------------

def test_mail_send_retries_with_growing_backoff_and_marks_the_message_failed_after_the_last_attempt(
        production, smtp, caplog):
    runner = production.test_cli_runner()
    send_mail("anna@example.org", "Inbjudan", "Välkommen")
    db.session.commit()
    smtp.down = True
    assert "Sent 0, to retry 1, failed 0." in runner.invoke(args=["mail", "send"]).output
    [message] = rows()
    first_wait = message.next_attempt_at - utcnow()
    assert message.attempts == 1 and timedelta(seconds=50) < first_wait <= timedelta(seconds=60)
    assert "Sent 0, to retry 0, failed 0." in runner.invoke(args=["mail", "send"]).output  # not due yet
    assert smtp.connections == 1

    make_due(message)
    assert "to retry 1" in runner.invoke(args=["mail", "send"]).output
    db.session.refresh(message)
    assert message.attempts == 2
    assert timedelta(seconds=110) < message.next_attempt_at - utcnow() <= timedelta(seconds=120)  # doubled

    make_due(message)
    assert "Sent 0, to retry 0, failed 1." in runner.invoke(args=["mail", "send"]).output
    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.FAILED, 3, "SMTPConnectError 421")
    smtp.down = False
    make_due(message)
    assert "Sent 0" in runner.invoke(args=["mail", "send"]).output and smtp.sent == []  # given up
    assert "@" not in caplog.text


def test_an_address_the_server_refuses_for_good_fails_at_once_and_the_others_still_leave(production, smtp):
    send_mail("gone@example.org", "Hej", "Text")
    send_mail("anna@example.org", "Hej", "Text")
    db.session.commit()
    smtp.refuse = 550
    result = production.test_cli_runner().invoke(args=["mail", "send"])
    assert "Sent 0, to retry 0, failed 2." in result.output
    assert [m.last_error for m in rows(OutboxStatus.FAILED)] == ["SMTPRecipientsRefused 550"] * 2


def test_a_temporary_refusal_is_retried(production, smtp):
    send_mail("anna@example.org", "Hej", "Text")
    db.session.commit()
    smtp.refuse = 451
    assert "to retry 1" in production.test_cli_runner().invoke(args=["mail", "send"]).output
    smtp.refuse = None
    make_due(rows()[0])
    assert "Sent 1" in production.test_cli_runner().invoke(args=["mail", "send"]).output


def test_mail_send_forgets_sent_messages_after_a_week(production, smtp):
    for subject in ("Gammalt", "Nytt"):
        send_mail("anna@example.org", subject, "Text")
    db.session.commit()
    production.test_cli_runner().invoke(args=["mail", "send"])
    db.session.execute(update(OutboxMessage).where(OutboxMessage.subject == "Gammalt")
                       .values(sent_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    production.test_cli_runner().invoke(args=["mail", "send"])
    assert [m.subject for m in rows()] == ["Nytt"]


def test_mail_work_keeps_delivering_until_stopped(production, smtp):
    send_mail("anna@example.org", "Hej", "Text")
    db.session.commit()
    result = production.test_cli_runner().invoke(args=["mail", "work", "--interval", "0.01", "--rounds", "2"])
    assert result.exit_code == 0 and "Sent 1, to retry 0, failed 0." in result.output
    assert [m["Subject"] for m in smtp.sent] == ["Hej"]


@pytest.mark.committing  # two sessions on two connections, as two workers have
def test_a_second_worker_skips_the_message_the_first_one_holds(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; on SQLite one worker runs")
    for subject in ("Första", "Andra"):
        send_mail("anna@example.org", subject, "Text")
    db.session.commit()
    held = next_due(utcnow())  # locked until this transaction ends
    with app.app_context():  # another session, as another worker process would have
        other = next_due(utcnow())
        assert (held.subject, other.subject) == ("Första", "Andra")
        db.session.rollback()
    db.session.rollback()


# Admins see failed mail ------------------------------------------------------------------------------------

@pytest.fixture
def failed(app):
    message = OutboxMessage(recipient="gone@example.org", subject="Inbjudan till Växthuset Network",
                            message=b"To: gone@example.org\r\nSubject: Inbjudan\r\n\r\nText\r\n",
                            status=OutboxStatus.FAILED, attempts=6, last_error="SMTPRecipientsRefused 550")
    db.session.add(message)
    db.session.commit()
    return message


def test_admins_see_failed_mail_and_the_backlog_and_can_send_a_message_again(client, auth, admin, failed):
    send_mail("waiting@example.org", "Väntar", "Text")
    db.session.commit()
    db.session.execute(update(OutboxMessage).where(OutboxMessage.subject == "Väntar")
                       .values(next_attempt_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    auth.login(admin.email)
    text = page_text(client.get("/admin/outbox"))
    assert "Inbjudan till Växthuset Network" in text and "SMTPRecipientsRefused 550" in text
    assert "1 meddelande(n) väntar" in text
    assert "/admin/outbox" in page_text(client.get("/admin/"))
    response = client.post(f"/admin/outbox/{failed.id}/retry")
    assert response.status_code == 302 and response.location.endswith("/admin/outbox")
    db.session.refresh(failed)
    assert (failed.status, failed.attempts) == (OutboxStatus.SENT, 1)  # delivered after the request, as in dev
    assert "Meddelandet skickas igen." in page_text(client.get("/admin/outbox"))
    assert "Inget meddelande har misslyckats." in page_text(client.get("/admin/outbox"))
    assert client.post(f"/admin/outbox/{failed.id}/retry").status_code == 404  # no longer failed


def test_admins_are_warned_when_due_mail_is_not_being_sent(production, admin):
    client = production.test_client()
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    send_mail("anna@example.org", "Hej", "Text")
    db.session.commit()
    assert "har inte skickats" not in page_text(client.get("/admin/outbox"))  # just written
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(minutes=20)))
    db.session.commit()
    assert "har inte skickats. Kontrollera att e-postarbetaren" in page_text(client.get("/admin/outbox"))


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.COURSE_LEADER])
def test_members_who_are_not_admins_may_not_see_or_retry_mail(client, auth, make_user, cohort, failed, role):
    auth.login(make_user(role, cohort=cohort).email)
    assert client.get("/admin/outbox").status_code == 403
    assert client.post(f"/admin/outbox/{failed.id}/retry").status_code == 403
    db.session.refresh(failed)
    assert failed.status == OutboxStatus.FAILED


def test_visitors_are_sent_to_log_in(client, failed):
    assert client.get("/admin/outbox").location.startswith("/login")
    assert client.post(f"/admin/outbox/{failed.id}/retry").location.startswith("/login")


# Password reset reveals nothing --------------------------------------------------------------------------

def test_password_reset_answers_alike_for_known_and_unknown_addresses_and_only_the_known_gets_mail(
        production, participant):
    client = production.test_client()
    unknown = client.post("/password-reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert rows() == []
    known = client.post("/password-reset", data={"email": participant.email}, follow_redirects=True)
    assert (known.status_code, known.request.path) == (unknown.status_code, unknown.request.path) == (200, "/login")
    assert page_text_without_tokens(known) == page_text_without_tokens(unknown)
    [message] = rows()
    assert (message.recipient, message.status) == (participant.email, OutboxStatus.PENDING)


# Headers mail clients can read ----------------------------------------------------------------------------

def eml_files(app) -> list[bytes]:
    """The .eml files delivered so far, as written."""
    return [path.read_bytes() for path in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))]


def raw_header(raw: bytes, name: bytes) -> bytes:
    """The header line as written, with any continuation lines."""
    match = re.search(rb"^" + re.escape(name) + rb": .*(?:\r?\n[ \t].*)*", raw, re.MULTILINE)
    assert match, raw
    return match.group(0)


def test_list_headers_are_written_as_plain_ascii_lines_however_long(app):
    send_mail("anna@example.org", "Ämnesrad med å, ä och ö som är lång nog för att vikas " * 2, "Text",
              headers={"List-Unsubscribe": f"<{LONG_LINK}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    db.session.commit()
    outbox(app)
    [raw] = eml_files(app)
    assert raw_header(raw, b"List-Unsubscribe") == f"List-Unsubscribe: <{LONG_LINK}>".encode()
    assert raw_header(raw, b"List-Unsubscribe-Post") == b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    assert b"=?utf-8?" in raw_header(raw, b"Subject")  # other headers are still encoded as they must be


def test_a_notification_mail_carries_a_working_one_click_unsubscribe(client, auth, make_user, make_theme, cohort,
                                                                      app):
    member = make_user(Role.PARTICIPANT, cohort=cohort, email="member@example.org")
    author = make_user(Role.PARTICIPANT, cohort=cohort, email="author@example.org")
    theme = make_theme()
    thread = forum.create_thread(member, theme, "Semesterplanering", "Hur gör ni?", None)
    notifications.set_email_frequency(member, EmailFrequency.IMMEDIATE)
    db.session.commit()
    auth.login(author.email)
    assert client.post(f"/threads/{thread.id}", data={"body": "Vi provar delade turer."}).status_code == 302
    [message] = [m for m in outbox(app) if m["To"] == member.email]
    [raw] = [raw for raw in eml_files(app) if b"To: member@example.org" in raw]
    line = raw_header(raw, b"List-Unsubscribe").decode("ascii")
    link = re.fullmatch(r"List-Unsubscribe: <(https?://[^>\s]+)>", line).group(1)
    assert link_in(message, "/unsubscribe/") in link
    auth.logout()
    assert client.post(urlsplit(link).path).status_code == 200  # the mail client's one click
    assert notifications.email_frequency(member) == EmailFrequency.NONE
