"""Moderation: flags, the queue's actions by role and scope, hidden and pending posts, suspension, the log."""
import csv
import io

import pytest
from sqlalchemy import delete, func, select, update

from conftest import PASSWORD
from helpers import outbox, page_text
from network.auth.models import Role, User, UserStatus
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, PostRevision, PostStatus, Thread
from network.moderation import services
from network.timeutil import utcnow
from network.moderation.models import ActionKind, Flag, FlagReason, ModerationAction
from network.notifications import services as notifications
from network.notifications.models import EmailFrequency, Notification, NotificationKind


@pytest.fixture
def world(cast, cohort):
    people = cast(participant="participant", own_leader="course_leader", other_leader="other_leader", admin="admin",
                  author="author")
    theme = forum.save_theme(None, name_sv="Ungt ledarskap", name_en="Young leadership", description_sv="",
                             description_en="")
    other_theme = forum.save_theme(None, name_sv="Innovationskraft", name_en="Innovative power",
                                   description_sv="", description_en="")
    network = forum.create_thread(people["author"], theme, "Bemanning i sommar", "Hur löser ni semestrarna?")
    cohort_thread = forum.create_thread(people["author"], theme, "Bara för vår omgång", "Intern fråga.", cohort)
    db.session.commit()
    return {**people, "theme": theme, "other_theme": other_theme, "network": network, "cohort": cohort_thread}


def opening(thread: Thread) -> Post:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.opening))


def audit_count() -> int:
    return db.session.scalar(select(func.count(ModerationAction.id)))


def flag(member, post, reason=FlagReason.PERSONAL_DATA):
    services.flag_post(member, post, reason)
    db.session.commit()


# Who may do what --------------------------------------------------------------------------------

def prepare(action, world, post):
    """Put the post or thread in the state the action needs."""
    if action == "dismiss":
        flag(world["participant"], post)
    elif action == "restore":
        post.status, post.hidden_reason = PostStatus.HIDDEN, "Personuppgifter"
    elif action == "approve":
        post.status = PostStatus.PENDING
    elif action in ("unlock", "unpin"):
        post.thread.locked = post.thread.pinned = True
    db.session.commit()


def request_for(action, world, post):
    thread = post.thread
    if action in ("dismiss", "restore", "approve", "hide"):
        return f"/moderation/posts/{post.id}/{action}", {f"{action}-reason": "Personnummer i texten"}
    if action == "edit":
        return f"/moderation/posts/{post.id}/edit", {"body": "Texten är rensad av en moderator.", "reason": "GDPR"}
    if action == "note":
        return f"/moderation/posts/{post.id}/note", {"note-message": "Tänk på att inte dela personuppgifter."}
    if action == "move":
        return f"/moderation/threads/{thread.id}/move", {"move-theme": str(world["other_theme"].id)}
    prefix = action.removeprefix("un")
    return f"/moderation/threads/{thread.id}/{action}", {f"{prefix}-reason": ""}


EXPECTED_STATE = {
    "dismiss": lambda post: db.session.scalar(select(func.count(Flag.id)).where(Flag.resolved_at.is_(None))) == 0,
    "hide": lambda post: post.status == PostStatus.HIDDEN and post.hidden_reason == "Personnummer i texten",
    "restore": lambda post: post.status == PostStatus.VISIBLE,
    "approve": lambda post: post.status == PostStatus.VISIBLE,
    "edit": lambda post: post.body_source == "Texten är rensad av en moderator." and post.revisions[-1].editor.role != Role.PARTICIPANT,
    "note": lambda post: db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == NotificationKind.MODERATION_NOTE, Notification.user_id == post.author_id)) == 1,
    "lock": lambda post: post.thread.locked,
    "unlock": lambda post: not post.thread.locked,
    "pin": lambda post: post.thread.pinned,
    "unpin": lambda post: not post.thread.pinned,
    "move": lambda post: post.thread.theme.name_sv == "Innovationskraft",
}

