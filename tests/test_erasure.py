"""Erasure: a member deletes their account at /account/delete (or an administrator carries out their
request); every feature's data about them goes, the account row stays anonymised ("Tidigare medlem"),
nothing of them stays readable in the database file; and the retention purge.
"""
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, func, select

from conftest import PASSWORD
from helpers import fake_smtp, outbox, page_text
from network import personal_data
from network.auth import services as accounts
from network.auth.models import Invitation, PasswordResetToken, Role
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, PostRevision, PostStatus, ReadState, ThreadWatch, Thread, WatchLevel
from network.journal import services as journal
from network.mail import OutboxMessage, deliver_due
from network.moderation import services as moderation
from network.moderation.models import ActionKind, Flag, FlagReason, ModerationAction
from network.notifications.models import EmailFrequency, EmailPreference, Notification, NotificationKind
from network.notifications import services as notifications
from network.people import services as people
from network.people.models import Avatar, Profile, Visibility
from network.personal_data import Erasure
from network.privacy import services as privacy
from network.programme import services as programme
from network.programme.models import CohortMembership
from network.timeutil import local_today, utcnow

NAME, EMAIL = "Zebulon Quibbleworth", "zebulon.quibble@example.org"
TINY_JPEG = b"\xff\xd8\xff\xd9"


@pytest.fixture
def people_(cast):
    """The member who leaves (with a distinctive name), a fellow participant, a course leader, an admin."""
    return cast(leaving="participant", other="author", leader="course_leader", admin="admin",
                names={"leaving": NAME}, emails={"leaving": EMAIL})


def give_a_life(member, other, leader, theme):
    """Everything a member leaves behind: profile, picture, journal, posts, threads, flags,
    notifications, watches, read states, an email choice, a reset link, invitations."""
    people.save_profile(member, title="Enhetschef Quibbleworth", phone="070-111 22 33", email_visibility=Visibility.NETWORK,
                        phone_visibility=Visibility.NETWORK, in_directory=True, languages="svenska", link="",
                        bio="Jag heter Zebulon Quibbleworth.", areas=[], keywords=["quibbleworthskt"])
    db.session.add(Avatar(user_id=member.id, image=TINY_JPEG, etag="e1"))
    journal.save_entry(member, None, title="Min dag", body="Privat.", tags=[], entry_date=local_today(),
                       event_id=None, is_draft=False)
    alone = forum.create_thread(member, theme, "Bara min tråd", "Ingen har svarat här.")
    shared = forum.create_thread(member, theme, "Bemanning i sommar", "Hur löser ni semestrarna?")
    reply_by_other = forum.create_reply(other, shared, "Vi provar delade turer.")
    own_reply = forum.create_reply(member, shared, "Tack, det testar vi.")
    forum.edit_post(member, own_reply, "Tack, det testar vi nästa vecka.")
    others_thread = forum.create_thread(other, theme, "Introduktion", "Välkommen!")
    moderation.flag_post(member, forum.create_reply(other, others_thread, "Reklam."), FlagReason.SPAM)
    forum.set_thread_watch(member, others_thread, WatchLevel.WATCHING)
    forum.mark_read(member, others_thread, list(db.session.scalars(select(Post).where(Post.thread_id == others_thread.id))))
    db.session.add(Notification(user_id=member.id, kind=NotificationKind.MODERATION_NOTE, message="Tänk på tonen."))
    assert reply_by_other.thread_id == shared.id
    notifications.set_email_frequency(member, EmailFrequency.WEEKLY)
    accounts.request_password_reset(member.email)
    accounts.create_invitation(inviter=member, email="invited@example.org", role=Role.PARTICIPANT,
                               organisation=member.organisation, cohort=None)
    moderation.suspend(leader, member, "Ett misstag")
    moderation.reactivate(leader, member, "Rättat")
    db.session.commit()
    return {"alone": alone.id, "shared": shared.id, "own_reply": own_reply.id, "others_thread": others_thread.id}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def delete_own(client, posts="keep", password=PASSWORD):
    return client.post("/account/delete", data={"password": password, "posts": posts})


