"""Discussion: themes, threads, replies, scope, mentions, watching, notifications, digests, unread and search."""
import re
from datetime import date, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, insert, select

from helpers import outbox, page_text
from network.extensions import db
from network.forum import services
from network.notifications import digests
from network.notifications import services as notifications
from network.programme.models import Cohort
from network.forum.models import (
    Post, PostRevision, PostStatus, Theme, Thread, WatchLevel,
)
from network.notifications.models import EmailFrequency, Notification
from network.text import render_markdown
from network.timeutil import utcnow


@pytest.fixture
def theme(make_theme):
    return make_theme(slug="test-ungt-ledarskap", name_sv="Ungt ledarskap i test", name_en="Young leadership in test",
                      description_sv="Att leda som ung chef.", description_en="Leading as a young manager.")


@pytest.fixture
def people(cast):
    """Members in and around a cohort, from the cast."""
    return cast(member="participant", author="author", cohort_leader="course_leader", outsider="outsider",
                other_leader="other_leader", admin="admin")


def new_thread(author, theme, title="Att leda före detta kollegor", body="Hur gör ni?", cohort=None):
    thread = services.create_thread(author, theme, title, body, cohort)
    db.session.commit()
    return thread


def reply(author, thread, body):
    post = services.create_reply(author, thread, body)
    db.session.commit()
    return post


