"""The member's data export (/account/export): everything held about them, and nothing about others.

The coverage test derives from the schema every table that references a member and fails unless
the export writes it or it is declared not personal, with the reason: a new table cannot be
forgotten.
"""
import io
import json
import os
import zipfile
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table

from helpers import page_text
from network import personal_data
from network.auth.export import CHUNK_SIZE, account_archive
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, PostRevision, ReadState, Thread, ThreadWatch, WatchLevel
from network.journal import services as journal
from network.moderation import services as moderation
from network.moderation.models import Flag, FlagReason
from network.notifications import services as notifications
from network.notifications.models import EmailFrequency, Notification, NotificationKind
from network.people import services as people
from network.people.models import Visibility
from network.timeutil import local_today, utcnow

EXPORT = "/account/export"


# Coverage: derived from the schema -------------------------------------------------------------

def user_columns(metadata: MetaData) -> set[tuple[str, str]]:
    """(table, column) of ``user.id`` and of every column that is a member's id by a foreign key to it."""
    keyed = {("user", "id")}
    for table in metadata.tables.values():
        for column in table.columns:
            if any((fk.column.table.name, fk.column.name) == ("user", "id") for fk in column.foreign_keys):
                keyed.add((table.name, column.name))
    return keyed


def tables_referencing_members(metadata: MetaData) -> set[str]:
    """Every table with a foreign key to ``user``, directly or through a column keyed by the member
    (``profile_keyword.user_id`` references ``profile.user_id``, itself a member's id)."""
    keyed = user_columns(metadata)
    return {table.name for table in metadata.tables.values() for column in table.columns
            for fk in column.foreign_keys
            if (fk.column.table.name, fk.column.name) in keyed and table.name != "user"}


def uncovered(metadata: MetaData) -> set[str]:
    """Tables referencing a member that neither a part exports nor a declaration calls not personal."""
    declared = personal_data.covered_tables() | set(personal_data.NOT_PERSONAL)
    return tables_referencing_members(metadata) - declared


def test_every_table_referencing_a_member_is_exported_or_declared_not_personal(app, record_property):
    referencing = tables_referencing_members(db.metadata)
    missing = uncovered(db.metadata)
    assert not missing, f"tables with a member's data that the export leaves out: {sorted(missing)}"
    exported = referencing & personal_data.covered_tables()
    coverage = f"{len(exported)}/{len(referencing)}"
    record_property("export_coverage", coverage)
    print(f"export coverage: {coverage} tables referencing a member are exported")
    assert {"post", "journal_entry", "profile_keyword", "cohort_membership"} <= exported


def test_the_coverage_check_catches_a_new_table_nobody_declared(app):
    metadata = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    Table("member_badge", metadata, Column("id", Integer, primary_key=True),
          Column("awarded_to_id", ForeignKey("user.id")))
    Table("badge_note", metadata, Column("id", Integer, primary_key=True),
          Column("profile_id", ForeignKey("profile.user_id")))
    assert uncovered(metadata) == {"member_badge", "badge_note"}


def test_every_declared_table_exists_and_every_exclusion_says_why(app):
    tables = set(db.metadata.tables)
    for part in personal_data.PARTS.values():
        assert set(part.tables) <= tables, f"part {part.name} names an unknown table"
    for table, reason in personal_data.NOT_PERSONAL.items():
        assert table in tables and reason.strip()


# What the export holds -------------------------------------------------------------------------

def archive_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def everything_in(archive: zipfile.ZipFile) -> str:
    """Every file of the archive decompressed, as one text (the avatar is bytes: left out)."""
    return "\n".join(archive.read(name).decode() for name in archive.namelist() if not name.startswith("files/"))


@pytest.fixture
def world(cast, make_theme):
    """A member who has used every feature, and another member active in the same places."""
    people_ = cast("participant", "author", "course_leader")
    member, other = people_["participant"], people_["author"]
    theme = make_theme()
    people.save_profile(member, title="Enhetschef", phone="070-111 22 33", email_visibility=Visibility.PRIVATE,
                        phone_visibility=Visibility.COHORT, in_directory=True, languages="svenska, finska",
                        link="", bio="Jag leder **hemtjänsten**.", areas=[], keywords=["tillit", "bemanning"])
    people.set_avatar(member, b"\xff\xd8 the member's picture")
    thread = forum.create_thread(member, theme, "Hur bemannar ni helger?", "Vi saknar folk på helgerna.")
    opening = thread_opening(thread)
    forum.author_edit(member, opening, "Vi saknar folk på helgerna, särskilt i juli.")
    others_reply = forum.create_reply(other, thread, "Andras svar: vi har en pool av timvikarier.")
    others_thread = forum.create_thread(other, theme, "Tillit i ledningsgruppen", "Den andras öppning, privat tanke.")
    moderation.flag_post(member, thread_opening(others_thread), FlagReason.OFF_TOPIC, "Hör inte hit.")
    notifications.set_email_frequency(member, EmailFrequency.WEEKLY)
    journal.save_entry(member, None, title="Min reflektion", body="Jag vill lita mer på gruppen.", tags=["tillit"],
                       entry_date=date(2026, 3, 2), event_id=None, is_draft=False, theme_ids=[theme.id])
    journal.save_entry(other, None, title="Den andras dagbok", body="Hemlig dagbokstext om chefen.", tags=[],
                       entry_date=date(2026, 3, 2), event_id=None, is_draft=False, theme_ids=[])
    db.session.commit()
    return {"member": member, "other": other, "thread": thread, "others_reply": others_reply}


