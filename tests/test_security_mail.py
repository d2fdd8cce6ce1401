"""Mail security: links only on BASE_URL, foreign hosts refused, single-line headers, mail that
fails never fails a request or a digest run, and logs without bound values or addresses."""
import logging
import re

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from conftest import log_in
from helpers import fake_smtp, link_in, outbox, page_text
from network import config as default_config
from network import create_app
from network.auth.models import Invitation, PasswordResetToken, Role, User
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, Thread
from network.mail import send_mail
from network.notifications import services as notifications
from network.notifications.models import EmailFrequency, EmailPreference, Notification, NotificationKind
from network.programme.models import Cohort, Organisation

BASE_URL = "https://natverk.vaxthuset.example"
FOREIGN = "evil.example"
# Ways a sender names a host of their choosing: the Host header itself, or X-Forwarded-Host to an
# app behind a proxy (ProxyFix is on for X-Forwarded-For, as in production).
FORGERIES = {
    "host": {"Host": FOREIGN},
    "x-forwarded-host": {"X-Forwarded-Host": FOREIGN, "X-Forwarded-For": "203.0.113.7"},
}
URL = re.compile(r"https?://[^\s<>\"]+")
NEWLINES = "\r\n\x85\u2028"


@pytest.fixture
def app(make_app):
    """The site at its public address, behind one proxy."""
    application = make_app(BASE_URL=BASE_URL, PROXY_FIX_X_FOR=1)
    with application.app_context():
        yield application


@pytest.fixture
def no_host_check(app):
    """As if TRUSTED_HOSTS were missing or let the foreign host through: mail must still be safe."""
    app.config["TRUSTED_HOSTS"] = None


@pytest.fixture
def people(cast):
    # The duplicate-account test below re-uses the member's address.
    return cast(member="participant", author="author", leader="course_leader", admin="admin",
                emails={"member": "member@example.org"})


def links(message) -> list[str]:
    """Every absolute URL in the message, headers and body."""
    found = URL.findall(message.get_content())
    for _name, value in message.items():
        found += URL.findall(str(value))
    return found


def assert_links_on_base_url(messages):
    assert messages
    for message in messages:
        assert FOREIGN not in message.as_string()
        assert links(message) and all(link.startswith(BASE_URL + "/") for link in links(message))


def assert_single_line_headers(messages):
    assert messages
    for message in messages:
        for name, value in message.items():
            assert not any(c in str(value) for c in NEWLINES), (name, str(value))
            assert not re.search(r"[\x00-\x1f\x7f]", str(value)), (name, str(value))


# What sends mail -------------------------------------------------------------------------------

def reset_password(client, user, headers=None):
    return client.post("/password-reset", data={"email": user.email}, headers=headers)


def invite(client, admin, organisation, headers=None, email="ny.person@example.org"):
    log_in(client, admin, headers)
    cohort_id = db.session.scalar(select(func.min(Cohort.id)))
    return client.post("/admin/invitations", headers=headers, data={
        "email": email, "role": "participant", "organisation_id": organisation.id, "cohort_id": cohort_id,
        "language": "sv",
    })


def reply_with_immediate_notice(client, people, thread, headers=None, body="Vi provar delade turer."):
    """The author replies to the member's thread; the member wants every notice at once."""
    notifications.set_email_frequency(people["member"], EmailFrequency.IMMEDIATE)
    db.session.commit()
    log_in(client, people["author"], headers)
    return client.post(f"/threads/{thread.id}", data={"body": body}, headers=headers)


def flag_with_immediate_notice(client, people, thread, headers=None):
    """The member flags the author's reply; their course leader wants notices at once."""
    notifications.set_email_frequency(people["leader"], EmailFrequency.IMMEDIATE)
    db.session.commit()
    reply = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.author_id == people["author"].id))
    log_in(client, people["member"], headers)
    return client.post(f"/posts/{reply.id}/flag", data={"reason": "personal_data"}, headers=headers)