def notifications_of(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()


# Themes ----------------------------------------------------------------------------------------

def test_themes_page_lists_themes_in_the_members_language(client, people, theme, login_as):
    login_as(client, people["member"])
    new_thread(people["author"], theme)
    body = page_text(client.get("/themes"))
    assert "Ungt ledarskap i test" in body and "Att leda som ung chef." in body and "1 tråd" in body
    client.post("/language", data={"language": "en"})
    assert "Young leadership in test" in page_text(client.get("/themes"))


@pytest.mark.committing
def test_migration_seeds_the_programmes_themes_in_both_languages(app):
    downgrade(revision="0001")
    upgrade()
    seeded = {t.name_sv: t.name_en for t in db.session.scalars(select(Theme))}
    for swedish, english in [("Ungt ledarskap", "Young leadership"), ("Destruktivt ledarskap", "Destructive leadership"),
                             ("Mångkulturellt ledarskap", "Multicultural leadership"), ("Innovationskraft", "Innovative power"),
                             ("Skapa utrymme för reflektion", "Make room for reflection")]:
        assert seeded[swedish] == english


@pytest.mark.parametrize("who,expected", [("member", 403), ("cohort_leader", 200), ("admin", 200)])
def test_theme_management_is_for_course_leaders_and_admins(client, people, theme, who, expected, login_as):
    login_as(client, people[who])
    assert client.get("/themes/manage").status_code == expected
    response = client.post("/themes/manage/add", data={"name_sv": "Välfärdens digitalisering",
                                                       "name_en": "Digital welfare"})
    assert response.status_code == (302 if expected == 200 else 403)
    assert (db.session.scalar(select(Theme).where(Theme.slug == "valfardens-digitalisering")) is not None) == (expected == 200)


def test_themes_are_renamed_reordered_and_archived(client, people, theme, login_as):
    db.session.execute(delete(Theme).where(Theme.id != theme.id))  # only this test's two themes
    second = services.save_theme(None, name_sv="Innovationskraft i test", name_en="Innovative power in test",
                                 description_sv="", description_en="")
    db.session.commit()
    login_as(client, people["admin"])
    client.post(f"/themes/{theme.slug}/edit", data={"name_sv": "Unga chefer", "name_en": "Young managers",
                                                     "description_sv": "Ny text", "description_en": "New text"})
    assert db.session.get(Theme, theme.id).name_sv == "Unga chefer"
    client.post(f"/themes/{second.slug}/move/up")
    assert [t.id for t in services.themes()] == [second.id, theme.id]
    client.post(f"/themes/{theme.slug}/archive/on")
    assert [t.id for t in services.themes()] == [second.id]
    login_as(client, people["member"])
    themes_page = page_text(client.get("/themes"))
    assert "Unga chefer" in themes_page[themes_page.index("Arkiverade teman"):]
    assert "arkiverat" in page_text(client.get(f"/themes/{theme.slug}"))
    assert client.post(f"/themes/{theme.slug}/new", data={"title": "Ny tråd", "body": "Text"}).status_code == 403


# Threads and replies -------------------------------------------------------------------------

def test_member_starts_a_thread_and_replies(client, people, theme, login_as):
    login_as(client, people["member"])
    response = client.post(f"/themes/{theme.slug}/new", data={"title": "Rollbyte till chef", "body": "Hur gick det för er?"})
    thread = db.session.scalar(select(Thread))
    assert response.status_code == 302 and response.location.endswith(f"/threads/{thread.id}")
    assert thread.cohort_id is None and thread.author_id == people["member"].id
    response = client.post(f"/threads/{thread.id}", data={"body": "Jag pratade öppet om det på en **APT**."})
    assert response.status_code == 302
    body = page_text(client.get(f"/threads/{thread.id}?page=1"))
    assert "<script" not in body  # works without JavaScript; the CSP forbids inline script anyway
    assert "Rollbyte till chef" in body and "<strong>APT</strong>" in body and "Anna Lindqvist" in body
    assert services.thread_watch_level(people["member"], thread) == WatchLevel.WATCHING


def test_new_thread_can_be_limited_to_own_cohort(client, people, theme, cohort, login_as):
    login_as(client, people["member"])
    client.post(f"/themes/{theme.slug}/new", data={"title": "Bara för oss", "body": "Hej kullen", "scope": str(cohort.id)})
    assert db.session.scalar(select(Thread)).cohort_id == cohort.id
    other = db.session.scalar(select(Cohort).where(Cohort.name == "Växthuset 2025"))
    response = client.post(f"/themes/{theme.slug}/new", data={"title": "Smyg", "body": "In", "scope": str(other.id)})
    assert response.status_code == 200  # not a valid choice for this member
    assert db.session.scalar(select(func.count(Thread.id))) == 1


def test_theme_page_lists_pinned_first_then_latest_activity_with_counts(client, people, theme, login_as):
    old = new_thread(people["author"], theme, title="Gammal men fäst")
    quiet = new_thread(people["author"], theme, title="Tyst tråd")
    busy = new_thread(people["author"], theme, title="Livlig tråd")
    reply(people["member"], busy, "Första svaret")
    reply(people["member"], busy, "Andra svaret")
    old.pinned = True
    quiet.last_activity_at = utcnow() - timedelta(days=3)
    db.session.commit()
    login_as(client, people["member"])
    body = page_text(client.get(f"/themes/{theme.slug}"))
    assert body.index("Gammal men fäst") < body.index("Livlig tråd") < body.index("Tyst tråd")
    row = body[body.index("Livlig tråd"):body.index("Tyst tråd")]
    assert "<td>2</td>" in row and "Anna Lindqvist" in row and "Erik Skribent" in row


def test_unknown_thread_is_404(client, people, login_as):
    login_as(client, people["member"])
    assert client.get("/threads/9999").status_code == 404
    assert client.post("/threads/9999", data={"body": "Hallå"}).status_code == 404


def test_locked_thread_refuses_replies_with_an_explanation(client, people, theme, login_as):
    thread = new_thread(people["author"], theme)
    thread.locked = True
    db.session.commit()
    login_as(client, people["member"])
    response = client.post(f"/threads/{thread.id}", data={"body": "Får jag svara?"})
    assert response.status_code == 403
    assert "låst" in page_text(response)
    assert db.session.scalar(select(func.count(Post.id))) == 1
    with pytest.raises(services.ThreadLocked):
        services.create_reply(people["member"], thread, "Via tjänsten")


@pytest.mark.parametrize("body,message", [
    ("", "Skriv något innan du skickar."),
    ("x" * 20_001, "högst 20000 tecken"),
])
def test_empty_or_overlong_reply_is_a_form_error_keeping_the_text(client, people, theme, body, message, login_as):
    thread = new_thread(people["author"], theme)
    login_as(client, people["member"])
    response = client.post(f"/threads/{thread.id}", data={"body": body})
    assert response.status_code == 200
    assert message in page_text(response).replace("\u202f", "").replace("\xa0", "")
    if body:
        assert body in page_text(response)
    assert db.session.scalar(select(func.count(Post.id))) == 1


def test_a_double_submit_creates_one_post(client, people, theme, login_as):
    thread = new_thread(people["author"], theme)
    login_as(client, people["member"])
    first = client.post(f"/threads/{thread.id}", data={"body": "Samma svar"})
    second = client.post(f"/threads/{thread.id}", data={"body": "Samma svar"})
    assert first.location == second.location
    assert db.session.scalar(select(func.count(Post.id))) == 2
    client.post(f"/themes/{theme.slug}/new", data={"title": "Dubbel", "body": "Klick"})
    client.post(f"/themes/{theme.slug}/new", data={"title": "Dubbel", "body": "Klick"})
    assert db.session.scalar(select(func.count(Thread.id)).where(Thread.title == "Dubbel")) == 1


def test_quote_prefills_the_reply_with_the_quoted_post(client, people, theme, login_as):
    thread = new_thread(people["author"], theme, body="Citera mig gärna")
    opening = db.session.scalar(select(Post))
    login_as(client, people["member"])
    body = page_text(client.get(f"/threads/{thread.id}?page=1&quote={opening.id}"))
    assert f"@{people['author'].handle}:\n&gt; Citera mig gärna" in body


# Scope ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("who,sees", [
    ("member", True), ("cohort_leader", True), ("admin", True), ("outsider", False), ("other_leader", False),
])
def test_cohort_thread_is_invisible_everywhere_to_outsiders(client, people, theme, cohort, who, sees, login_as):
    thread = new_thread(people["author"], theme, title="Kullens hemliga tråd", body="Konfidentiellt ledarskap",
                        cohort=cohort)
    post = reply(people["author"], thread, f"Hej @{people[who].handle}, vad tycker du om ledarskap?")
    viewer = people[who]
    login_as(client, viewer)
    assert client.get(f"/threads/{thread.id}?page=1").status_code == (200 if sees else 404)
    assert client.post(f"/threads/{thread.id}", data={"body": "In"}).status_code == (302 if sees else 404)
    assert client.get(f"/posts/{post.id}/edit").status_code in ((403,) if sees else (404,))
    assert ("Kullens hemliga tråd" in page_text(client.get(f"/themes/{theme.slug}"))) == sees
    assert ("Kullens hemliga tråd" in page_text(client.get("/search?q=konfidentiellt"))) == sees
    assert ("Kullens hemliga tråd" in page_text(client.get("/notifications"))) == sees
    assert (len(notifications_of(viewer)) > 0) == sees  # the mention reached only those who may see it