def thread_opening(thread: Thread) -> Post:
    return db.session.scalar(db.select(Post).where(Post.thread_id == thread.id, Post.opening))


def test_a_member_downloads_a_dated_zip_that_no_cache_keeps(client, world, login_as):
    login_as(client, world["member"])
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="vaxthuset-mina-uppgifter-{local_today().isoformat()}.zip"')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.is_streamed
    archive = archive_of(response)
    assert archive.testzip() is None
    names = set(archive.namelist())
    for part in personal_data.PARTS.values():
        assert f"{part.name}.json" in names
    assert {"README.md", "posts.md", "journal.md", "profile.md", "files/avatar.jpg"} <= names


def test_the_export_holds_each_kind_of_the_members_data(client, world, login_as):
    member = world["member"]
    login_as(client, member)
    archive = archive_of(client.get(EXPORT))
    data = {name[:-5]: json.loads(archive.read(name)) for name in archive.namelist() if name.endswith(".json")}
    assert data["account"] == [{
        "id": member.id, "name": "Anna Lindqvist", "email": "participant@example.org", "handle": member.handle,
        "role": "participant", "status": "active", "language": "sv", "organisation": member.organisation.name,
        "created_at": member.created_at.isoformat()}]
    assert data["profile"][0]["phone"] == "070-111 22 33"
    assert data["profile"][0]["keywords"] == ["bemanning", "tillit"]
    assert data["profile"][0]["bio"] == "Jag leder **hemtjänsten**."
    assert archive.read("files/avatar.jpg") == b"\xff\xd8 the member's picture"
    assert [m["cohort"] for m in data["memberships"]] == ["Växthuset 2026"]
    assert [t["title"] for t in data["threads"]] == ["Hur bemannar ni helger?"]
    [post] = data["posts"]
    assert post["body"] == "Vi saknar folk på helgerna, särskilt i juli."
    assert [r["body"] for r in post["revisions"]] == ["Vi saknar folk på helgerna.",
                                                      "Vi saknar folk på helgerna, särskilt i juli."]
    assert {w.get("thread") for w in data["watches"]} == {"Hur bemannar ni helger?"}
    assert [f["reason"] for f in data["flags"]] == ["off_topic"]
    assert data["flags"][0]["thread"] == "Tillit i ledningsgruppen"
    assert data["email_preference"][0]["frequency"] == "weekly"
    assert [(e["title"], e["body"], e["tags"]) for e in data["journal"]] == [
        ("Min reflektion", "Jag vill lita mer på gruppen.", ["tillit"])]
    assert [n["kind"] for n in data["notifications"]] == ["reply"]
    assert "Jag vill lita mer på gruppen." in archive.read("journal.md").decode()
    assert "Vi saknar folk på helgerna, särskilt i juli." in archive.read("posts.md").decode()


def test_the_export_leaves_out_other_members_data_and_the_members_credentials(client, world, login_as):
    member, other = world["member"], world["other"]
    login_as(client, member)
    text = everything_in(archive_of(client.get(EXPORT)))
    assert "Hur bemannar ni helger?" in text  # their own thread
    for foreign in ("Hemlig dagbokstext om chefen.", "Den andras dagbok", "author@example.org",
                    "Andras svar: vi har en pool av timvikarier.", "Den andras öppning, privat tanke."):
        assert foreign not in text
    assert member.password_hash not in text and member.session_token not in text
    login_as(client, other)
    others_text = everything_in(archive_of(client.get(EXPORT)))
    assert "Hemlig dagbokstext om chefen." in others_text
    for foreign in ("Jag vill lita mer på gruppen.", "070-111 22 33", "participant@example.org", "Hör inte hit."):
        assert foreign not in others_text


def test_the_journal_part_is_what_the_journal_export_gives(client, world, login_as):
    login_as(client, world["member"])
    journal_export = zipfile.ZipFile(io.BytesIO(client.get("/journal/export").get_data()))
    account_export = archive_of(client.get(EXPORT))
    assert json.loads(account_export.read("journal.json")) == json.loads(journal_export.read("journal.json"))["entries"]