# (who, scope) -> status: participants moderate nothing; course leaders their cohorts and the network.
ALLOWED = {
    ("participant", "network"): 403, ("participant", "cohort"): 403,
    ("own_leader", "network"): 302, ("own_leader", "cohort"): 302,
    ("other_leader", "network"): 302, ("other_leader", "cohort"): 404,
    ("admin", "network"): 302, ("admin", "cohort"): 302,
}


def reset(world, post):
    """Bring the post and its thread back to how the fixture made them, between roles."""
    post.status, post.hidden_reason = PostStatus.VISIBLE, None
    post.thread.locked = post.thread.pinned = False
    post.thread.theme = world["theme"]
    db.session.execute(update(Flag).values(resolved_at=utcnow()))
    db.session.execute(delete(Notification))
    db.session.commit()


@pytest.mark.parametrize("scope", ["network", "cohort"])
@pytest.mark.parametrize("action", sorted(EXPECTED_STATE))
def test_each_action_by_role_and_scope_writes_exactly_one_audit_entry(app, world, action, scope, login_as):
    for who in ("participant", "own_leader", "other_leader", "admin"):
        client = app.test_client()
        post = db.session.get(Post, opening(world[scope]).id)
        reset(world, post)
        prepare(action, world, post)
        before = audit_count()
        login_as(client, world[who])
        url, data = request_for(action, world, post)

        response = client.post(url, data=data)

        assert response.status_code == ALLOWED[(who, scope)], who
        db.session.expire_all()
        post = db.session.get(Post, post.id)
        if response.status_code == 302:
            assert EXPECTED_STATE[action](post), who
            assert audit_count() == before + 1, who
            entry = db.session.scalars(select(ModerationAction).order_by(ModerationAction.id.desc())).first()
            assert entry.moderator_id == world[who].id and entry.thread_id == post.thread_id
        else:
            assert audit_count() == before, who


@pytest.mark.parametrize("path", ["/moderation", "/moderation/log", "/moderation/log.csv"])
def test_queue_and_log_are_for_moderators(app, world, path, login_as):
    for who, expected in (("participant", 403), ("own_leader", 200), ("other_leader", 200), ("admin", 200)):
        client = app.test_client()
        login_as(client, world[who])
        assert client.get(path).status_code == expected, who


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    assert client.get("/moderation").status_code == 302
    assert client.post(f"/posts/{opening(world['network']).id}/flag").status_code == 302


def test_a_reason_is_required_to_hide_and_the_text_is_kept(client, world, login_as):
    post = opening(world["network"])
    login_as(client, world["own_leader"])
    response = client.post(f"/moderation/posts/{post.id}/hide", data={"hide-reason": ""})
    assert response.status_code == 400
    assert "Ange ett skäl." in page_text(response)
    assert audit_count() == 0


def test_approving_a_visible_post_is_a_bad_request(client, world, login_as):
    login_as(client, world["admin"])
    assert client.post(f"/moderation/posts/{opening(world['network']).id}/approve").status_code == 400


# Suspension ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("who,target,expected", [
    ("participant", "author", 403), ("own_leader", "author", 302), ("other_leader", "author", 403),
    ("admin", "author", 302), ("own_leader", "other_leader", 403), ("admin", "own_leader", 302),
    ("admin", "admin", 403),
])
def test_who_may_suspend_whom(client, world, who, target, expected, login_as):
    login_as(client, world[who])
    response = client.post(f"/moderation/members/{world[target].id}/suspend",
                           data={"suspend-reason": "Delade konfidentiella anbudsuppgifter"})
    assert response.status_code == expected
    db.session.expire_all()
    suspended = db.session.get(User, world[target].id).status == UserStatus.SUSPENDED
    assert suspended == (expected == 302)
    assert audit_count() == (1 if expected == 302 else 0)