def test_notifications_disappear_when_a_member_leaves_the_cohort(client, people, theme, cohort, login_as):
    member = people["member"]
    thread = new_thread(people["author"], theme, cohort=cohort)
    reply(people["author"], thread, f"@{member.handle} titta här")
    login_as(client, member)
    assert "Aviseringar <span class=\"badge\">1" in page_text(client.get("/themes"))
    db.session.delete(member.memberships[0])
    db.session.commit()
    body = page_text(client.get("/notifications"))
    assert "titta" not in body and "Du har inga aviseringar." in body
    assert 'class="badge"' not in page_text(client.get("/themes"))


# Editing and removing --------------------------------------------------------------------------

def test_author_edits_keeping_every_revision_visible_to_moderators(client, people, theme, login_as):
    thread = new_thread(people["author"], theme)
    post = reply(people["author"], thread, "Första versionen")
    login_as(client, people["author"])
    client.post(f"/posts/{post.id}/edit", data={"body": "Andra versionen"})
    client.post(f"/posts/{post.id}/edit", data={"body": "Tredje versionen"})
    stored = db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id)).all()
    assert [r.body_source for r in stored] == ["Första versionen", "Andra versionen", "Tredje versionen"]
    assert all(r.editor_id == people["author"].id for r in stored)
    body = page_text(client.get(f"/threads/{thread.id}?page=1"))
    assert "Tredje versionen" in body and "redigerad" in body and "Tidigare versioner" not in body
    assert client.get(f"/posts/{post.id}/revisions").status_code == 403
    login_as(client, people["cohort_leader"])
    revisions = page_text(client.get(f"/posts/{post.id}/revisions"))
    assert "Första versionen" in revisions and "Andra versionen" in revisions


