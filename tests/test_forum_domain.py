"""The forum owns post status and visibility; moderation hooks in through the forum's signals.

Structure (from the code's imports and templates) and behaviour: what moderation does on a
new post, an edit and a removal arrives through ``network.forum.signals``.
"""
import ast
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import page_text
from network.auth.models import Role
from network.extensions import db
from network.forum import services as forum
from network.forum import signals
from network.forum.models import Post, PostStatus, Thread
from network.moderation import services as moderation
from network.moderation.models import FlagReason
from network.notifications.models import Notification, NotificationKind
from network.programme.services import led_cohort_ids

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "network"


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included), made absolute."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


# Structure ----------------------------------------------------------------------------------

def test_the_forum_package_imports_nothing_from_moderation():
    offenders = {
        f"{path.name}: {module}"
        for path in sorted((PACKAGE / "forum").glob("*.py"))
        for module in imported_modules(path)
        if module == "network.moderation" or module.startswith("network.moderation.")
    }
    assert offenders == set()


def test_the_import_check_sees_imports_inside_functions_and_relative_ones(tmp_path):
    probe = tmp_path / "network" / "forum" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("from ..moderation import models\n\ndef f():\n    from network.moderation.services import x\n",
                     encoding="utf-8")
    assert {"network.moderation.models", "network.moderation.services"} <= imported_modules(probe, tmp_path)


def test_the_shared_permissions_import_no_forum_models():
    assert not {m for m in imported_modules(PACKAGE / "permissions.py") if m.startswith("network.forum")}


TEMPLATE_VALUE_TEST = re.compile(r"\.value\s*(==|!=|\bin\b)")


def test_no_template_compares_enum_values_as_strings():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").rglob("*")) if path.is_file()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if TEMPLATE_VALUE_TEST.search(line)
    ]
    assert offenders == []


def test_cohorts_a_user_leads_come_from_one_function(make_user, make_cohort, cohort):
    other = make_cohort(name="Växthuset 2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 1))
    leader = make_user(Role.COURSE_LEADER, cohort=cohort)
    participant = make_user(Role.PARTICIPANT, cohort=other)
    admin = make_user(Role.ADMIN)
    assert led_cohort_ids(leader) == frozenset({cohort.id})
    assert led_cohort_ids(participant) == led_cohort_ids(admin) == frozenset()
    for duplicate in ("permissions.py", "admin/routes.py", "moderation/visibility.py"):
        path = PACKAGE / duplicate
        assert not path.exists() or "def led_cohort" not in path.read_text(encoding="utf-8")


# Signals ------------------------------------------------------------------------------------

@pytest.fixture
def world(cast):
    people = cast(author="author", reader="participant", leader="course_leader")
    theme = forum.save_theme(None, name_sv="Ungt ledarskap", name_en="Young leadership", description_sv="",
                             description_en="")
    thread = forum.create_thread(people["author"], theme, "Bemanning i sommar", "Hur löser ni semestrarna?")
    db.session.commit()
    return {**people, "theme": theme, "thread": thread}


class Heard:
    """A receiver that remembers what it was sent."""

    def __init__(self):
        self.calls = []

    def __call__(self, sender, **extra):
        self.calls.append((sender, extra))


def opening(thread: Thread) -> Post:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.opening))


def test_post_created_is_sent_with_each_new_post(client, world, login_as):
    heard = Heard()
    login_as(client, world["reader"])
    with signals.post_created.connected_to(heard):
        client.post(f"/threads/{world['thread'].id}", data={"body": "Vi delar upp veckorna."})
        thread = forum.create_thread(world["reader"], world["theme"], "Ny fråga", "Hur gör ni med vikarier?")
    assert [(post.body_source, post.opening) for post, _extra in heard.calls] == [
        ("Vi delar upp veckorna.", False), ("Hur gör ni med vikarier?", True)]
    assert heard.calls[1][0].thread_id == thread.id


def test_post_edited_is_sent_with_the_post_and_its_editor_once_the_text_changed(client, world, login_as):
    heard = []
    post = opening(world["thread"])
    login_as(client, world["author"])

    def receiver(sender, editor, **extra):  # the editor may be a request-bound proxy: read it now
        heard.append((sender.id, sender.body_source, editor.id))

    with signals.post_edited.connected_to(receiver):
        assert client.post(f"/posts/{post.id}/edit", data={"body": "Hur löser ni semestrarna i år?"}).status_code == 302
    assert heard == [(post.id, "Hur löser ni semestrarna i år?", world["author"].id)]