def test_suspension_ends_the_session_and_login_is_refused(make_app, world, login_as):
    application = make_app()
    member, moderator = application.test_client(), application.test_client()
    login_as(member, world["author"])
    assert member.get("/themes").status_code == 200
    login_as(moderator, world["own_leader"])

    moderator.post(f"/moderation/members/{world['author'].id}/suspend", data={"suspend-reason": "Upprepade påhopp"})

    assert member.get("/themes").status_code == 302  # the existing session is refused
    member.post("/login", data={"email": world["author"].email, "password": PASSWORD})
    assert member.get("/themes").status_code == 302
    entry = db.session.scalar(select(ModerationAction))
    assert (entry.action, entry.reason, entry.member_id) == (
        ActionKind.SUSPEND_MEMBER, "Upprepade påhopp", world["author"].id)


def test_reactivation_lets_the_member_back_in(client, world, login_as):
    login_as(client, world["admin"])
    client.post(f"/moderation/members/{world['author'].id}/suspend", data={"suspend-reason": "Spam"})
    client.post(f"/moderation/members/{world['author'].id}/reactivate", data={"suspend-reason": "Utrett"})
    db.session.expire_all()
    assert db.session.get(User, world["author"].id).status == UserStatus.ACTIVE
    assert audit_count() == 2


# Flags -------------------------------------------------------------------------------------------

def test_a_member_flags_a_post_and_moderators_are_notified(client, world, login_as):
    post = opening(world["network"])
    login_as(client, world["participant"])
    assert "Anmäl inlägg" in page_text(client.get(f"/threads/{world['network'].id}?page=1"))

    response = client.post(f"/posts/{post.id}/flag", data={"reason": "confidential"})

    assert response.status_code == 302
    stored = db.session.scalar(select(Flag))
    assert (stored.reason, stored.flagger_id) == (FlagReason.CONFIDENTIAL, world["participant"].id)
    notified = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == NotificationKind.NEW_FLAG)))
    # every moderator of a network-wide thread: course leaders of any cohort and admins
    assert notified == {world["own_leader"].id, world["other_leader"].id, world["admin"].id}


def test_cohort_thread_flags_reach_only_its_moderators(world):
    flag(world["participant"], opening(world["cohort"]))
    notified = set(db.session.scalars(select(Notification.user_id)))
    assert notified == {world["own_leader"].id, world["admin"].id}


def test_one_open_flag_per_member_and_post(client, world, login_as):
    post = opening(world["network"])
    login_as(client, world["participant"])
    client.post(f"/posts/{post.id}/flag", data={"reason": "spam"})
    response = client.post(f"/posts/{post.id}/flag", data={"reason": "offensive"}, follow_redirects=True)
    assert "redan anmält" in page_text(response)
    assert db.session.scalar(select(func.count(Flag.id))) == 1


def test_other_needs_a_description(client, world, login_as):
    login_as(client, world["participant"])
    response = client.post(f"/posts/{opening(world['network']).id}/flag", data={"reason": "other", "details": ""})
    assert response.status_code == 200
    assert "Beskriv problemet" in page_text(response)
    assert db.session.scalar(select(func.count(Flag.id))) == 0


def test_authors_cannot_flag_their_own_posts(client, world, login_as):
    login_as(client, world["author"])
    assert client.post(f"/posts/{opening(world['network']).id}/flag", data={"reason": "spam"}).status_code == 403


def test_flags_on_an_unseen_thread_answer_404(client, world, login_as):
    login_as(client, world["other_leader"])
    assert client.get(f"/posts/{opening(world['cohort']).id}/flag").status_code == 404


def test_the_flagger_is_told_when_the_flag_is_handled(client, world, login_as):
    post = opening(world["network"])
    flag(world["participant"], post)
    login_as(client, world["own_leader"])
    client.post(f"/moderation/posts/{post.id}/dismiss")
    handled = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.FLAG_HANDLED))
    assert handled.user_id == world["participant"].id
    client.post("/logout")
    login_as(client, world["participant"])
    assert "har hanterats" in page_text(client.get("/notifications"))