@pytest.mark.parametrize("who,expected", [("author", 302), ("member", 403), ("admin", 403)])
def test_only_the_author_edits_and_removes_a_post(client, people, theme, who, expected, login_as):
    thread = new_thread(people["author"], theme)
    post = reply(people["author"], thread, "Mitt inlägg")
    login_as(client, people[who])
    assert client.post(f"/posts/{post.id}/edit", data={"body": "Ändrat"}).status_code == expected
    assert client.post(f"/posts/{post.id}/delete").status_code == expected
    assert (db.session.get(Post, post.id).status == PostStatus.DELETED_BY_AUTHOR) == (expected == 302)


def test_removed_post_shows_as_removed_and_leaves_search(client, people, theme, login_as):
    thread = new_thread(people["author"], theme)
    post = reply(people["author"], thread, "Hemlig fundering om budgeten")
    login_as(client, people["author"])
    client.post(f"/posts/{post.id}/delete")
    body = page_text(client.get(f"/threads/{thread.id}?page=1"))
    assert "Inlägget togs bort av författaren." in body and "Hemlig fundering" not in body
    assert "Inga träffar" in page_text(client.get("/search?q=budgeten"))


# Mentions -----------------------------------------------------------------------------------

def test_mention_links_to_the_profile_and_notifies(client, people, theme, login_as):
    member = people["member"]
    thread = new_thread(people["author"], theme)
    post = reply(people["author"], thread, f"Vad tycker @{member.handle}? Mejla anna@example.org")
    assert f'<a href="/people/{member.handle}" rel="nofollow noopener">@{member.handle}</a>' in post.body_html
    assert "/people/example" not in post.body_html
    [notice] = notifications_of(member)
    assert notice.kind.value == "mention" and notice.post_id == post.id
    login_as(client, member)
    assert "Erik Skribent nämnde dig i" in page_text(client.get("/notifications"))


def test_mentions_in_code_and_of_unknown_handles_are_plain_text(people, theme):
    thread = new_thread(people["author"], theme)
    post = reply(people["author"], thread, f"`@{people['member'].handle}` och @ingen.alls")
    assert "/people/" not in post.body_html
    assert notifications_of(people["member"]) == []


def test_editing_in_a_mention_notifies_once(client, people, theme, login_as):
    thread = new_thread(people["author"], theme)
    post = reply(people["author"], thread, "Utan omnämnande")
    login_as(client, people["author"])
    for _ in range(2):
        client.post(f"/posts/{post.id}/edit", data={"body": f"Nu med @{people['member'].handle}"})
    assert [n.kind.value for n in notifications_of(people["member"])] == ["mention"]


# Watching and notifications ------------------------------------------------------------------

def test_repliers_watch_and_get_notified_of_replies_unless_muted(client, people, theme, login_as):
    author, member, admin = people["author"], people["member"], people["admin"]
    thread = new_thread(author, theme)
    reply(member, thread, "Jag svarar och bevakar nu")
    assert [n.kind.value for n in notifications_of(author)] == ["reply"]
    login_as(client, admin)
    client.post(f"/threads/{thread.id}/watch/muted")
    reply(admin, thread, "Jag tystar tråden")  # admin posts but has muted: stays muted
    reply(author, thread, "Tack för svaren")
    assert notifications_of(admin) == []
    assert len(notifications_of(member)) == 2
    login_as(client, member)
    client.post(f"/threads/{thread.id}/watch/none")
    reply(author, thread, "Ett till")
    assert len(notifications_of(member)) == 2


def test_watched_theme_notifies_new_threads_visible_to_the_watcher(client, people, theme, cohort, login_as):
    for who in ("member", "outsider"):
        login_as(client, people[who])
        client.post(f"/themes/{theme.slug}/watch/watching")
    new_thread(people["author"], theme, title="För alla")
    new_thread(people["author"], theme, title="Bara kullen", cohort=cohort)
    assert sorted(n.kind.value for n in notifications_of(people["member"])) == ["new_thread", "new_thread"]
    assert len(notifications_of(people["outsider"])) == 1
    login_as(client, people["outsider"])
    body = page_text(client.get("/notifications"))
    assert "Ny tråd i Ungt ledarskap i test: ”För alla”" in body and "Bara kullen" not in body


