"""The authorization matrix: every route of ``app.url_map`` x seven kinds of visitor x the states of
the object it takes, requested for real through the test client and checked against ONE policy table.

A route missing from ``POLICY`` fails ``test_every_route_declares_its_policy``: every new route
must say who may use it. A cell is *allowed* when the answer is 2xx/3xx (or 400: the request got
past authorization and its input was refused) and *denied* when it is 403, 404, 410 or a redirect
to the log-in page. The data is built once for the module; each request runs in a transaction
that is rolled back afterwards (commits become flushes), so the cells cannot disturb each other.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from conftest import PASSWORD, rolled_back, run_app_restored
from network.auth import services as accounts
from network.auth.models import PasswordResetToken, Role, UserStatus
from network.auth.tokens import new_token
from network.events import services as events_services
from network.extensions import db, limiter
from network.forum import services as forum
from network.notifications.services import unsubscribe_token
from network.forum.models import Post, PostStatus
from network.notifications.models import Notification, NotificationKind
from network.journal import services as journal
from network.mail import OutboxMessage, OutboxStatus
from network.messages import services as messages
from network.people import services as people
from network.people.models import Avatar, Visibility
from network.programme.models import (
    Cohort, CohortMembership, EventKind, MembershipRole, Organisation, OrganisationKind, ProgrammeEvent,
)
from network.timeutil import local_today, utcnow

# Who asks ---------------------------------------------------------------------------------------

ANONYMOUS, PARTICIPANT, OTHER_PARTICIPANT = "anonymous", "participant", "other_participant"
LEADER, OTHER_LEADER, ADMIN, SUSPENDED = "leader", "other_leader", "admin", "suspended"
ROLES = (ANONYMOUS, PARTICIPANT, OTHER_PARTICIPANT, LEADER, OTHER_LEADER, ADMIN, SUSPENDED)
# Participants and the leader are in cohort A, the "other" ones in cohort B; the suspended member
# was a participant of A whose session ended with the suspension.

EVERYONE = frozenset(ROLES)
MEMBERS = frozenset({PARTICIPANT, OTHER_PARTICIPANT, LEADER, OTHER_LEADER, ADMIN})
STAFF = frozenset({LEADER, OTHER_LEADER, ADMIN})
NOBODY = frozenset()
A_MODERATORS = frozenset({LEADER, ADMIN})  # moderators of cohort A's threads
A_READERS = frozenset({PARTICIPANT, LEADER, ADMIN})  # who reads cohort A's threads
B_MANAGERS = frozenset({OTHER_LEADER, ADMIN})
B_READERS = frozenset({OTHER_PARTICIPANT, OTHER_LEADER, ADMIN})  # who attends cohort B's events

# Object states: "own" (the visitor's own object), "other" (someone else's, in the open or in
# cohort B), "hidden" (hidden by a moderator, awaiting approval, unlisted or otherwise not public),
# "cohort" (belonging to cohort A only). A route's policy names the states that apply to it.


@dataclass(frozen=True)
class Policy:
    """Who may use a route, per object state (``None``: the route takes no object)."""

    allowed: dict  # state -> frozenset of roles
    fixed: dict = field(default_factory=dict)  # values of URL variables that are not objects
    data: dict = field(default_factory=dict)  # form data sent with POST
    objects: dict = field(default_factory=dict)  # URL variable -> kind of object, where the name is ambiguous
    denied_as: int | None = None  # the one status members are denied with, where it matters


JOURNAL_ENTRY = dict(allowed={"own": MEMBERS, "other": NOBODY}, denied_as=404)
# Events: "cohort" is cohort A's, "other" cohort B's, "network" a network-wide event the leader created.
EVENT_PAGE = dict(allowed={"cohort": A_READERS, "other": B_READERS, "network": MEMBERS}, denied_as=404)
EVENT_MANAGERS = {"cohort": A_MODERATORS, "other": B_MANAGERS, "network": frozenset({LEADER, ADMIN})}


def anyone(roles) -> dict:
    return {None: frozenset(roles)}


POLICY = {
    # Public pages
    "/": Policy(anyone(EVERYONE)),
    "/accessibility": Policy(anyone(EVERYONE)),
    "/healthz": Policy(anyone(EVERYONE)),
    "/static/<path:filename>": Policy(anyone(EVERYONE), fixed={"filename": "css/site.css"}),
    "/login": Policy(anyone(EVERYONE)),
    "/logout": Policy(anyone(EVERYONE)),
    "/language": Policy(anyone(EVERYONE), data={"language": "sv", "next": "/"}),
    "/password-reset": Policy(anyone(EVERYONE)),
    # The link is the key: whoever holds a genuine one may use it; a forged one opens nothing.
    "/password-reset/<token>": Policy({"own": EVERYONE, "hidden": NOBODY}),
    "/unsubscribe/<token>": Policy({"own": EVERYONE}),
    "/invitations/<token>": Policy({"own": EVERYONE, "other": NOBODY}),
    # The log-in's second step belongs to the session waiting for it (after a right password); without
    # one it sends the visitor to /login (no `next`: nothing was refused), members to the home page.
    "/login/two-factor": Policy(anyone(EVERYONE)),
    # Accounts
    "/account": Policy(anyone(MEMBERS)),
    "/account/password": Policy(anyone(MEMBERS)),
    "/account/export": Policy(anyone(MEMBERS)),
    # One's own second factor only: the routes take no member; without one they lead to its set-up.
    "/account/two-factor": Policy(anyone(MEMBERS)),
    "/account/two-factor/recovery-codes": Policy(anyone(MEMBERS)),
    "/account/two-factor/disable": Policy(anyone(MEMBERS)),
    # Erasure: one's own account with one's password; the page after it is shown once, to whoever holds it.
    "/account/delete": Policy(anyone(MEMBERS)),
    "/account/deleted": Policy(anyone(EVERYONE)),
    "/cohort-invitations/<int:invitation_id>/<answer>": Policy(
        {"own": MEMBERS, "other": NOBODY}, fixed={"answer": "accept"}, objects={"invitation_id": "cohort_invitation"}),
    # Administration
    "/admin/": Policy(anyone(STAFF)),
    "/admin/cohorts": Policy(anyone(STAFF)),
    "/admin/cohorts/new": Policy(anyone({ADMIN})),
    "/admin/cohorts/<int:cohort_id>": Policy({"cohort": A_MODERATORS, "other": B_MANAGERS}),
    "/admin/cohorts/<int:cohort_id>/edit": Policy({"cohort": A_MODERATORS, "other": B_MANAGERS}),
    "/admin/cohorts/<int:cohort_id>/events/new": Policy({"cohort": A_MODERATORS, "other": B_MANAGERS}),
    "/admin/cohorts/<int:cohort_id>/members": Policy(
        {"cohort": A_MODERATORS, "other": B_MANAGERS}, data={"email": "author@example.org", "role": "participant"}),
    "/admin/cohorts/<int:cohort_id>/members/<int:user_id>/remove": Policy(
        {"cohort": A_MODERATORS, "other": B_MANAGERS, "hidden": {ADMIN}}, objects={"user_id": "member"}),
    "/admin/events": Policy(anyone(STAFF)),
    "/admin/events/new": Policy(anyone(STAFF)),
    "/admin/events/<int:event_id>/edit": Policy(EVENT_MANAGERS),
    "/admin/events/<int:event_id>/delete": Policy(EVENT_MANAGERS),
    "/admin/invitations": Policy(anyone(STAFF)),
    "/admin/invitations/<int:invitation_id>/revoke": Policy(
        {"cohort": A_MODERATORS, "other": B_MANAGERS, "hidden": {ADMIN}}),
    "/admin/outbox": Policy(anyone({ADMIN})),
    "/admin/outbox/<int:message_id>/retry": Policy({"other": {ADMIN}}),
    "/admin/organisations": Policy(anyone({ADMIN})),
    "/admin/organisations/new": Policy(anyone({ADMIN})),
    "/admin/organisations/<int:organisation_id>/edit": Policy({"other": {ADMIN}}),
    "/admin/users": Policy(anyone({ADMIN})),
    "/admin/users/<int:user_id>": Policy({"other": {ADMIN}}),
    "/admin/users/<int:user_id>/two-factor/reset": Policy(
        {"own": NOBODY, "other": {ADMIN}}, data={"two-factor-reason": "Tappade telefonen"}, objects={"user_id": "member"}),
    "/admin/users/<int:user_id>/erase": Policy(
        {"own": NOBODY, "other": {ADMIN}}, objects={"user_id": "member"}, data={"reason": "Begäran"}),
    # The programme
    "/cohorts": Policy(anyone(MEMBERS)),
    "/cohorts/<int:cohort_id>": Policy({"cohort": MEMBERS, "other": MEMBERS}),
    # Events: members of the event's cohort and administrators; everyone for network-wide events
    "/events": Policy(anyone(MEMBERS)),
    "/events/calendar": Policy(anyone(MEMBERS)),
    "/events/<int:event_id>": Policy(**EVENT_PAGE),
    "/events/<int:event_id>.ics": Policy(**EVENT_PAGE),
    "/events/<int:event_id>/rsvp": Policy(**EVENT_PAGE, data={"response": "yes"}),
    # The feed's address is the key: a genuine token answers without log-in; a reset one opens nothing.
    "/calendar/<token>.ics": Policy({"own": EVERYONE, "hidden": NOBODY}),
    # Journals: the author only, no exceptions (404 for everyone else, administrators included)
    "/journal": Policy(anyone(MEMBERS)),
    "/journal/new": Policy(anyone(MEMBERS)),
    "/journal/timeline": Policy(anyone(MEMBERS)),
    "/journal/export": Policy(anyone(MEMBERS)),
    "/journal/filter": Policy(anyone(MEMBERS)),
    "/journal/<int:entry_id>": Policy(**JOURNAL_ENTRY),
    "/journal/<int:entry_id>/edit": Policy(**JOURNAL_ENTRY),
    "/journal/<int:entry_id>/delete": Policy(**JOURNAL_ENTRY),
    "/journal/<int:entry_id>/share": Policy(**JOURNAL_ENTRY),
    "/journal/prompts": Policy(anyone(STAFF)),
    "/journal/prompts/<int:prompt_id>/delete": Policy({"cohort": A_MODERATORS, "other": B_MANAGERS}),
    # The forum
    "/themes": Policy(anyone(MEMBERS)),
    "/themes/<slug>": Policy(anyone(MEMBERS)),
    "/themes/<slug>/new": Policy(anyone(MEMBERS)),
    "/themes/<slug>/watch/<level>": Policy(anyone(MEMBERS), fixed={"level": "watching"}),
    "/themes/manage": Policy(anyone(STAFF)),
    "/themes/manage/add": Policy(anyone(STAFF)),
    "/themes/<slug>/edit": Policy(anyone(STAFF)),
    "/themes/<slug>/move/<direction>": Policy(anyone(STAFF), fixed={"direction": "down"}),
    "/themes/<slug>/archive/<state>": Policy(anyone(STAFF), fixed={"state": "on"}),
    "/threads/<int:thread_id>": Policy({"other": MEMBERS, "hidden": STAFF, "cohort": A_READERS},
                                       data={"body": "Ett svar i tråden."}),
    "/threads/<int:thread_id>/watch/<level>": Policy(
        {"other": MEMBERS, "hidden": STAFF, "cohort": A_READERS}, fixed={"level": "watching"}),
    "/posts/<int:post_id>/edit": Policy(
        {"own": MEMBERS, "other": NOBODY, "hidden": NOBODY, "cohort": NOBODY}, data={"body": "Ändrad text."}),
    "/posts/<int:post_id>/delete": Policy({"own": MEMBERS, "other": NOBODY, "hidden": NOBODY, "cohort": NOBODY}),
    "/posts/<int:post_id>/revisions": Policy({"own": STAFF, "other": STAFF, "hidden": STAFF, "cohort": A_MODERATORS}),
    "/posts/<int:post_id>/flag": Policy({"own": NOBODY, "other": MEMBERS, "hidden": NOBODY, "cohort": A_READERS},
                                        data={"reason": "spam"}),
    "/notifications": Policy(anyone(MEMBERS)),
    "/notifications/<int:notification_id>/read": Policy({"own": MEMBERS, "other": NOBODY}),
    "/notifications/read-all": Policy(anyone(MEMBERS)),
    "/notifications/email": Policy(anyone(MEMBERS), data={"frequency": "weekly"}),
    "/search": Policy(anyone(MEMBERS)),
    # Moderation: course leaders moderate network-wide threads and their own cohorts'
    "/moderation": Policy(anyone(STAFF)),
    "/moderation/log": Policy(anyone(STAFF)),
    "/moderation/log.csv": Policy(anyone(STAFF)),
    "/moderation/posts/<int:post_id>": Policy({"own": STAFF, "other": STAFF, "hidden": STAFF, "cohort": A_MODERATORS}),
    "/moderation/posts/<int:post_id>/<action>": Policy(
        {"own": STAFF, "other": STAFF, "hidden": STAFF, "cohort": A_MODERATORS},
        fixed={"action": "hide"}, data={"hide-reason": "Personuppgifter"}),
    "/moderation/posts/<int:post_id>/edit": Policy(
        {"own": STAFF, "other": STAFF, "hidden": STAFF, "cohort": A_MODERATORS}, data={"body": "Rensad text."}),
    "/moderation/posts/<int:post_id>/note": Policy(
        {"own": STAFF, "other": STAFF, "hidden": STAFF, "cohort": A_MODERATORS}, data={"note-message": "Tänk på tonen."}),
    "/moderation/threads/<int:thread_id>/<action>": Policy(
        {"other": STAFF, "hidden": STAFF, "cohort": A_MODERATORS}, fixed={"action": "lock"}),
    "/moderation/threads/<int:thread_id>/move": Policy({"other": STAFF, "hidden": STAFF, "cohort": A_MODERATORS}),
    "/moderation/themes/<slug>/approval/<state>": Policy(anyone(STAFF), fixed={"state": "on"}),
    # Suspension: course leaders only participants of their cohorts; network-wide for admins; never oneself
    "/moderation/members/<int:user_id>/<action>": Policy(
        {"own": NOBODY, "cohort": A_MODERATORS, "other": B_MANAGERS}, fixed={"action": "suspend"},
        data={"suspend-reason": "Upprepade påhopp"}, objects={"user_id": "member"}),
    # People
    "/people": Policy(anyone(MEMBERS)),
    "/people/organisations": Policy(anyone(MEMBERS)),
    "/people/organisations/<int:organisation_id>": Policy({"other": MEMBERS}),
    # An unlisted member's page says only that they are not listed; their card and picture stay private.
    "/people/<handle>": Policy({"own": MEMBERS, "other": MEMBERS, "hidden": MEMBERS}),
    "/people/<handle>.vcf": Policy({"own": MEMBERS, "other": MEMBERS, "hidden": {ADMIN}}),
    "/people/<handle>/avatar.jpg": Policy({"own": MEMBERS, "other": MEMBERS, "hidden": {ADMIN}}),
    "/profile": Policy(anyone(MEMBERS)),
    "/profile/avatar": Policy(anyone(MEMBERS)),
    "/profile/avatar/delete": Policy(anyone(MEMBERS)),
    # Private messages: a conversation and its messages are its two members' alone (404 for everyone
    # else, administrators included); reports reach the administrators with the one message reported.
    "/messages": Policy(anyone(MEMBERS)),
    "/messages/new": Policy(anyone(MEMBERS)),  # without ?to= it leads to the directory
    "/messages/<int:conversation_id>": Policy(
        {"own": MEMBERS, "other": NOBODY}, data={"body": "Ett privat svar."}, denied_as=404),
    "/messages/report/<int:message_id>": Policy(
        {"own": MEMBERS, "other": NOBODY}, data={"reason": "Kränkande."}, objects={"message_id": "private_message"},
        denied_as=404),
    "/messages/settings": Policy(anyone(MEMBERS), data={"who_may_write": "cohorts"}),
    "/messages/block/<handle>": Policy({"own": NOBODY, "other": MEMBERS}),
    "/messages/unblock/<handle>": Policy({"own": NOBODY, "other": MEMBERS}),
    "/messages/reports": Policy(anyone({ADMIN})),
    "/messages/reports/<int:report_id>/<action>": Policy({"other": {ADMIN}}, fixed={"action": "dismiss"}),
}


# The world, built once ----------------------------------------------------------------------------

@dataclass
class World:
    """Every object the matrix points at, by kind and state (ids only: rows reload per request)."""

    ids: dict  # (kind, state) -> id or value; own objects: (kind, "own", role)
    clients: dict  # role -> logged-in test client


def build_world(app) -> World:
    organisation = Organisation(name="Täby kommun", kind=OrganisationKind.MUNICIPALITY, municipality="Täby")
    cohort_a = Cohort(name="Växthuset A", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 1), description="")
    cohort_b = Cohort(name="Växthuset B", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 1), description="")
    db.session.add_all([organisation, cohort_a, cohort_b])
    db.session.flush()

    def member(email, role, cohort=None, membership=MembershipRole.PARTICIPANT):
        user = accounts.create_user(email=email, name=email.split("@")[0].title(), password=PASSWORD, role=role,
                                    organisation=organisation)
        if cohort is not None:
            db.session.add(CohortMembership(user=user, cohort=cohort, role=membership))
        return user

    users = {
        PARTICIPANT: member("participant@example.org", Role.PARTICIPANT, cohort_a),
        OTHER_PARTICIPANT: member("other.participant@example.org", Role.PARTICIPANT, cohort_b),
        LEADER: member("leader@example.org", Role.COURSE_LEADER, cohort_a, MembershipRole.COURSE_LEADER),
        OTHER_LEADER: member("other.leader@example.org", Role.COURSE_LEADER, cohort_b, MembershipRole.COURSE_LEADER),
        ADMIN: member("admin@example.org", Role.ADMIN),
        SUSPENDED: member("suspended@example.org", Role.PARTICIPANT, cohort_a),
    }
    author = member("author@example.org", Role.PARTICIPANT, cohort_a)  # owns "someone else's" objects
    unlisted = member("unlisted@example.org", Role.PARTICIPANT, cohort_a)
    db.session.flush()
    listed = dict(title="Chef", phone="070-123 45 67", email_visibility=Visibility.NETWORK,
                  phone_visibility=Visibility.COHORT, languages="", link="", bio="", areas=[], keywords=[])
    for user in [*users.values(), author]:
        people.save_profile(user, in_directory=True, **listed)
    people.save_profile(unlisted, in_directory=False, **listed)
    for user in [*users.values(), author, unlisted]:
        db.session.add(Avatar(user_id=user.id, image=b"\xff\xd8\xff\xd9", etag=f"e{user.id}"))

    theme = forum.save_theme(None, name_sv="Matris", name_en="Matrix", description_sv="", description_en="")
    network_thread = forum.create_thread(author, theme, "Öppen fråga", "Hur gör ni?")
    cohort_thread = forum.create_thread(author, theme, "Bara för A", "Intern fråga.", cohort_a)
    pending_thread = forum.create_thread(author, theme, "Väntar på godkännande", "Ny tråd.")
    other_post = forum.create_reply(author, network_thread, "Ett svar av någon annan.")
    hidden_post = forum.create_reply(author, network_thread, "Ett dolt svar.")
    hidden_post.status, hidden_post.hidden_reason = PostStatus.HIDDEN, "Personuppgifter"
    cohort_post = forum.create_reply(author, cohort_thread, "Ett svar bara för A.")
    db.session.flush()
    for post in db.session.scalars(select(Post).where(Post.thread_id == pending_thread.id)):
        post.status = PostStatus.PENDING

    events = {}
    for state, cohort in (("cohort", cohort_a), ("other", cohort_b)):
        events[state] = ProgrammeEvent(cohort=cohort, kind=EventKind.CONFERENCE, title="Konferens", place="Täby",
                                       starts_on=local_today() + timedelta(days=5),
                                       ends_on=local_today() + timedelta(days=6))
    events["network"] = ProgrammeEvent(cohort=None, kind=EventKind.ALUMNI_MEETING, title="Alumniträff",
                                       place="Upplands Väsby", starts_on=local_today() + timedelta(days=9),
                                       ends_on=local_today() + timedelta(days=9), created_by_id=users[LEADER].id)
    db.session.add_all(events.values())
    old_feed = events_services.reset_feed(author)
    prompts = {state: journal.add_prompt(users[ADMIN], cohort_id=cohort.id, event_id=None, timing=None, aim=None,
                                         text_sv="Vad tar du med dig?", text_en="")
               for state, cohort in (("cohort", cohort_a), ("other", cohort_b))}
    invitations = {
        state: accounts.create_invitation(inviter=users[ADMIN], email=f"new.{state}@example.org",
                                          role=Role.PARTICIPANT, organisation=organisation, cohort=cohort)
        for state, cohort in (("cohort", cohort_a), ("other", cohort_b), ("hidden", None))
    }
    author_invitation, author_token = accounts.invite_member_to_cohort(
        None, author.email, cohort_b, Role.PARTICIPANT, organisation)
    ids = {
        ("cohort_id", "cohort"): cohort_a.id, ("cohort_id", "other"): cohort_b.id,
        ("cohort_id", "hidden"): cohort_a.id,  # with its leader as the member (see "member" below)
        ("event_id", "cohort"): events["cohort"].id, ("event_id", "other"): events["other"].id,
        ("event_id", "network"): events["network"].id,
        ("token", "hidden", "/calendar/<token>.ics"): old_feed,
        ("token", "own", "/calendar/<token>.ics"): events_services.reset_feed(author),
        ("prompt_id", "cohort"): prompts["cohort"].id, ("prompt_id", "other"): prompts["other"].id,
        ("invitation_id", "cohort"): invitations["cohort"][0].id,
        ("invitation_id", "other"): invitations["other"][0].id,
        ("invitation_id", "hidden"): invitations["hidden"][0].id,
        ("organisation_id", "other"): organisation.id,
        ("user_id", "other"): author.id,
        # Members of a cohort: a participant of A, of B, and the leader of A (only admins remove leaders).
        ("member", "cohort"): author.id, ("member", "other"): users[OTHER_PARTICIPANT].id,
        ("member", "hidden"): users[LEADER].id,
        ("thread_id", "other"): network_thread.id, ("thread_id", "hidden"): pending_thread.id,
        ("thread_id", "cohort"): cohort_thread.id,
        ("post_id", "other"): other_post.id, ("post_id", "hidden"): hidden_post.id,
        ("post_id", "cohort"): cohort_post.id,
        ("handle", "other"): author.handle, ("handle", "hidden"): unlisted.handle,
        ("slug", None): theme.slug,
        ("entry_id", "other"): own_entry(author).id,
        ("notification_id", "other"): notify(author, other_post).id,
        ("cohort_invitation", "other"): author_invitation.id,
        ("message_id", "other"): failed_mail(author).id,
        ("token", "own", "/password-reset/<token>"): reset_token(author),
        ("token", "hidden", "/password-reset/<token>"): "forged-token",
        ("token", "own", "/unsubscribe/<token>"): unsubscribe_token(author),
        ("token", "own", "/invitations/<token>"): invitations["cohort"][1],
        ("token", "other", "/invitations/<token>"): author_token,
    }
    ids.update(private_messages(users, author, unlisted))
    for role, user in users.items():
        ids[("post_id", "own", role)] = forum.create_reply(user, network_thread, f"Mitt svar ({role}).").id
        ids[("entry_id", "own", role)] = own_entry(user).id
        ids[("notification_id", "own", role)] = notify(user, other_post).id
        ids[("handle", "own", role)] = user.handle
        ids[("member", "own", role)] = user.id
        elsewhere = cohort_b if role in (PARTICIPANT, LEADER, SUSPENDED) else cohort_a
        ids[("cohort_invitation", "own", role)] = accounts.invite_member_to_cohort(
            None, user.email, elsewhere, Role.PARTICIPANT, organisation)[0].id
    db.session.commit()

    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        if role != ANONYMOUS:
            response = clients[role].post("/login", data={"email": users[role].email, "password": PASSWORD})
            assert response.status_code == 302, role
    accounts.set_status(users[SUSPENDED], UserStatus.SUSPENDED)  # their open session ends with it
    db.session.commit()
    return World(ids=ids, clients=clients)


def private_messages(users, author, unlisted) -> dict:
    """Each visitor's own conversation with the author (and the author's message in it), and a
    conversation of two others with a reported message."""
    ids = {}
    for role, user in users.items():
        message = messages.start_conversation(author, user, f"Hej {role}!")
        ids[("conversation_id", "own", role)] = message.conversation_id
        ids[("private_message", "own", role)] = message.id
    message = messages.start_conversation(unlisted, author, "Ett samtal mellan två andra.")
    ids[("conversation_id", "other")] = message.conversation_id
    ids[("private_message", "other")] = message.id
    ids[("report_id", "other")] = messages.report(author, message, "Olämpligt.").id
    return ids


def own_entry(user):
    return journal.save_entry(user, None, title="Min reflektion", body="Privat text.", tags=[],
                              entry_date=local_today(), event_id=None, is_draft=False)


def notify(user, post):
    notification = Notification(user_id=user.id, post_id=post.id, kind=NotificationKind.REPLY)
    db.session.add(notification)
    db.session.flush()
    return notification


def failed_mail(user) -> OutboxMessage:
    message = OutboxMessage(recipient=user.email, subject="Hej", message=b"Subject: Hej\r\n\r\nText",
                            status=OutboxStatus.FAILED, attempts=6, last_error="SMTPConnectError")
    db.session.add(message)
    db.session.flush()
    return message


def reset_token(user) -> str:
    token, token_hash = new_token()
    db.session.add(PasswordResetToken(user=user, token_hash=token_hash, expires_at=utcnow() + timedelta(hours=1)))
    return token


@pytest.fixture(scope="module")
def matrix_app(run_app, tmp_path_factory):
    """One app and one world for the whole matrix; every request is rolled back afterwards."""
    with run_app.app_context():
        engine = db.engine
    with run_app_restored(run_app, tmp_path_factory.mktemp("matrix")), rolled_back(engine):
        limiter.enabled = False
        with run_app.app_context(), pytest.MonkeyPatch.context() as patch:
            world = build_world(run_app)
            patch.setattr(db.session, "commit", db.session.flush)
            yield run_app, world
            patch.undo()
            db.session.rollback()


# The checks ----------------------------------------------------------------------------------------

def rules(app) -> list:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def object_id(world: World, rule, name: str, state, role: str):
    """The value of URL variable ``name`` for this state and visitor."""
    policy = POLICY[rule.rule]
    if name in policy.fixed:
        return policy.fixed[name]
    kind = policy.objects.get(name, name)
    for key in ((kind, state, rule.rule), (kind, state, role), (kind, state), (kind, None)):
        if key in world.ids:
            return world.ids[key]
    if state == "own":  # the anonymous visitor owns nothing: they get the author's object
        return world.ids[(kind, "other")]
    raise KeyError(f"no {kind} for state {state!r} of {rule.rule}")


def outcome(response) -> str:
    """allowed, denied or error (a 5xx, or an answer no policy explains)."""
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (403, 404, 410):
        return "denied"
    if status in (301, 302, 303) and urlsplit(response.headers["Location"]).path == "/login" \
            and "next=" in response.headers["Location"]:
        return "denied"
    if status < 400 or status == 400:
        return "allowed"
    return "error"


def cells(app):
    """Every (rule, method, role, state) the matrix requests."""
    for rule in rules(app):
        policy = POLICY.get(rule.rule)
        if policy is None:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            for state, allowed in policy.allowed.items():
                for role in ROLES:
                    yield rule, method, role, state, role in allowed


def test_every_route_declares_its_policy(matrix_app):
    app, _world = matrix_app
    undeclared = sorted({r.rule for r in app.url_map.iter_rules()} - POLICY.keys())
    stale = sorted(POLICY.keys() - {r.rule for r in app.url_map.iter_rules()})
    assert (undeclared, stale) == ([], [])


# About 1,400 requests: the cells are dealt into parts so that pytest-xdist workers share them. Each
# cell is rolled back, so which part (and which worker) requests it makes no difference.
PARTS = 4


def test_the_parts_deal_out_every_cell_once(matrix_app):
    app, _world = matrix_app
    dealt = [cell for part in range(PARTS) for cell in part_of(app, part)]
    assert sorted(dealt, key=repr) == sorted(cells(app), key=repr)


def part_of(app, part: int) -> list:
    """Every PARTS-th cell, from the ``part``-th on."""
    return list(cells(app))[part::PARTS]


@pytest.mark.parametrize("part", range(PARTS))
def test_every_cell_of_the_matrix_answers_as_the_policy_says(matrix_app, part):
    app, world = matrix_app
    mismatches, checked, routes = [], 0, set()
    for rule, method, role, state, expected in part_of(app, part):
        values = {name: object_id(world, rule, name, state, role) for name in rule.arguments - set(rule.defaults or {})}
        url = rule.build({**(rule.defaults or {}), **values}, append_unknown=False)[1]
        client = world.clients[role]
        # Log-out and language choices change the client's cookies: they must not outlive their cell.
        cookies = dict(client._cookies)
        try:
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data=POLICY[rule.rule].data)
            response.get_data()  # run streamed bodies (the log's CSV) inside the cell
            response.close()
        finally:
            db.session.rollback()
            client._cookies = cookies
        got = outcome(response)
        if got == "denied" and POLICY[rule.rule].denied_as and role not in (ANONYMOUS, SUSPENDED):
            got = "denied" if response.status_code == POLICY[rule.rule].denied_as else "error"
        checked += 1
        routes.add(rule.rule)
        if got != ("allowed" if expected else "denied"):
            mismatches.append(f"{method} {rule.rule} [{state}] as {role}: {response.status_code}, expected "
                              f"{'allowed' if expected else 'denied'}")
    print(f"\nauthorization matrix, part {part + 1} of {PARTS}: {len(routes)} routes, {checked} cells "
          f"(route x method x {len(ROLES)} visitors x object states), {len(mismatches)} mismatches")
    assert mismatches == []