def send_digest_again(member, runner):
    """Run the daily digests, due for the member, with their notifications not yet emailed; the admin
    (daily by default) gets the flag notice in theirs."""
    notifications.set_email_frequency(member, EmailFrequency.DAILY)
    db.session.execute(update(EmailPreference).values(last_digest_at=None))
    db.session.execute(update(Notification).where(Notification.user_id == member.id).values(emailed_at=None))
    db.session.commit()
    result = runner.invoke(args=["notify", "send-digests"])
    assert result.exit_code == 0 and "Sent 2" in result.output


def member_thread(people, theme, title="Semesterplanering"):
    thread = forum.create_thread(people["member"], theme, title, "Hur gör ni?", None)
    db.session.commit()
    return thread


# Links come from BASE_URL, never from the request ------------------------------------------------

@pytest.mark.parametrize("forgery", FORGERIES)
def test_password_reset_link_is_on_base_url_whatever_host_the_request_names(
        client, people, no_host_check, forgery):
    assert reset_password(client, people["member"], FORGERIES[forgery]).status_code == 302
    [message] = outbox(client.application)
    assert_links_on_base_url([message])
    path = link_in(message, "/password-reset/")
    response = client.post(path, data={"password": "vinter i vaxholm", "password_confirm": "vinter i vaxholm"})
    assert response.status_code == 302  # the link works on the site


@pytest.mark.parametrize("forgery", FORGERIES)
def test_invitation_link_is_on_base_url_whatever_host_the_request_names(
        client, people, organisation, no_host_check, forgery):
    assert invite(client, people["admin"], organisation, FORGERIES[forgery]).status_code == 302
    [message] = outbox(client.application)
    assert_links_on_base_url([message])
    client.post("/logout")
    assert client.get(link_in(message, "/invitations/")).status_code == 200


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forum_notice_digest_and_moderation_mails_link_only_to_base_url(
        client, runner, people, theme, no_host_check, forgery, login_as):
    thread = member_thread(people, theme)
    assert reply_with_immediate_notice(client, people, thread, FORGERIES[forgery]).status_code == 302
    assert flag_with_immediate_notice(client, people, thread, FORGERIES[forgery]).status_code == 302
    send_digest_again(people["member"], runner)
    messages = outbox(client.application)
    assert len(messages) == 4, [m["Subject"] for m in messages]  # notice, moderation notice, two digests
    assert_links_on_base_url(messages)
    login_as(client, people["member"])
    assert client.get(link_in(messages[0], "/threads/"), follow_redirects=True).status_code == 200
    assert client.post(link_in(messages[-1], "/unsubscribe/")).status_code == 200


def test_a_request_naming_a_foreign_host_gets_400_in_the_users_language_and_sends_nothing(client, people):
    response = reset_password(client, people["member"], {"Host": FOREIGN})
    assert response.status_code == 400
    assert "Felaktig begäran" in page_text(response) and 'href="/login"' in page_text(response)  # the full page
    with client.session_transaction() as session:
        session["language"] = "en"
    client.set_cookie("session", client.get_cookie("session").value, domain=FOREIGN)
    assert "Bad request" in page_text(client.get("/login", headers={"Host": FOREIGN}))
    assert outbox(client.application) == []
    assert db.session.scalar(select(func.count(PasswordResetToken.id))) == 0