def test_muted_theme_silences_replies_but_not_mentions(client, people, theme, login_as):
    member = people["member"]
    thread = new_thread(member, theme)
    login_as(client, member)
    client.post(f"/themes/{theme.slug}/watch/muted")
    assert "Du har tystat det här" in page_text(client.get(f"/themes/{theme.slug}"))
    reply(people["author"], thread, "Ett vanligt svar")
    reply(people["author"], thread, f"Men @{member.handle}, vad säger du?")
    assert [n.kind.value for n in notifications_of(member)] == ["mention"]


def test_notifications_are_marked_read_one_by_one_or_all(client, people, theme, login_as):
    member = people["member"]
    thread = new_thread(member, theme)
    for n in range(3):
        reply(people["author"], thread, f"Svar nummer {n}")
    login_as(client, member)
    assert '<span class="badge">3<span class="visually-hidden"> olästa' in page_text(client.get("/themes"))
    first = notifications_of(member)[0]
    assert client.post(f"/notifications/{first.id}/read").status_code == 302
    assert '<span class="badge">2<' in page_text(client.get("/themes"))
    client.post("/notifications/read-all")
    assert all(n.read_at for n in notifications_of(member))
    login_as(client, people["author"])
    assert client.post(f"/notifications/{first.id}/read").status_code == 404


def test_reading_the_thread_marks_its_notifications_read(client, people, theme, login_as):
    member = people["member"]
    thread = new_thread(member, theme)
    reply(people["author"], thread, "Läs mig")
    login_as(client, member)
    client.get(f"/threads/{thread.id}?page=1")
    assert all(n.read_at for n in notifications_of(member))


# Unread tracking ---------------------------------------------------------------------------

def test_theme_page_shows_unread_counts_and_thread_opens_at_first_unread(make_app, client, people, theme, login_as):
    member = people["member"]
    thread = new_thread(people["author"], theme)
    login_as(client, member)
    assert "1 oläst" in page_text(client.get(f"/themes/{theme.slug}"))
    client.get(f"/threads/{thread.id}?page=1")
    assert "oläst" not in page_text(client.get(f"/themes/{theme.slug}"))
    posts = [reply(people["author"], thread, f"Svar {n}") for n in range(30)]
    assert "30 olästa" in page_text(client.get(f"/themes/{theme.slug}"))
    response = client.get(f"/threads/{thread.id}")
    assert response.status_code == 302
    assert response.location.endswith(f"/threads/{thread.id}?page=1#post-{posts[0].id}")
    client.get(f"/threads/{thread.id}?page=1")  # 25 per page: reads up to reply 24
    response = client.get(f"/threads/{thread.id}")
    assert response.location.endswith(f"/threads/{thread.id}?page=2#post-{posts[24].id}")
    assert "6 olästa" in page_text(client.get(f"/themes/{theme.slug}"))


# Email: digests and unsubscribe ----------------------------------------------------------------

def send_due(now=None):
    sent = digests.send_notification_emails(tuple(EmailFrequency), now or utcnow())
    db.session.commit()
    return sent


def test_daily_digest_is_sent_once_with_unsubscribe_link_and_headers(runner, client, people, theme):
    member = people["member"]
    thread = new_thread(member, theme, title="Digest-tråd")
    reply(people["author"], thread, "Något nytt")
    result = runner.invoke(args=["notify", "send-digests"])
    assert result.exit_code == 0 and "Sent 1" in result.output
    [mail] = outbox(client.application)
    assert mail["To"] == member.email and "sammanfattning" in mail["Subject"]
    assert "Erik Skribent svarade i ”Digest-tråd”" in mail.get_content()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert runner.invoke(args=["notify", "send-digests"]).output.strip() == "Sent 0 email(s)."
    reply(people["author"], thread, "Ännu nyare")
    assert send_due() == 0  # the next daily digest is not due yet
    assert send_due(utcnow() + timedelta(days=1)) == 1
    path = re.search(r"https?://[^/\s]+(/unsubscribe/\S+)", mail.get_content()).group(1)
    assert mail["List-Unsubscribe"].strip("<>").endswith(path)
    assert "Stoppa utskicken" in page_text(client.get(path))  # no login needed
    assert client.post(path).status_code == 200
    assert notifications.email_frequency(member) == EmailFrequency.NONE
    assert client.post("/unsubscribe/forged-token").status_code == 400