# The registry covers every table -----------------------------------------------------------------

def tables_referencing_user(metadata) -> set[str]:
    return {table.name for table in metadata.tables.values()
            if any(fk.column.table.name == "user" for fk in table.foreign_keys)}


def uncovered(metadata) -> set[str]:
    declared = personal_data.erased_tables() | set(personal_data.NOT_PERSONAL) | set(personal_data.KEPT_ANONYMISED)
    return tables_referencing_user(metadata) - declared


def test_every_table_referencing_a_member_is_erased_kept_anonymised_or_declared_not_personal(app):
    assert tables_referencing_user(db.metadata) >= {"profile", "post", "journal_entry", "notification", "flag"}
    assert uncovered(db.metadata) == set()
    assert all(personal_data.KEPT_ANONYMISED.values()) and all(personal_data.NOT_PERSONAL.values())


def test_a_new_table_referencing_a_member_fails_the_coverage_until_declared(app):
    metadata = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    Table("bookmark", metadata, Column("id", Integer, primary_key=True), Column("user_id", ForeignKey("user.id")))
    assert uncovered(metadata) == {"bookmark"}


# The member deletes their account -------------------------------------------------------------------

def test_the_page_warns_and_asks_for_the_password_and_the_choice_about_posts(client, people_, login_as):
    login_as(client, people_["leaving"])
    body = page_text(client.get("/account/delete"))
    assert 'name="password"' in body and 'type="radio"' in body and 'value="delete"' in body and 'value="keep"' in body
    assert "kan inte ångras" in body
    assert "/account/delete" in page_text(client.get("/account"))


@pytest.mark.parametrize("password", ["wrong password", ""])
def test_a_wrong_password_is_a_form_error_and_nothing_is_erased(client, people_, theme, login_as, password):
    member = people_["leaving"]
    give_a_life(member, people_["other"], people_["leader"], theme)
    login_as(client, member)
    response = delete_own(client, password=password)
    assert response.status_code == 400 and "error" in page_text(response)
    db.session.expire_all()
    assert member.erased_at is None and member.email == EMAIL
    assert count(Profile, Profile.user_id == member.id) == 1
    assert client.get("/account").status_code == 200  # still logged in


def test_erasure_keeping_posts_removes_everything_of_the_member_and_keeps_their_posts_anonymous(
        app, client, people_, theme, login_as):
    member, other = people_["leaving"], people_["other"]
    ids = give_a_life(member, other, people_["leader"], theme)
    outbox(app)  # the reset link and suspension notices leave first
    login_as(client, member)

    response = delete_own(client, posts="keep")

    assert response.status_code == 302 and response.headers["Location"].endswith("/account/deleted")
    assert NAME not in response.headers["Location"] and "@" not in response.headers["Location"]
    summary = page_text(client.get("/account/deleted"))
    assert "Ditt konto är raderat" in summary and "Anteckningar i dagboken: 1" in summary
    assert client.get("/account/deleted").status_code == 302  # shown once
    assert client.get("/account").headers["Location"].startswith("/login")  # logged out
    db.session.expire_all()
    assert member.erased_at is not None and member.name == "" and member.email == f"erased-{member.id}@invalid"
    assert member.handle == f"former-{member.id}" and member.display_name == "Tidigare medlem"
    for model, where in ((Profile, Profile.user_id == member.id), (Avatar, Avatar.user_id == member.id),
                         (Notification, Notification.user_id == member.id), (Flag, Flag.flagger_id == member.id),
                         (ThreadWatch, ThreadWatch.user_id == member.id), (ReadState, ReadState.user_id == member.id),
                         (EmailPreference, EmailPreference.user_id == member.id),
                         (PasswordResetToken, PasswordResetToken.user_id == member.id),
                         (CohortMembership, CohortMembership.user_id == member.id)):
        assert count(model, where) == 0, model
    assert journal.own_entries_stmt(member) is not None and not db.session.scalars(journal.own_entries_stmt(member)).all()
    assert db.session.scalar(select(Invitation.invited_by_id).where(Invitation.email == "invited@example.org")) is None
    assert count(Post, Post.author_id == member.id, Post.status == PostStatus.VISIBLE) == 3
    assert count(PostRevision, PostRevision.post_id == ids["own_reply"]) >= 1  # kept posts keep their versions
    login_as(client, other)
    thread_page = page_text(client.get(f"/threads/{ids['shared']}", follow_redirects=True))
    assert "Tidigare medlem" in thread_page and NAME not in thread_page and "Hur löser ni semestrarna?" in thread_page


