"""Notifications: every kind in one list and one badge, one mark-read, mail queued with the change
that caused it, digests, one-click unsubscribe (RFC 8058), and the migration that merged moderation
notices into notifications."""
import re
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from helpers import link_in, outbox, page_text
from network.extensions import db
from network.forum import services as forum
from network.moderation import services as moderation
from network.notifications import services as notifications
from network.notifications.digests import send_notification_emails
from network.notifications.models import EmailFrequency, Notification, NotificationKind
from network.timeutil import utcnow


@pytest.fixture
def people(cast):
    """A course leader who moderates, two participants of her cohort, and an admin."""
    return cast(leader="course_leader", author="author", member="participant", admin="admin")


@pytest.fixture
def discussion(people, theme):
    """The leader's thread with the author's reply: the leader has a reply notification waiting."""
    thread = forum.create_thread(people["leader"], theme, "Semesterplanering", "Hur gör ni?")
    db.session.commit()
    reply = forum.create_reply(people["author"], thread, "Vi provar delade turer.")
    db.session.commit()
    return reply


def badge(response) -> int:
    """The unread count in the navigation's one notification badge (0 when none is shown)."""
    found = re.search(r'Aviseringar <span class="badge">(\d+)<', page_text(response))
    return int(found.group(1)) if found else 0