@pytest.mark.parametrize("threshold", [3, 2])
def test_flags_from_enough_members_hide_the_post_until_reviewed(app, world, make_user, cohort, threshold):
    app.config["MODERATION_FLAG_THRESHOLD"] = threshold
    post = opening(world["network"])
    flaggers = [make_user(cohort=cohort) for _ in range(threshold)]
    for member in flaggers[:-1]:
        flag(member, post)
    assert db.session.get(Post, post.id).status == PostStatus.VISIBLE
    flag(flaggers[-1], post)
    assert db.session.get(Post, post.id).status == PostStatus.HIDDEN
    entry = db.session.scalar(select(ModerationAction))
    assert (entry.action, entry.moderator_id) == (ActionKind.AUTO_HIDE_POST, None)
    # Dismissing the flags brings a post hidden by flags alone back.
    services.dismiss_flags(world["admin"], post)
    assert post.status == PostStatus.VISIBLE


# Hidden and pending posts ---------------------------------------------------------------------------

@pytest.fixture
def hidden(world):
    post = forum.create_reply(world["author"], world["network"], "Ring Kalle på 070-1234567, personnr 19800101-1234.")
    services.hide_post(world["admin"], post, "Personuppgifter")
    db.session.commit()
    return post


def test_hidden_posts_show_a_placeholder_to_members(app, world, hidden, login_as):
    for who, sees_text in (("participant", False), ("author", True), ("own_leader", True),
                           ("other_leader", True), ("admin", True)):
        client = app.test_client()
        login_as(client, world[who])
        body = page_text(client.get(f"/threads/{world['network'].id}?page=1"))
        assert ("070-1234567" in body) == sees_text, who
        assert ("har dolts av en moderator" in body) != sees_text, who
        if who == "author":
            assert "Dolt av en moderator: Personuppgifter" in body


def test_hidden_posts_leave_search_for_members(app, world, hidden, login_as):
    for who, finds in (("participant", False), ("author", False), ("own_leader", True), ("admin", True)):
        client = app.test_client()
        login_as(client, world[who])
        body = page_text(client.get("/search?q=personnr"))
        assert ("Bemanning i sommar" in body) == finds, who


def test_hidden_posts_leave_members_notifications(client, world, hidden, login_as):
    forum.set_thread_watch(world["participant"], world["network"], forum.WatchLevel.WATCHING)
    reply = forum.create_reply(world["author"], world["network"], "Ytterligare detaljer om Kalle.")
    db.session.commit()
    login_as(client, world["participant"])
    assert f"post={reply.id}" in page_text(client.get("/notifications"))
    services.hide_post(world["admin"], reply, "Personuppgifter")
    db.session.commit()
    assert f"post={reply.id}" not in page_text(client.get("/notifications"))


@pytest.fixture
def approval_theme(world):
    services.set_requires_approval(world["admin"], world["theme"], True)
    db.session.commit()
    return world["theme"]


def test_participant_posts_wait_for_approval_in_such_themes(client, world, approval_theme, login_as):
    login_as(client, world["author"])
    client.post(f"/threads/{world['network'].id}", data={"body": "Vi testar nattbemanning med ny leverantör."})
    pending = db.session.scalar(select(Post).where(Post.status == PostStatus.PENDING))
    assert pending is not None
    assert "Väntar på godkännande" in page_text(client.get(f"/threads/{world['network'].id}?page=1"))
    notified = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == NotificationKind.AWAITING_APPROVAL)))
    assert notified == {world["own_leader"].id, world["other_leader"].id, world["admin"].id}

    client.post("/logout")
    login_as(client, world["participant"])
    assert "nattbemanning" not in page_text(client.get(f"/threads/{world['network'].id}?page=1"))
    assert "Bemanning i sommar" not in page_text(client.get("/search?q=nattbemanning"))
    client.post("/logout")
    login_as(client, world["own_leader"])
    assert "nattbemanning" in page_text(client.get("/moderation"))
    client.post(f"/moderation/posts/{pending.id}/approve")
    client.post("/logout")
    login_as(client, world["participant"])
    assert "nattbemanning" in page_text(client.get(f"/threads/{world['network'].id}?page=1"))


def test_course_leaders_posts_are_published_at_once(world, approval_theme):
    post = forum.create_reply(world["own_leader"], world["network"], "Välkomna!")
    assert post.status == PostStatus.VISIBLE