def test_erasure_deleting_posts_removes_their_threads_and_leaves_tombstones_among_others_replies(
        client, people_, theme, login_as):
    member, other = people_["leaving"], people_["other"]
    ids = give_a_life(member, other, people_["leader"], theme)
    login_as(client, member)

    assert delete_own(client, posts="delete").status_code == 302

    db.session.expire_all()
    assert db.session.get(Thread, ids["alone"]) is None
    shared = db.session.get(Thread, ids["shared"])
    assert shared is not None and shared.post_count == 1  # the other member's reply
    theirs = db.session.scalars(select(Post).where(Post.author_id == member.id)).all()
    assert theirs and all(p.status == PostStatus.DELETED_BY_AUTHOR and p.body_source == "" for p in theirs)
    assert count(PostRevision, PostRevision.post_id.in_([p.id for p in theirs])) == 0
    assert theme.thread_count == db.session.scalar(select(func.count(Thread.id)).where(Thread.theme_id == theme.id))
    login_as(client, other)
    page = page_text(client.get(f"/threads/{ids['shared']}", follow_redirects=True))
    assert "Vi provar delade turer." in page and "Hur löser ni semestrarna?" not in page
    assert "Inlägget togs bort av författaren." in page


def test_every_session_and_the_remember_me_cookie_end(app, people_, auth):
    member = people_["leaving"]
    elsewhere = app.test_client()
    assert elsewhere.post("/login", data={"email": EMAIL, "password": PASSWORD, "remember": "y"}).status_code == 302
    remembered = elsewhere.get_cookie("remember_token")
    assert remembered is not None
    here = app.test_client()
    assert here.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
    assert delete_own(here).status_code == 302
    assert elsewhere.get("/account").status_code == 302
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remembered.value)
    assert fresh.get("/account").status_code == 302
    assert app.test_client().post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 200
    db.session.expire_all()
    assert member.password_hash == "!erased"


def test_a_confirmation_goes_to_the_old_address_and_leaves_no_row_behind(app, client, people_, login_as):
    login_as(client, people_["leaving"])
    assert delete_own(client).status_code == 302
    mails = [m for m in outbox(app) if m["To"] == EMAIL]
    assert len(mails) == 1 and "raderat" in mails[0]["Subject"] and NAME not in mails[0].get_content()
    assert count(OutboxMessage, OutboxMessage.recipient == EMAIL) == 0


def test_a_confirmation_the_server_refuses_leaves_no_row_either(app, client, people_, login_as, monkeypatch):
    smtp = fake_smtp(monkeypatch)
    smtp.refused = {EMAIL}
    app.config["MAIL_SERVER"] = "smtp.example.org"
    login_as(client, people_["leaving"])
    assert delete_own(client).status_code == 302
    deliver_due()
    assert smtp.connections >= 1 and count(OutboxMessage, OutboxMessage.recipient == EMAIL) == 0


def test_the_last_administrator_cannot_delete_their_account(client, people_, login_as):
    admin = people_["admin"]
    login_as(client, admin)
    response = delete_own(client)
    assert response.status_code == 400 and "sista administratören" in page_text(response)
    db.session.expire_all()
    assert admin.erased_at is None