@pytest.mark.parametrize("frequency,sent_now,sent_in_a_week", [
    (EmailFrequency.IMMEDIATE, 1, 0), (EmailFrequency.WEEKLY, 0, 1), (EmailFrequency.NONE, 0, 0),
])
def test_email_frequency_is_respected(client, people, theme, frequency, sent_now, sent_in_a_week, login_as):
    member = people["member"]
    login_as(client, member)
    client.post("/notifications/email", data={"frequency": frequency.value})
    thread = new_thread(member, theme)
    client.application.config["SERVER_NAME"] = None
    login_as(client, people["author"])
    client.post(f"/threads/{thread.id}", data={"body": "Svar som ska mejlas"})  # immediate mail goes out here
    assert len(outbox(client.application)) == sent_now
    assert send_due() == 0
    assert send_due(utcnow() + timedelta(days=7)) == sent_in_a_week


def test_digest_leaves_out_what_the_member_may_no_longer_see(people, theme, cohort, client):
    member = people["member"]
    thread = new_thread(people["author"], theme, cohort=cohort)
    reply(people["author"], thread, f"@{member.handle} hemligt")
    db.session.delete(member.memberships[0])
    db.session.commit()
    assert send_due() == 0 and outbox(client.application) == []


# Search ---------------------------------------------------------------------------------------

def test_search_finds_titles_and_posts_with_highlighted_snippets(client, people, theme, login_as):
    new_thread(people["author"], theme, title="Innovationskraft i hemtjänsten", body="Vi testar nya arbetssätt.")
    thread = new_thread(people["member"], theme, title="Annat ämne", body="Inget här")
    reply(people["member"], thread, "Hemtjänsten i Knivsta har <script>alert(1)</script> provat detta")
    login_as(client, people["member"])
    body = page_text(client.get("/search?q=hemtjänst"))
    assert "2 inlägg hittades" in body
    assert "<mark>Innovationskraft</mark>" not in body and "<mark>hemtjänsten</mark>" in body
    assert "<mark>Hemtjänsten</mark>" in body and "<script>" not in body and "alert(1)" in body


def test_search_snippets_are_escaped_around_the_highlights(app):
    from network.forum.routes import highlight

    from network.forum.search import MARK_END, MARK_START

    marked = f"{MARK_START}ord{MARK_END} <img src=x onerror=alert(1)>"
    assert str(highlight(marked)) == "<mark>ord</mark> &lt;img src=x onerror=alert(1)&gt;"


def test_search_filters_by_theme_author_and_date(client, people, theme, login_as):
    other = services.save_theme(None, name_sv="Destruktivt i test", name_en="Destructive in test",
                                description_sv="", description_en="")
    new_thread(people["author"], theme, title="Första tråden", body="Om ledarskap")
    old = new_thread(people["member"], other, title="Andra tråden", body="Mer om ledarskap")
    old_post = db.session.scalar(select(Post).where(Post.thread_id == old.id))
    old_post.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    login_as(client, people["member"])
    assert "2 inlägg hittades" in page_text(client.get("/search?q=ledarskap"))
    assert "Andra tråden" in page_text(client.get(f"/search?q=ledarskap&theme={other.id}"))
    assert "Andra tråden" not in page_text(client.get(f"/search?q=ledarskap&theme={theme.id}"))
    by_author = page_text(client.get(f"/search?q=ledarskap&author=@{people['author'].handle}"))
    assert "1 inlägg hittades" in by_author and "Första tråden" in by_author
    since = (date.today() - timedelta(days=7)).isoformat()
    assert "Andra tråden" not in page_text(client.get(f"/search?q=ledarskap&date_from={since}"))
    assert "Andra tråden" in page_text(client.get(f"/search?q=ledarskap&date_to={since}"))


def test_search_leaves_out_hidden_and_pending_posts_of_others(client, people, theme, login_as):
    thread = new_thread(people["author"], theme)
    hidden = reply(people["author"], thread, "Dold synpunkt om kaffe")
    pending = reply(people["author"], thread, "Väntande synpunkt om kaffe")
    hidden.status, pending.status = PostStatus.HIDDEN, PostStatus.PENDING
    db.session.commit()
    login_as(client, people["member"])
    assert "Inga träffar" in page_text(client.get("/search?q=kaffe"))