def test_requiring_approval_is_for_moderators_and_logged(app, world, login_as):
    for who, expected, entries in (("participant", 403, 0), ("other_leader", 302, 1), ("admin", 302, 2)):
        client = app.test_client()
        login_as(client, world[who])
        state = "on" if who != "admin" else "off"
        assert client.post(f"/moderation/themes/{world['theme'].slug}/approval/{state}").status_code == expected
        db.session.expire_all()
        assert db.session.get(type(world["theme"]), world["theme"].id).requires_approval == (who == "other_leader")
        assert audit_count() == entries


# The queue --------------------------------------------------------------------------------------

def test_queue_groups_flags_by_post_oldest_first_in_the_moderators_scope(client, world, make_user, cohort, login_as):
    first, second = opening(world["network"]), opening(world["cohort"])
    flag(world["participant"], first, FlagReason.SPAM)
    flag(make_user(cohort=cohort), first, FlagReason.OFFENSIVE)
    flag(world["participant"], second, FlagReason.CONFIDENTIAL)
    login_as(client, world["own_leader"])
    body = page_text(client.get("/moderation"))
    assert "2 öppna anmälningar" in body and "Skräppost" in body and "Kränkande" in body
    assert body.index("Bemanning i sommar") < body.index("Bara för vår omgång")
    client.post("/logout")
    login_as(client, world["other_leader"])
    body = page_text(client.get("/moderation"))
    assert "Bemanning i sommar" in body and "Bara för vår omgång" not in body


def test_queue_query_count_does_not_grow_with_flags(client, world, make_user, cohort, count_queries, login_as):
    login_as(client, world["admin"])
    members = [make_user(cohort=cohort) for _ in range(3)]

    def add_flagged_posts(n):
        for i in range(n):
            post = Post(thread=world["network"], author=world["author"], body_source=f"Inlägg {i}",
                        body_html=f"<p>Inlägg {i}</p>")
            db.session.add_all([post] + [Flag(post=post, flagger_id=m.id, reason=FlagReason.SPAM) for m in members])
        db.session.commit()
    add_flagged_posts(7)  # 21 flags
    client.get("/moderation")  # the session's first page view records activity; measure steady state
    with count_queries() as few:
        assert client.get("/moderation").status_code == 200
    add_flagged_posts(340)  # 1,041 flags
    with count_queries() as many:
        assert client.get("/moderation").status_code == 200
    assert len(many) == len(few)


# The audit log -----------------------------------------------------------------------------------

def test_log_filters_and_csv_escapes_formulas(client, world, login_as):
    post = opening(world["network"])
    services.hide_post(world["admin"], post, "=HYPERLINK(\"http://evil\")")
    services.set_locked(world["own_leader"], world["network"], True, "Avslutad diskussion")
    db.session.commit()
    login_as(client, world["admin"])
    body = page_text(client.get(f"/moderation/log?moderator={world['own_leader'].id}"))
    assert "<td>Låste en tråd</td>" in body and "<td>Dolde ett inlägg</td>" not in body
    body = page_text(client.get("/moderation/log?action=hide_post"))
    assert "<td>Dolde ett inlägg</td>" in body and "<td>Låste en tråd</td>" not in body

    response = client.get("/moderation/log.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 3
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1] + rows[2])


def test_log_has_no_way_to_change_entries(client, world, login_as):
    services.set_pinned(world["admin"], world["network"], True)
    db.session.commit()
    login_as(client, world["admin"])
    entry = db.session.scalar(select(ModerationAction))
    for method in (client.post, client.put, client.delete):
        assert method(f"/moderation/log/{entry.id}").status_code in (404, 405)
    assert method("/moderation/log").status_code == 405


def test_course_leaders_do_not_see_other_cohorts_log_entries(client, world, make_cohort, login_as):
    services.set_locked(world["admin"], world["cohort"], True)
    db.session.commit()
    login_as(client, world["other_leader"])
    assert "Bara för vår omgång" not in page_text(client.get("/moderation/log"))
    client.post("/logout")
    login_as(client, world["own_leader"])
    assert "Bara för vår omgång" in page_text(client.get("/moderation/log"))