def test_an_erased_member_is_in_no_directory_search_mention_list_or_count(client, people_, theme, login_as):
    member, other = people_["leaving"], people_["other"]
    give_a_life(member, other, people_["leader"], theme)
    old_handle = member.handle
    login_as(client, member)
    assert delete_own(client).status_code == 302
    login_as(client, other)
    assert client.get(f"/people/{old_handle}").status_code == 404
    assert client.get(f"/people/former-{member.id}").status_code == 404
    assert "Enhetschef" not in page_text(client.get("/people?q=Quibbleworth"))
    assert forum.users_by_handle({f"former-{member.id}"}) == []
    assert dict(programme.organisations_with_counts())[member.organisation] == 3  # the other three
    login_as(client, people_["admin"])
    assert f"/admin/users/{member.id}\"" not in page_text(client.get("/admin/users"))
    assert client.get(f"/admin/users/{member.id}").status_code == 404


def test_the_moderation_log_keeps_each_action_with_the_member_anonymised(client, people_, theme, login_as):
    member = people_["leaving"]
    give_a_life(member, people_["other"], people_["leader"], theme)
    login_as(client, member)
    assert delete_own(client).status_code == 302
    entries = db.session.scalars(select(ModerationAction).where(ModerationAction.member_id == member.id)).all()
    assert {e.action for e in entries} >= {ActionKind.SUSPEND_MEMBER, ActionKind.REACTIVATE_MEMBER}
    assert all(NAME not in e.subject for e in entries)
    login_as(client, people_["admin"])
    log = page_text(client.get("/moderation/log"))
    assert "Tidigare medlem" in log and NAME not in log


# An administrator carries out a member's request ---------------------------------------------------

def test_an_admin_erases_a_member_with_a_reason_recorded_in_the_log(app, client, people_, theme, login_as):
    member, admin = people_["leaving"], people_["admin"]
    ids = give_a_life(member, people_["other"], people_["leader"], theme)
    login_as(client, admin)
    assert "/erase" in page_text(client.get(f"/admin/users/{member.id}"))
    refused = client.post(f"/admin/users/{member.id}/erase", data={"posts": "delete", "reason": "Begäran per brev"})
    assert refused.status_code == 400  # not confirmed
    db.session.expire_all()
    assert member.erased_at is None

    response = client.post(f"/admin/users/{member.id}/erase",
                           data={"posts": "delete", "reason": "Begäran per brev", "confirm": "y"})

    assert response.status_code == 302
    db.session.expire_all()
    assert member.erased_at is not None and db.session.get(Thread, ids["alone"]) is None
    entry = db.session.scalars(select(ModerationAction).where(ModerationAction.action == ActionKind.ERASE_MEMBER)).one()
    assert (entry.moderator_id, entry.member_id, entry.reason, entry.subject) == (admin.id, member.id, "Begäran per brev", "")
    assert [m for m in outbox(app) if m["To"] == EMAIL]


@pytest.mark.parametrize("who", ["leaving", "leader", "other"])
def test_only_an_admin_may_erase_someone_else(client, people_, login_as, who):
    target = people_["other"] if who == "leaving" else people_["leaving"]
    login_as(client, people_[who])
    assert client.get(f"/admin/users/{target.id}/erase").status_code == 403
    assert client.post(f"/admin/users/{target.id}/erase",
                       data={"posts": "keep", "reason": "x", "confirm": "y"}).status_code == 403


def test_an_admin_cannot_erase_themselves_there_and_erased_accounts_are_gone(client, people_, login_as):
    admin, member = people_["admin"], people_["leaving"]
    login_as(client, admin)
    assert client.get(f"/admin/users/{admin.id}/erase").status_code == 403
    privacy.erase_member(Erasure(user=member, delete_posts=False, by=admin, reason="Begäran"))
    db.session.commit()
    assert client.get(f"/admin/users/{member.id}/erase").status_code == 404


# Retention ---------------------------------------------------------------------------------------

def idle(user, days: int, warned_days_ago: int | None = None) -> None:
    now = utcnow()
    user.last_seen_at = now - timedelta(days=days)
    user.retention_warned_at = None if warned_days_ago is None else now - timedelta(days=warned_days_ago)