def test_the_base_url_host_and_loopback_are_trusted_and_an_explicit_list_wins(client, make_app):
    assert client.get("/login", headers={"Host": "natverk.vaxthuset.example"}).status_code == 200
    assert client.get("/login", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/login").status_code == 200  # "localhost"
    assert client.application.config["TRUSTED_HOSTS"] == ["natverk.vaxthuset.example", "localhost", "127.0.0.1",
                                                         "::1"]
    chosen = make_app(BASE_URL=BASE_URL, TRUSTED_HOSTS=["www.vaxthuset.example"]).test_client()
    assert chosen.get("/login", headers={"Host": "www.vaxthuset.example"}).status_code == 200
    assert chosen.get("/login", headers={"Host": "natverk.vaxthuset.example"}).status_code == 400


def test_trusted_hosts_come_from_the_environment(monkeypatch, tmp_path, migrated_database):
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("NETWORK_TRUSTED_HOSTS", '["natverk.example"]')
    assert create_app({"SECRET_KEY": "x"}).config["TRUSTED_HOSTS"] == ["natverk.example"]


def test_x_forwarded_host_is_believed_only_when_configured(client, make_app):
    forged = {"X-Forwarded-Host": FOREIGN, "X-Forwarded-For": "203.0.113.7"}
    assert client.get("/login", headers=forged).status_code == 200  # ignored: the host stays localhost
    believing = make_app(BASE_URL=BASE_URL, PROXY_FIX_X_FOR=1, PROXY_FIX_X_HOST=1).test_client()
    assert believing.get("/login", headers=forged).status_code == 400  # believed, then refused


# Every header is one line, whatever is stored ------------------------------------------------------

def test_line_breaks_stored_in_titles_and_names_never_break_a_header_or_a_later_post(
        client, runner, people, theme, organisation):
    thread = member_thread(people, theme, title="Semester\r\nBcc: all@example.org")
    db.session.execute(update(User).values(name="Namn\r\nmed radbrytning"))
    db.session.execute(update(Organisation).values(name="Kommun\r\nX-Injected: 1"))
    db.session.execute(update(Thread).values(title="Semester\r\nBcc: all@example.org\x1b\x85"))
    db.session.commit()
    assert reply_with_immediate_notice(client, people, thread).status_code == 302
    assert reply_with_immediate_notice(client, people, thread, body="Ett svar till").status_code == 302
    assert flag_with_immediate_notice(client, people, thread).status_code == 302
    assert reset_password(client, people["member"]).status_code == 302
    assert invite(client, people["admin"], organisation).status_code == 302
    send_digest_again(people["member"], runner)
    messages = outbox(client.application)
    assert len(messages) == 7  # two notices, a moderation notice, a reset, an invitation, two digests
    assert_single_line_headers(messages)
    assert "Semester Bcc: all@example.org" in messages[0]["Subject"]
    assert all(m["Bcc"] is None and m["X-Injected"] is None for m in messages)
    assert db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread.id)) == 3


def test_every_control_character_in_a_header_value_becomes_one_space(app):
    send_mail("someone@example.org\r\nBcc: x@evil.example", "Semester\x00\r\n\tplan\x85\u2028\x7fidag", "Text",
              headers={"List-Id": "Forum\nX-Injected: 1"})
    db.session.commit()
    [message] = outbox(app)
    assert message["Subject"] == "Semester plan idag"
    assert message["List-Id"] == "Forum X-Injected: 1" and message["X-Injected"] is None
    assert message["Bcc"] is None
    assert_single_line_headers([message])


# Mail that fails never fails the request --------------------------------------------------------------

@pytest.fixture
def smtp_down(app, monkeypatch):
    app.config["MAIL_SERVER"] = "smtp.example.org"
    fake_smtp(monkeypatch).down = True


def test_with_the_smtp_server_down_requests_answer_as_usual_and_keep_what_they_saved(
        client, people, theme, organisation, smtp_down, caplog):
    caplog.set_level(logging.INFO)
    thread = member_thread(people, theme)
    assert reply_with_immediate_notice(client, people, thread).status_code == 302
    assert db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread.id)) == 2
    assert flag_with_immediate_notice(client, people, thread).status_code == 302
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == people["leader"].id, Notification.kind == NotificationKind.NEW_FLAG)) == 1
    response = reset_password(client, people["member"], None)
    assert response.status_code == 302 and response.location.endswith("/login")
    assert db.session.scalar(select(func.count(PasswordResetToken.id))) == 1
    assert invite(client, people["admin"], organisation).status_code == 302
    assert db.session.scalar(select(Invitation.email)) == "ny.person@example.org"
    failures = [r for r in caplog.records if "could not be delivered" in r.getMessage()]
    assert len(failures) == 4
    assert "@" not in caplog.text


def test_mail_queued_in_a_transaction_that_rolls_back_is_never_sent(app):
    send_mail("someone@example.org", "Hej", "Text")
    db.session.rollback()
    db.session.commit()
    assert outbox(app) == []
    send_mail("someone@example.org", "Hej", "Text")
    db.session.commit()
    assert [m["To"] for m in outbox(app)] == ["someone@example.org"]