def test_the_readme_is_in_the_members_language(client, world, login_as):
    member = world["member"]
    login_as(client, member)
    assert "# Dina uppgifter i Växthuset Network" in archive_of(client.get(EXPORT)).read("README.md").decode()
    member.language = "en"
    db.session.commit()
    readme = archive_of(client.get(EXPORT)).read("README.md").decode()
    assert "# Your data in Växthuset Network" in readme
    assert "- Your posts and their earlier versions: `posts.json`, `posts.md`" in readme
    assert archive_of(client.get(EXPORT)).read("posts.md").decode().startswith("# Your posts\n")


def test_the_account_page_links_to_the_download(client, participant, login_as):
    login_as(client, participant)
    text = page_text(client.get("/account"))
    assert f'href="{EXPORT}"' in text and "Ladda ner mina uppgifter" in text


def test_only_members_download_and_at_most_five_times_an_hour(client, cast, login_as):
    people_ = cast("participant", "author")
    assert client.get(EXPORT).status_code == 302  # to the log-in page
    login_as(client, people_["participant"])
    assert [client.get(EXPORT).status_code for _ in range(6)] == [200] * 5 + [429]
    login_as(client, people_["author"])
    assert client.get(EXPORT).status_code == 200  # counted per member


def test_a_configured_limit_wins(make_app, participant, login_as):
    application = make_app(ACCOUNT_EXPORT_LIMIT="1 per hour")
    client = application.test_client()
    login_as(client, participant)
    assert [client.get(EXPORT).status_code for _ in range(2)] == [200, 429]


# Streaming ---------------------------------------------------------------------------------------

def many_posts(member, thread: Thread, count: int) -> None:
    """``count`` posts by ``member``, each with text that barely compresses (random hex)."""
    now = utcnow()
    db.session.add_all(Post(thread_id=thread.id, author_id=member.id, body_source=os.urandom(400).hex(),
                            body_html="<p>x</p>", created_at=now) for _ in range(count))
    db.session.commit()


def test_the_zip_is_sent_in_pieces_while_it_is_written(client, world, login_as):
    member = world["member"]
    many_posts(member, world["thread"], 600)
    login_as(client, member)
    response = client.get(EXPORT, buffered=False)
    assert response.is_streamed
    pieces = [piece for piece in response.response if piece]
    total = sum(len(piece) for piece in pieces)
    assert total > 8 * CHUNK_SIZE
    # Never more than one piece of the archive at a time (plus one row's worth), never the whole.
    assert max(len(piece) for piece in pieces) < 2 * CHUNK_SIZE
    response.close()
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert len(json.loads(archive.read("posts.json"))) == 601


def much_activity(member, theme_id: int, count: int) -> None:
    """``count`` threads by ``member``, each with a post (edited once), a watch, a read mark, a flag
    and a notification."""
    now = utcnow()
    for n in range(count):
        thread = Thread(theme_id=theme_id, author_id=member.id, title=f"Tråd {n}", created_at=now, last_activity_at=now)
        post = Post(thread=thread, author_id=member.id, opening=True, body_source=f"Inlägg {n}",
                    body_html="<p>x</p>", created_at=now)
        post.revisions.append(PostRevision(editor_id=member.id, body_source=f"Först {n}", body_html="<p>x</p>"))
        db.session.add_all([thread, post])
        db.session.flush()
        db.session.add_all([
            ThreadWatch(user_id=member.id, thread_id=thread.id, level=WatchLevel.WATCHING),
            ReadState(user_id=member.id, thread_id=thread.id, last_read_post_id=post.id),
            Flag(post_id=post.id, flagger_id=member.id, reason=FlagReason.SPAM),
            Notification(user_id=member.id, kind=NotificationKind.REPLY, post_id=post.id),
        ])
    db.session.commit()


def test_the_export_takes_as_many_queries_for_a_busy_member_as_for_a_quiet_one(client, world, login_as,
                                                                               count_queries):
    member = world["member"]
    login_as(client, member)
    client.get("/account")  # the visit's activity stamp is written once, not in what is counted

    def queries() -> int:
        with count_queries() as statements:
            archive_of(client.get(EXPORT))
        return len(statements)

    quiet = queries()
    much_activity(member, world["thread"].theme_id, 120)
    assert queries() == quiet


def test_a_parts_values_of_any_type_reach_the_json(app, participant):
    def rows(user):
        yield {"at": time(9, 30), "picture": b"\x00\x01", "amount": Decimal("1.50"), "kind": Visibility.COHORT}

    part = personal_data.Part("odd", (), rows)
    with app.test_request_context():
        archive = zipfile.ZipFile(io.BytesIO(b"".join(account_archive(participant, [part]))))
    assert json.loads(archive.read("odd.json")) == [
        {"at": "09:30:00", "picture": "AAE=", "amount": "1.50", "kind": "cohort"}]
    assert set(archive.namelist()) == {"README.md", "odd.json"}