def test_purge_warns_the_long_inactive_then_erases_them_after_the_grace_period(app, runner, cast):
    people_ = cast("participant", "author", "course_leader", "outsider", "admin")
    fresh, to_warn, to_erase, came_back, admin = (people_[k] for k in
                                                  ("participant", "author", "course_leader", "outsider", "admin"))
    idle(fresh, 10)
    idle(to_warn, 800)
    idle(to_erase, 800, warned_days_ago=31)
    idle(came_back, 800, warned_days_ago=31)
    came_back.last_seen_at = utcnow() - timedelta(days=1)  # logged in after the warning
    idle(admin, 3000)
    db.session.commit()
    outbox(app)

    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would warn: account {to_warn.id}" in dry.output and f"would erase: account {to_erase.id}" in dry.output
    assert "Would warn 1, would erase 1." in dry.output
    db.session.expire_all()
    assert to_warn.retention_warned_at is None and to_erase.erased_at is None and not outbox(app)

    result = runner.invoke(args=["privacy", "purge"])

    assert result.exit_code == 0, result.output
    assert "Warned 1, erased 1." in result.output
    db.session.expire_all()
    assert to_warn.retention_warned_at is not None and to_warn.erased_at is None
    assert to_erase.erased_at is not None
    assert fresh.erased_at is None and came_back.erased_at is None and admin.erased_at is None
    assert admin.retention_warned_at is None
    warnings = [m for m in outbox(app) if m["To"] == "author@example.org"]
    assert len(warnings) == 1 and "30 dagar" in warnings[0].get_content()


def test_purge_reads_its_days_from_the_option_then_the_config(app, runner, people_):
    idle(people_["other"], 40)
    db.session.commit()

    def warned(*options) -> bool:
        return "would warn" in runner.invoke(args=["privacy", "purge", "--dry-run", *options]).output

    assert not warned()  # the default: 730 days
    assert warned("--inactive-days", "30")
    app.config["PRIVACY_INACTIVE_DAYS"] = 30
    assert warned() and not warned("--inactive-days", "60")


def test_a_page_view_is_the_activity_the_purge_reads(client, people_, login_as):
    member = people_["other"]
    idle(member, 800, warned_days_ago=31)
    db.session.commit()
    login_as(client, member)
    client.get("/")
    db.session.expire_all()
    assert member.last_seen_at > utcnow() - timedelta(minutes=1)
    assert privacy.purge_plan(utcnow(), 730, 30).to_erase == []


# Nothing readable in the database file ----------------------------------------------------------

def occurrences(folder_file: Path, needles: list[bytes]) -> dict[bytes, int]:
    data = b"".join(Path(f"{folder_file}{suffix}").read_bytes() for suffix in ("", "-wal")
                    if Path(f"{folder_file}{suffix}").exists())
    return {needle: data.count(needle) for needle in needles}


@pytest.mark.committing
@pytest.mark.parametrize("posts", ["keep", "delete"])
def test_after_an_erasure_the_database_file_holds_no_trace_of_the_name_or_address(app, people_, theme, posts):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite file; PostgreSQL relies on VACUUM (see README)")
    member = people_["leaving"]
    give_a_life(member, people_["other"], people_["leader"], theme)
    outbox(app)
    path = Path(db.engine.url.database)
    words = [NAME, EMAIL, *NAME.split(), NAME.lower(), *NAME.lower().split(), "quibbleworthskt"]
    needles = sorted({w.encode() for w in words} | {w.encode("utf-16-le") for w in (NAME, EMAIL)})
    before = occurrences(path, needles)
    assert before[NAME.encode()] > 0 and before[EMAIL.encode()] > 0

    client = app.test_client()
    assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
    assert delete_own(client, posts=posts).status_code == 302
    assert [m for m in outbox(app) if m["To"] == EMAIL]  # delivered, its row deleted
    db.session.remove()

    after = occurrences(path, needles)
    print(f"\noccurrences before the erasure: {before}\nafter ({posts} posts): {after}")
    assert after == {needle: 0 for needle in needles}