def test_search_without_words_shows_the_form(client, people, login_as):
    login_as(client, people["member"])
    response = client.get("/search?q=%22%2A%28")
    assert response.status_code == 200 and "Skriv minst ett ord" in page_text(response)
    assert client.get("/search?date_from=not-a-date&q=x").status_code == 200


# The sanitiser ----------------------------------------------------------------------------------

@pytest.mark.parametrize("source,forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ('<img src="x" onerror="alert(1)">', "<img"),
    ("[klicka](javascript:alert(1))", 'href="javascript:'),
    ("<a href=\"javascript:alert(1)\">x</a>", "<a href=\"javascript"),
    ('<svg onload="alert(1)"><circle r="1"/></svg>', "<svg"),
    ("<style>body { display: none }</style>", "<style"),
    ('<iframe src="https://example.org"></iframe>', "<iframe"),
    ('<p onclick="alert(1)">x</p>', "<p onclick"),
    ("[data](data:text/html;base64,PHNjcmlwdD4=)", 'href="data:'),
])
def test_sanitiser_neutralises_dangerous_markup(source, forbidden):
    assert forbidden not in render_markdown(source)


def test_posts_are_stored_as_source_and_sanitised_html(people, theme):
    thread = new_thread(people["author"], theme)
    post = reply(people["author"], thread, '<script>alert(1)</script> [x](javascript:alert(1)) **ok**')
    assert post.body_source.startswith("<script>")
    assert "<script" not in post.body_html and 'href="javascript:' not in post.body_html
    assert "<strong>ok</strong>" in post.body_html


def test_links_are_linkified_with_rel_and_only_safe_schemes(people, theme):
    thread = new_thread(people["author"], theme)
    post = reply(people["author"], thread, "Läs https://www.upplandsvasby.se och [mejla](mailto:a@example.org) "
                                           "eller [ftp](ftp://example.org/x)")
    assert '<a href="https://www.upplandsvasby.se" rel="nofollow noopener">' in post.body_html
    assert 'href="mailto:a@example.org"' in post.body_html and "ftp://" not in post.body_html.split("href")[-1][:20]


# Query counts -----------------------------------------------------------------------------------

def add_threads(theme, author, count):
    now = utcnow()
    ids = db.session.scalars(insert(Thread).returning(Thread.id), [
        {"theme_id": theme.id, "author_id": author.id, "title": f"Tråd {n}", "locked": False, "pinned": False,
         "created_at": now, "last_activity_at": now - timedelta(minutes=n)} for n in range(count)
    ]).all()
    add_posts_to(ids, author)


def add_posts_to(thread_ids, author, per_thread=1):
    now = utcnow()
    db.session.execute(insert(Post), [
        {"thread_id": tid, "author_id": author.id, "opening": n == 0, "body_source": "Text", "body_html": "<p>Text</p>",
         "status": PostStatus.VISIBLE, "created_at": now} for tid in thread_ids for n in range(per_thread)
    ])
    db.session.commit()


def test_theme_page_query_count_does_not_grow_with_threads(client, people, theme, count_queries, login_as):
    login_as(client, people["member"])
    url = f"/themes/{theme.slug}"
    add_threads(theme, people["author"], 20)
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    add_threads(theme, people["author"], 1000)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), "\n".join(many)


def test_thread_page_query_count_does_not_grow_with_posts(client, people, theme, count_queries, make_user, login_as):
    thread_id = new_thread(people["author"], theme).id
    login_as(client, people["member"])
    add_posts_to([thread_id], people["author"], per_thread=20)
    client.get(f"/threads/{thread_id}?page=1")
    with count_queries() as few:
        assert client.get(f"/threads/{thread_id}?page=1").status_code == 200
    for writer in [make_user() for _ in range(5)]:
        add_posts_to([thread_id], writer, per_thread=200)
    client.get(f"/threads/{thread_id}?page=2")  # read once, as in the first measurement
    with count_queries() as many:
        assert client.get(f"/threads/{thread_id}?page=2").status_code == 200
    assert len(many) == len(few), "\n".join(many)


def test_demo_seed_adds_discussions_once(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    threads = db.session.scalar(select(func.count(Thread.id)))
    assert threads >= 5 and db.session.scalar(select(func.count(Post.id))) > threads
    assert db.session.scalar(select(func.count(Thread.id)).where(Thread.cohort_id.is_not(None))) >= 1
    runner.invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count(Thread.id))) == threads