def notifications_of(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def flag_reply(client, people, reply, login_as):
    login_as(client, people["member"])
    assert client.post(f"/posts/{reply.id}/flag", data={"reason": "personal_data"}).status_code == 302


# One list, one badge, one mark-read -------------------------------------------------------------

def test_a_reply_and_a_moderation_notice_share_the_list_the_badge_and_the_mark_read(client, people, discussion, login_as):
    flag_reply(client, people, discussion, login_as)
    reply_notice, flag_notice = notifications_of(people["leader"])
    assert (reply_notice.kind, flag_notice.kind) == (NotificationKind.REPLY, NotificationKind.NEW_FLAG)

    login_as(client, people["leader"])
    page = client.get("/notifications")
    assert badge(page) == 2
    assert "Erik Skribent svarade i ”Semesterplanering”" in page_text(page)
    assert "Ett inlägg i ”Semesterplanering” har anmälts" in page_text(page)
    assert f'href="/moderation/posts/{discussion.id}"' in page_text(page)  # a flag leads to the moderation page

    assert client.post(f"/notifications/{flag_notice.id}/read").status_code == 302
    assert badge(client.get("/notifications")) == 1
    assert client.post(f"/notifications/{reply_notice.id}/read").status_code == 302
    assert badge(client.get("/notifications")) == 0
    assert client.post("/moderation/notices/read").status_code == 404  # the moderation feature's own is gone


def test_mark_all_read_covers_every_kind_and_others_notifications_stay_theirs(client, people, discussion, login_as):
    flag_reply(client, people, discussion, login_as)
    moderation.dismiss_flags(people["admin"], discussion)  # the member hears their flag was handled
    db.session.commit()
    [members] = notifications_of(people["member"])
    login_as(client, people["leader"])
    assert client.post(f"/notifications/{members.id}/read").status_code == 404
    client.post("/notifications/read-all")
    assert [n.read_at is not None for n in notifications_of(people["leader"])] == [True, True]
    assert notifications_of(people["member"])[0].read_at is None


def test_a_moderators_note_is_listed_with_its_words_for_the_author(client, people, discussion, login_as):
    moderation.note_author(people["leader"], discussion, "Ta bort personnumret, tack.")
    db.session.commit()
    login_as(client, people["author"])
    page = client.get("/notifications")
    assert badge(page) == 1
    assert "En moderator har skickat dig ett meddelande om ditt inlägg i ”Semesterplanering”" in page_text(page)
    assert "Ta bort personnumret, tack." in page_text(page)


def test_the_notifications_page_query_count_does_not_grow_with_notifications(client, people, theme,
                                                                             count_queries, login_as):
    thread = forum.create_thread(people["author"], theme, "Nattbemanning", "Hur löser ni nätterna?")
    db.session.commit()

    def add(count: int) -> None:
        for n in range(count):
            post = forum.create_reply(people["admin"], thread, f"Svar {n} om nätterna")
            notifications.notify([people["member"]], NotificationKind.MENTION, post)
            notifications.notify([people["member"]], NotificationKind.FLAG_HANDLED, post)
        db.session.commit()

    login_as(client, people["member"])
    add(2)
    client.get("/notifications")  # the first page view of a session also records the member's activity
    with count_queries() as few:
        assert client.get("/notifications").status_code == 200
    add(12)
    with count_queries() as many:
        assert client.get("/notifications").status_code == 200
    assert len(many) == len(few), "\n".join(many)


# Mail goes with the change that caused it -------------------------------------------------------------

def test_an_immediate_notice_is_queued_in_the_transaction_of_the_reply(app, people, discussion):
    notifications.set_email_frequency(people["leader"], EmailFrequency.IMMEDIATE)
    notifications.mark_all_read(people["leader"])  # the reply before she chose mail at once
    db.session.commit()
    forum.create_reply(people["member"], discussion.thread, "Det som aldrig sparades")
    db.session.rollback()
    assert outbox(app) == []  # a change that was never saved tells nobody

    forum.create_reply(people["member"], discussion.thread, "Vi har också provat det.")
    db.session.commit()
    [mail] = outbox(app)
    assert mail["To"] == people["leader"].email and mail["Subject"] == "Nytt i Växthuset Network: Semesterplanering"
    assert "Anna Lindqvist svarade i ”Semesterplanering”" in mail.get_content()
    assert notifications_of(people["leader"])[-1].emailed_at is not None  # not mailed again by the next run


def test_moderation_notices_mail_at_once_or_in_the_digest_with_one_click_unsubscribe(
        client, people, discussion, runner, login_as):
    notifications.set_email_frequency(people["leader"], EmailFrequency.IMMEDIATE)
    notifications.mark_all_read(people["leader"])
    db.session.commit()
    flag_reply(client, people, discussion, login_as)
    [at_once] = outbox(client.application)
    assert at_once["To"] == people["leader"].email and at_once["Subject"] == "Växthuset Network: moderering"
    assert f"/moderation/posts/{discussion.id}" in at_once.get_content()

    result = runner.invoke(args=["notify", "send-digests"])
    assert result.exit_code == 0 and "Sent 1" in result.output  # the admin, daily by default, also moderates
    digest = outbox(client.application)[-1]
    assert digest["To"] == people["admin"].email and "sammanfattning" in digest["Subject"]
    assert "Ett inlägg i ”Semesterplanering” har anmälts" in digest.get_content()
    for mail in (at_once, digest):
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["List-Unsubscribe"].strip("<>").endswith(link_in(mail, "/unsubscribe/"))


def test_a_daily_digest_waits_a_day_and_leaves_out_what_was_read(app, people, discussion):
    leader = people["leader"]
    assert send_notification_emails(tuple(EmailFrequency), utcnow()) == 1
    db.session.commit()
    forum.create_reply(people["author"], discussion.thread, "Ett till svar")
    moderation.note_author(people["admin"], discussion, "Tack för ett bra svar.")  # to the author
    db.session.commit()
    assert send_notification_emails(tuple(EmailFrequency), utcnow()) == 1  # the author's first digest
    db.session.commit()
    notifications.mark_all_read(leader)
    db.session.commit()
    assert send_notification_emails(tuple(EmailFrequency), utcnow() + timedelta(days=1)) == 0
    assert [m["To"] for m in outbox(app)] == [leader.email, people["author"].email]


# One-click unsubscribe (RFC 8058) ----------------------------------------------------------------------

@pytest.fixture
def csrf_client(make_app):
    """A client of the site with CSRF protection on, as in production."""
    application = make_app(WTF_CSRF_ENABLED=True)
    with application.app_context():
        yield application.test_client()


def test_a_mail_clients_one_click_post_unsubscribes_without_login_or_csrf_token(csrf_client, people):
    member = people["member"]
    path = f"/unsubscribe/{notifications.unsubscribe_token(member)}"
    response = csrf_client.post(path, data={"List-Unsubscribe": "One-Click"},
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "får inga fler mejl om aviseringar" in page_text(response)
    assert notifications.email_frequency(member) == EmailFrequency.NONE


def test_the_unsubscribe_page_asks_first_with_a_button_that_sends_the_one_click_request(csrf_client, people):
    member = people["member"]
    path = f"/unsubscribe/{notifications.unsubscribe_token(member)}"
    page = page_text(csrf_client.get(path))
    assert "Stoppa utskicken" in page and f'action="{path}"' in page
    assert re.search(r'<input[^>]*name="List-Unsubscribe"[^>]*type="hidden"[^>]*value="One-Click"', page)
    assert notifications.email_frequency(member) == EmailFrequency.DAILY  # looking changes nothing


def test_only_unsubscribe_is_exempt_from_csrf_and_only_with_a_genuine_token_and_body(csrf_client, people, login_as):
    assert csrf_client.post("/unsubscribe/forged-token", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    path = f"/unsubscribe/{notifications.unsubscribe_token(people['member'])}"
    assert csrf_client.post(path, data={"List-Unsubscribe": "Everything"}).status_code == 400
    login_as(csrf_client, people["member"])
    assert csrf_client.post("/notifications/email", data={"frequency": "none"}).status_code == 400  # no token
    assert csrf_client.post("/notifications/read-all").status_code == 400
    assert notifications.email_frequency(people["member"]) == EmailFrequency.DAILY


# The migration -------------------------------------------------------------------------------------

@pytest.mark.committing
def test_the_migration_moves_moderation_notices_into_notifications_and_back(app, people, discussion):
    """Notices stored before 0010 keep their kind, words and times; downgrading restores them."""
    leader, author, post = people["leader"].id, people["author"].id, discussion.id
    notifications.notify([people["leader"]], NotificationKind.NEW_FLAG, discussion)
    notifications.notify([people["author"]], NotificationKind.MODERATION_NOTE, discussion, "Ta bort namnet.")
    db.session.commit()
    before = {(n.user_id, n.kind, n.post_id, n.message) for n in db.session.scalars(select(Notification))}
    db.session.remove()

    downgrade(revision="0009")
    with db.engine.begin() as connection:
        kept = connection.execute(text("SELECT user_id, kind, post_id, message FROM moderation_notice")).all()
        discussion_rows = connection.execute(text("SELECT count(*) FROM notification")).scalar()
    assert sorted(kept) == sorted([(leader, "new_flag", post, ""), (author, "moderation_note", post, "Ta bort namnet.")])
    assert discussion_rows == 1  # the leader's reply notification

    upgrade()
    after = {(n.user_id, n.kind, n.post_id, n.message) for n in db.session.scalars(select(Notification))}
    assert after == before