# A digest run survives a poisoned recipient ----------------------------------------------------------

@pytest.fixture
def three_waiting_for_a_digest(people, theme):
    """Member, leader and admin each have a notification waiting for their daily digest."""
    thread = forum.create_thread(people["author"], theme, "Nattbemanning", "Hur löser ni nätterna?", None)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    readers = [people["member"], people["leader"], people["admin"]]
    for reader in readers:
        db.session.add(Notification(user=reader, post=opening, kind=NotificationKind.NEW_THREAD))
    db.session.commit()
    return readers


def test_a_recipient_whose_mail_cannot_be_composed_is_skipped_and_the_others_get_theirs(
        app, runner, three_waiting_for_a_digest, caplog):
    member, leader, admin = three_waiting_for_a_digest
    db.session.execute(update(User).where(User.id == leader.id).values(language="xx"))  # no such language
    db.session.commit()
    result = runner.invoke(args=["notify", "send-digests"])
    assert result.exit_code == 0 and "Sent 2" in result.output
    assert sorted(m["To"] for m in outbox(app)) == [admin.email, member.email]
    assert "could not be composed" in caplog.text and "@" not in caplog.text
    waiting = db.session.scalars(select(Notification.user_id).where(Notification.emailed_at.is_(None))).all()
    assert waiting == [leader.id]  # tried again next run
    db.session.execute(update(User).where(User.id == leader.id).values(language="sv"))
    db.session.commit()
    assert "Sent 1" in runner.invoke(args=["notify", "send-digests"]).output


def test_a_recipient_the_smtp_server_refuses_does_not_stop_the_others(
        app, runner, three_waiting_for_a_digest, monkeypatch, caplog):
    member, leader, admin = three_waiting_for_a_digest
    smtp = fake_smtp(monkeypatch)
    smtp.refused = {leader.email}
    app.config["MAIL_SERVER"] = "smtp.example.org"
    result = runner.invoke(args=["notify", "send-digests"])
    assert result.exit_code == 0
    assert sorted(m["To"] for m in smtp.sent) == [admin.email, member.email]
    assert "could not be delivered (SMTPRecipientsRefused)" in caplog.text
    assert "@" not in caplog.text


# Logs: no bound values, no addresses ------------------------------------------------------------------

def test_database_errors_hide_their_parameters(app, client, people, caplog):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert db.engine.hide_parameters

    @app.post("/test-duplicate-account")
    def duplicate_account():
        db.session.add(User(email="member@example.org", name="Kopia", handle="kopia", password_hash="$argon2-secret",
                            role=Role.PARTICIPANT, organisation_id=people["member"].organisation_id))
        db.session.commit()

    assert client.post("/test-duplicate-account").status_code == 500
    [record] = [r for r in caplog.records if "Database error" in r.getMessage()]
    assert "IntegrityError" in record.getMessage() and "/test-duplicate-account" in record.getMessage()
    assert "member@example.org" not in caplog.text and "argon2-secret" not in caplog.text
    with pytest.raises(IntegrityError) as raised:
        db.session.add(User(email="member@example.org", name="Kopia", handle="kopia2", password_hash="$argon2-x",
                            role=Role.PARTICIPANT, organisation_id=people["member"].organisation_id))
        db.session.commit()
    db.session.rollback()
    assert "argon2-x" not in str(raised.value)


def test_an_explicit_engine_setting_wins_and_the_defaults_stay_untouched(monkeypatch, tmp_path):
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("NETWORK_SQLALCHEMY_ENGINE_OPTIONS__hide_parameters", "false")
    options = create_app({"SECRET_KEY": "x"}).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"pool_pre_ping": True, "hide_parameters": False}
    assert default_config.SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": True, "hide_parameters": True}


def test_mail_and_rate_limit_log_lines_carry_no_address(client, people, caplog):
    caplog.set_level(logging.DEBUG)
    for _attempt in range(4):  # the fourth breaches the per-account limit, which Flask-Limiter logs
        reset_password(client, people["member"])
    assert len(outbox(client.application)) == 3
    assert "Mail written to" in caplog.text and "exceeded" in caplog.text
    assert "@" not in caplog.text