def test_post_removed_is_sent_when_an_author_removes_a_post(client, world, login_as):
    heard = Heard()
    reply = forum.create_reply(world["author"], world["thread"], "Glöm det jag skrev.")
    db.session.commit()
    login_as(client, world["author"])
    with signals.post_removed.connected_to(heard):
        client.post(f"/posts/{reply.id}/delete")
    assert [(post.id, post.status) for post, _extra in heard.calls] == [(reply.id, PostStatus.DELETED_BY_AUTHOR)]


# Moderation through the signals --------------------------------------------------------------

def require_approval(world):
    world["theme"].requires_approval = True
    db.session.commit()


def test_moderation_holds_a_participants_post_in_an_approval_theme_through_post_created(client, world, login_as):
    require_approval(world)
    login_as(client, world["author"])
    client.post(f"/threads/{world['thread'].id}", data={"body": "Nattbemanning med ny leverantör."})
    held = db.session.scalar(select(Post).where(Post.body_source == "Nattbemanning med ny leverantör."))
    assert held.is_pending
    assert db.session.get(Thread, world["thread"].id).post_count == 1  # only the opening post counts
    notices = db.session.scalars(select(Notification).where(Notification.post_id == held.id))
    assert {(n.user_id, n.kind) for n in notices} == {(world["leader"].id, NotificationKind.AWAITING_APPROVAL)}
    client.post("/logout")
    login_as(client, world["reader"])
    assert "Nattbemanning" not in page_text(client.get(f"/threads/{world['thread'].id}?page=1"))


def test_without_moderations_receiver_the_same_post_is_published(world):
    require_approval(world)
    with signals.post_created.muted():
        post = forum.create_reply(world["author"], world["thread"], "Publicerad direkt.")
    assert post.is_visible and post.thread.post_count == 2


def test_moderation_holds_an_edit_in_an_approval_theme_through_edit_submitted(client, world, login_as):
    require_approval(world)
    post = opening(world["thread"])
    login_as(client, world["author"])
    client.post(f"/posts/{post.id}/edit", data={"body": "Omskriven text"})
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.body_source, stored.pending_body_source) == ("Hur löser ni semestrarna?", "Omskriven text")
    with signals.edit_submitted.muted():
        assert forum.author_edit(world["author"], stored, "Direkt ändrad") is False
    assert (stored.body_source, stored.pending_body_source) == ("Direkt ändrad", None)


def test_moderation_keeps_a_removed_posts_text_while_it_has_an_open_case(world):
    flagged = forum.create_reply(world["author"], world["thread"], "Ett påhopp på en kollega")
    unflagged = forum.create_reply(world["author"], world["thread"], "Ett vanligt inlägg")
    moderation.flag_post(world["reader"], flagged, FlagReason.OFFENSIVE)
    forum.delete_post(flagged)
    forum.delete_post(unflagged)
    assert (flagged.is_removed, flagged.body_source) == (True, "Ett påhopp på en kollega")
    assert (unflagged.is_removed, unflagged.is_erased) == (True, True)


# Status predicates ---------------------------------------------------------------------------

@pytest.mark.parametrize("status, predicates", [
    (PostStatus.VISIBLE, {"is_visible", "is_standing"}),
    (PostStatus.PENDING, {"is_pending", "is_held", "is_standing"}),
    (PostStatus.HIDDEN, {"is_hidden", "is_held", "is_hidden_automatically"}),
    (PostStatus.DELETED_BY_AUTHOR, {"is_removed"}),
])
def test_a_posts_status_answers_exactly_its_predicates(status, predicates):
    post = Post(status=status, hidden_reason=None)
    every = {"is_visible", "is_pending", "is_hidden", "is_removed", "is_held", "is_standing",
             "is_hidden_automatically"}
    assert {name for name in every if getattr(post, name)} == predicates


def test_the_thread_page_marks_held_and_removed_posts_by_their_status(client, world, login_as):
    pending = forum.create_reply(world["author"], world["thread"], "Väntande text")
    forum.set_post_status(pending, PostStatus.PENDING)
    removed = forum.create_reply(world["author"], world["thread"], "Borttagen text")
    forum.delete_post(removed)
    db.session.commit()
    login_as(client, world["author"])
    shown = page_text(client.get(f"/threads/{world['thread'].id}?page=1"))
    assert "Väntar på godkännande" in shown and "Väntande text" in shown
    assert "Inlägget togs bort av författaren." in shown and "Borttagen text" not in shown