def test_log_query_count_does_not_grow(client, world, count_queries, login_as):
    login_as(client, world["admin"])
    for i in range(19):
        services.set_locked(world["own_leader"], world["network"], i % 2 == 0, f"Skäl {i}")
    db.session.commit()
    client.get("/moderation/log")  # the session's first page view records activity; measure steady state
    with count_queries() as few:
        client.get("/moderation/log")
    db.session.add_all(ModerationAction(moderator_id=world["admin"].id, action=ActionKind.SUSPEND_MEMBER,
                                        member_id=world["author"].id, subject="Bo", reason=f"Spam {i}")
                       for i in range(1000))
    db.session.commit()
    with count_queries() as many:
        assert client.get("/moderation/log").status_code == 200
    assert len(many) == len(few)


# Email -------------------------------------------------------------------------------------------

def test_moderators_who_want_immediate_email_get_one_for_a_flag(app, client, world, login_as):
    notifications.set_email_frequency(world["own_leader"], EmailFrequency.IMMEDIATE)
    db.session.commit()
    login_as(client, world["participant"])
    client.post(f"/posts/{opening(world['cohort']).id}/flag", data={"reason": "personal_data"})
    recipients = [m["To"] for m in outbox(app)]
    assert recipients == [world["own_leader"].email]


def test_a_new_thread_awaiting_approval_is_listed_only_for_its_author_and_moderators(app, world, approval_theme, login_as):
    thread = forum.create_thread(world["author"], world["theme"], "Konfidentiellt upphandlingsunderlag", "Se bilaga.")
    db.session.commit()
    for who, listed in (("participant", False), ("author", True), ("own_leader", True),
                        ("other_leader", True), ("admin", True)):
        client = app.test_client()
        login_as(client, world[who])
        theme_page = page_text(client.get(f"/themes/{world['theme'].slug}"))
        assert ("Konfidentiellt upphandlingsunderlag" in theme_page) == listed, who
        assert client.get(f"/threads/{thread.id}?page=1").status_code == (200 if listed else 404), who


def test_course_leader_suspends_only_participants_of_cohorts_they_lead(client, world, make_user, login_as):
    """Issue 9, item 4: network-wide suspension is for admins."""
    stranger = make_user(Role.PARTICIPANT, cohort=world["other_leader"].memberships[0].cohort, name="Sven Annan")
    without_cohort = make_user(Role.PARTICIPANT, name="Ulla Utan")
    login_as(client, world["own_leader"])
    for member in (stranger, without_cohort):
        response = client.post(f"/moderation/members/{member.id}/suspend", data={"suspend-reason": "Spam"})
        assert response.status_code == 403
    assert client.post(f"/moderation/members/{world['author'].id}/suspend",
                       data={"suspend-reason": "Spam"}).status_code == 302
    db.session.expire_all()
    assert [db.session.get(User, u.id).status for u in (stranger, without_cohort, world["author"])] == [
        UserStatus.ACTIVE, UserStatus.ACTIVE, UserStatus.SUSPENDED]
    assert audit_count() == 1


# Author edits in approval-required themes (issue 9, item 5) -------------------------------------

def require_approval(world):
    world["theme"].requires_approval = True
    db.session.commit()


def test_an_approved_posts_edit_waits_for_review_while_the_approved_text_stays(make_app, world, login_as):
    require_approval(world)
    application = make_app()
    author, reader, moderator = (application.test_client() for _ in range(3))
    login_as(author, world["author"])
    login_as(reader, world["participant"])
    login_as(moderator, world["own_leader"])
    post = opening(world["network"])

    response = author.post(f"/posts/{post.id}/edit", data={"body": "Omskriven text med nya påståenden"})

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.status, stored.body_source) == (PostStatus.VISIBLE, "Hur löser ni semestrarna?")
    assert stored.pending_body_source == "Omskriven text med nya påståenden"
    shown = page_text(reader.get(f"/threads/{world['network'].id}?page=1"))
    assert "Hur löser ni semestrarna?" in shown and "Omskriven text" not in shown
    assert "väntar på att en moderator godkänner" in page_text(author.get(f"/threads/{world['network'].id}?page=1"))
    assert "Omskriven text med nya påståenden" in page_text(moderator.get("/moderation"))

    assert moderator.post(f"/moderation/posts/{post.id}/approve_edit").status_code == 302

    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.body_source, stored.pending_body_source) == ("Omskriven text med nya påståenden", None)
    assert [r.editor_id for r in stored.revisions][-1] == world["author"].id
    assert "Omskriven text med nya påståenden" in page_text(reader.get(f"/threads/{world['network'].id}?page=1"))


def test_a_rejected_edit_leaves_the_approved_text_and_tells_the_author(client, world, login_as):
    require_approval(world)
    post = opening(world["network"])
    login_as(client, world["author"])
    client.post(f"/posts/{post.id}/edit", data={"body": "Något som inte hör hit"})
    client.post("/logout")
    login_as(client, world["other_leader"])  # network threads: every course leader moderates
    response = client.post(f"/moderation/posts/{post.id}/reject_edit", data={"reject_edit-reason": "Utanför ämnet"})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.body_source, stored.pending_body_source, stored.edited_at) == ("Hur löser ni semestrarna?", None, None)
    notice = db.session.scalar(select(Notification).where(Notification.user_id == world["author"].id))
    assert (notice.kind, notice.message) == (NotificationKind.MODERATION_NOTE, "Utanför ämnet")
    assert client.post(f"/moderation/posts/{post.id}/approve_edit").status_code == 400


def test_edits_go_live_at_once_outside_approval_themes_and_for_moderators(client, world, login_as):
    post = opening(world["network"])
    login_as(client, world["author"])
    client.post(f"/posts/{post.id}/edit", data={"body": "Direkt publicerad"})
    db.session.expire_all()
    assert (db.session.get(Post, post.id).body_source, db.session.get(Post, post.id).pending_body_source) == (
        "Direkt publicerad", None)


# Author removal erases the text (issue 9, item 6) -------------------------------------------------

def test_a_post_its_author_removes_loses_its_text_and_revisions_for_moderators_too(client, world, login_as):
    post = forum.create_reply(world["author"], world["network"], "Första utkastet med känsliga uppgifter")
    forum.edit_post(world["author"], post, "Andra utkastet med känsliga uppgifter")
    db.session.commit()
    login_as(client, world["author"])
    assert client.post(f"/posts/{post.id}/delete").status_code == 302

    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.status, stored.body_source, stored.body_html) == (PostStatus.DELETED_BY_AUTHOR, "", "")
    assert db.session.scalar(select(func.count(PostRevision.id)).where(PostRevision.post_id == post.id)) == 0
    client.post("/logout")
    login_as(client, world["admin"])
    page = page_text(client.get(f"/moderation/posts/{post.id}"))
    assert "känsliga uppgifter" not in page and "Inlägget togs bort av författaren." in page
    assert "Inlägget togs bort av författaren." in page_text(client.get(f"/threads/{world['network'].id}?page=1"))


def test_a_removed_post_under_review_is_kept_for_the_moderator_until_the_case_closes(client, world, login_as):
    post = forum.create_reply(world["author"], world["network"], "Ett påhopp på en kollega")
    db.session.commit()
    flag(world["participant"], post, FlagReason.OFFENSIVE)
    login_as(client, world["author"])
    client.post(f"/posts/{post.id}/delete")

    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source == "Ett påhopp på en kollega"
    client.post("/logout")
    login_as(client, world["own_leader"])
    assert "Ett påhopp på en kollega" in page_text(client.get(f"/moderation/posts/{post.id}"))
    assert "Ett påhopp" not in page_text(client.get(f"/threads/{world['network'].id}?page=1"))

    client.post(f"/moderation/posts/{post.id}/dismiss", data={"dismiss-reason": "Borttaget av författaren"})

    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.status, stored.body_source) == (PostStatus.DELETED_BY_AUTHOR, "")
    assert "Ett påhopp" not in page_text(client.get(f"/moderation/posts/{post.id}"))
