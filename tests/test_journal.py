"""The private reflection journal: written, read, searched and exported by its author alone."""
import base64
import io
import json
import logging
import os
import stat
import subprocess
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from helpers import outbox, page_text
from network import create_app
from network.auth.models import Role
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, Theme, Thread
from network.journal import services
from network.journal.keys import JournalKeyError, keyring
from network.journal.models import JournalEntry, JournalPrompt
from network.programme.models import EventKind, ProgrammeEvent
from network.timeutil import local_today, utcnow


def visit(client, path: str, **filters):
    """GET ``path``, first choosing the journal filters (sent by POST, kept in the session)."""
    if filters:
        client.post("/journal/filter", data=filters)
    return client.get(path)


def write(user, title="Första konferensen", body="Jag funderar på **min grupp**.", tags=("personal", "budget"),
          entry_date=date(2026, 2, 10), event=None, is_draft=False, themes=()) -> JournalEntry:
    """An entry written through the service, committed."""
    entry = services.save_entry(user, None, title=title, body=body, tags=list(tags), entry_date=entry_date,
                                event_id=event.id if event else None, is_draft=is_draft,
                                theme_ids=[theme.id for theme in themes])
    db.session.commit()
    return entry


@pytest.fixture
def event(cohort):
    held = ProgrammeEvent(cohort=cohort, kind=EventKind.CONFERENCE, title="Konferens 3: Täby", place="Täby",
                          starts_on=local_today() + timedelta(days=5), ends_on=local_today() + timedelta(days=6))
    db.session.add(held)
    db.session.commit()
    return held


@pytest.fixture
def themes(app):
    """Two open discussion themes and an archived one."""
    made = [Theme(slug="test-tillit", name_sv="Tillit i gruppen", name_en="Trust in the team", position=1),
            Theme(slug="test-kundfokus", name_sv="Kundorientering", name_en="Customer orientation", position=2),
            Theme(slug="test-gammalt-tema", name_sv="Gammalt tema", name_en="Old theme", position=3, archived_at=utcnow())]
    db.session.add_all(made)
    db.session.commit()
    return made


@pytest.fixture
def people(cast):
    return {**cast(author="participant", other_participant="author", course_leader="course_leader", admin="admin"),
            "anonymous": None}


# Writing -----------------------------------------------------------------------------

def test_new_entry_is_saved_encrypted_and_shown_to_its_author(client, participant, login_as):
    login_as(client, participant)
    response = client.post("/journal/new", data={
        "title": "Efter Sigtuna", "body": "Vi pratade om *tillit*.", "tags": "tillit, Personal, tillit",
        "entry_date": "2026-02-06", "event_id": "0",
    })
    entry = db.session.scalar(select(JournalEntry))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/journal/{entry.id}")
    assert b"tillit" not in entry.ciphertext and b"Sigtuna" not in entry.ciphertext
    assert len(entry.nonce) == 12 and entry.key_id == keyring().current
    body = page_text(client.get(f"/journal/{entry.id}"))
    assert "Efter Sigtuna" in body and "<em>tillit</em>" in body
    assert body.count('class="link-button tag">tillit</button>') == 1  # de-duplicated
    assert body.index(">tillit</button>") < body.index(">Personal</button>")  # in the order written


def test_every_write_uses_a_fresh_nonce(app, participant):
    entry = write(participant)
    first = (entry.nonce, entry.ciphertext)
    services.save_entry(participant, entry, title="Första konferensen", body="Jag funderar på **min grupp**.",
                        tags=["personal", "budget"], entry_date=entry.entry_date, event_id=None, is_draft=False)
    db.session.commit()
    assert entry.nonce != first[0] and entry.ciphertext != first[1]


def test_new_entry_form_defaults_to_today(client, participant, login_as):
    login_as(client, participant)
    assert f'value="{local_today().isoformat()}"' in page_text(client.get("/journal/new"))


def test_draft_is_marked_and_editing_keeps_it_private(client, participant, login_as):
    entry = write(participant, is_draft=True)
    login_as(client, participant)
    assert "Utkast" in page_text(client.get("/journal"))
    response = client.post(f"/journal/{entry.id}/edit", data={
        "title": "Omskriven", "body": "Ny text", "tags": "", "entry_date": "2026-02-11", "event_id": "0",
    })
    assert response.status_code == 302
    db.session.expire_all()
    text_ = services.open_entry(db.session.get(JournalEntry, entry.id))
    assert (text_.title, text_.body, text_.tags, text_.entry.is_draft) == ("Omskriven", "Ny text", [], False)


def test_delete_asks_for_confirmation_first(client, participant, login_as):
    entry = write(participant)
    login_as(client, participant)
    confirm = client.get(f"/journal/{entry.id}/delete")
    assert "Radera anteckningen?" in page_text(confirm)
    assert db.session.get(JournalEntry, entry.id) is not None
    assert client.post(f"/journal/{entry.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(JournalEntry)) is None


@pytest.mark.parametrize("data,error", [
    ({"body": ""}, "Skriv något i anteckningen."),
    ({"body": "x" * 100_001}, "100000"),
    ({"tags": "ok, <script>"}, "&lt;script&gt;"),
    ({"event_id": "99999"}, "Inte ett giltigt val"),
])
def test_bad_input_is_a_form_error_with_the_text_kept(client, participant, data, error, login_as):
    login_as(client, participant)
    form = {"title": "Min rubrik som finns kvar", "body": "Texten finns kvar", "tags": "ledarskap",
            "entry_date": "2026-03-01", "event_id": "0", **data}
    response = client.post("/journal/new", data=form)
    body = page_text(response)
    assert response.status_code == 200
    assert error in body
    assert "Min rubrik som finns kvar" in body
    if len(form["body"]) < 1000:
        assert form["body"] in body
    assert db.session.scalar(select(JournalEntry)) is None


def test_entry_links_to_an_event_of_the_members_cohort(client, participant, event, login_as):
    login_as(client, participant)
    client.post("/journal/new", data={"title": "Inför Täby", "body": "Förväntningar", "entry_date": "2026-03-01",
                                      "event_id": str(event.id)})
    entry = db.session.scalar(select(JournalEntry))
    assert entry.event_id == event.id
    assert "Konferens 3: Täby" in page_text(client.get(f"/journal/{entry.id}"))


# Privacy ---------------------------------------------------------------------------------

ENTRY_PAGES = [("get", "/journal/{id}"), ("get", "/journal/{id}/edit"), ("post", "/journal/{id}/edit"),
               ("get", "/journal/{id}/delete"), ("post", "/journal/{id}/delete"),
               ("get", "/journal/{id}/share"), ("post", "/journal/{id}/share"), ("post", "/journal/{id}/share?confirm")]


@pytest.mark.parametrize("who", ["author", "other_participant", "course_leader", "admin", "anonymous"])
@pytest.mark.parametrize("method,path", ENTRY_PAGES)
def test_only_the_author_reaches_an_entry_everyone_else_gets_404(client, people, themes, who, method, path, login_as):
    entry = write(people["author"], title="Hemlig rubrik", body="Hemlig text")
    if people[who]:
        login_as(client, people[who])
    data = {"title": "Ändrad", "body": "Ändrad", "entry_date": "2026-02-10", "event_id": "0"} if method == "post" else None
    if path.endswith("?confirm"):  # a complete, confirmed share
        data = {"excerpt": "Hemlig text", "target": "thread", "theme": str(themes[0].id), "title": "Delad tråd",
                "scope": "network", "confirmed": "1"}
    response = getattr(client, method)(path.format(id=entry.id), data=data)
    if who == "author":
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 404
        assert "Hemlig rubrik" not in page_text(response) and "Hemlig text" not in page_text(response)
        assert db.session.scalar(select(Post)) is None
        db.session.expire_all()
        assert db.session.get(JournalEntry, entry.id).key_id  # not deleted, not changed
        assert services.open_entry(db.session.get(JournalEntry, entry.id)).title == "Hemlig rubrik"


@pytest.mark.parametrize("who", ["author", "other_participant", "course_leader", "admin", "anonymous"])
@pytest.mark.parametrize("path,filters", [("/journal", {}), ("/journal", {"q": "Hemlig"}), ("/journal", {"tag": "budget"}),
                                          ("/journal/timeline", {}), ("/journal/export", {})])
def test_lists_search_and_export_show_only_the_members_own_entries(client, people, who, path, filters, login_as):
    write(people["author"], title="Hemlig rubrik")
    if people[who]:
        login_as(client, people[who])
    response = visit(client, path, **filters)
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        return
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    content = response.get_data()
    if path.endswith("export"):
        content = b"".join(zipfile.ZipFile(io.BytesIO(content)).read(n) for n in zipfile.ZipFile(io.BytesIO(content)).namelist())
    assert ("Hemlig rubrik".encode() in content) == (who == "author")


@pytest.mark.committing
def test_canary_appears_nowhere_but_in_the_authors_pages(app, client, people, event, caplog, tmp_path, login_as):
    canary = "KANARIE-7f3a9c-hemlighet"
    caplog.set_level(logging.DEBUG)
    login_as(client, people["author"])
    client.post("/journal/new", data={"title": f"Rubrik {canary}", "body": f"Text {canary}", "tags": canary,
                                      "entry_date": "2026-03-01", "event_id": str(event.id)})
    entry = db.session.scalar(select(JournalEntry))
    assert canary in page_text(client.get(f"/journal/{entry.id}"))
    seen = []
    for who in ("other_participant", "course_leader", "admin"):
        other = app.test_client()
        login_as(other, people[who])
        seen.append(visit(other, "/journal", q=canary[:8]).get_data())
        for path in ("/", "/journal", "/journal/timeline", "/journal/export",
                     f"/journal/{entry.id}", f"/journal/{entry.id}/edit", "/cohorts", "/admin/", "/admin/users",
                     f"/admin/cohorts/{event.cohort_id}", f"/cohorts/{event.cohort_id}", "/journal/prompts"):
            seen.append(other.get(path).get_data())
    anonymous = app.test_client()
    seen += [anonymous.get(p).get_data() for p in ("/", f"/journal/{entry.id}", "/journal")]
    assert not any(canary.encode() in page for page in seen)
    assert not any(canary in str(message) for message in outbox(app))
    assert not any(canary in record.getMessage() for record in caplog.records)
    db.session.remove()
    assert canary.encode() not in stored_bytes(app)


def stored_bytes(app) -> bytes:
    """Everything the database holds: the raw files on SQLite, every table's rows on PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        path = Path(db.engine.url.database)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    dump = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(text(f'SELECT * FROM "{table.name}"')).all()
            dump += [repr(row).encode() + b"".join(v for v in row if isinstance(v, bytes | memoryview)) for row in rows]
    return b"\n".join(bytes(part) for part in dump)


# Reading -----------------------------------------------------------------------------------

def test_journal_is_newest_first_and_filters_by_tag_event_month_and_words(client, participant, event, login_as):
    write(participant, title="Januari", tags=("budget",), entry_date=date(2026, 1, 20))
    write(participant, title="Februari", tags=("personal",), entry_date=date(2026, 2, 20), event=event)
    write(participant, title="Mars", body="Om tillit i gruppen", tags=("Budget",), entry_date=date(2026, 3, 20))
    login_as(client, participant)

    def titles(**filters):
        body = page_text(visit(client, "/journal", **filters))
        return [t for t in ("Mars", "Februari", "Januari") if f">{t}</a>" in body]

    assert titles() == ["Mars", "Februari", "Januari"]
    assert titles(tag="budget") == ["Mars", "Januari"]
    assert titles(event=event.id) == ["Februari"]
    assert titles(month="2026-01") == ["Januari"]
    assert titles(q="TILLIT gruppen") == ["Mars"]
    assert titles(q="saknas") == []
    client.post("/journal/filter", data={})  # "clear the filters"
    assert titles() == ["Mars", "Februari", "Januari"]
    assert client.post("/journal/filter", data={"month": "inte-en-månad"}).status_code == 400


def test_search_words_never_appear_in_a_url(client, participant, login_as):
    write(participant, title="Om tillit", tags=("förtroende",))
    login_as(client, participant)
    response = client.post("/journal/filter", data={"q": "tillit"})
    assert response.status_code == 302 and response.headers["Location"] == "/journal"
    body = page_text(client.get("/journal"))
    assert ">Om tillit</a>" in body and 'value="tillit"' in body
    assert "?tag=" not in body and "q=tillit" not in body


def test_filters_are_not_inherited_by_the_next_member_on_the_same_browser(client, participant, make_user, cohort, login_as):
    other = make_user(Role.PARTICIPANT, cohort=cohort)
    write(other, title="Annans anteckning")
    login_as(client, participant)
    client.post("/journal/filter", data={"q": "hemliga sökord"})
    login_as(client, other)
    body = page_text(client.get("/journal"))
    assert "hemliga sökord" not in body and ">Annans anteckning</a>" in body


def test_timeline_groups_entries_by_programme_event(client, participant, event, login_as):
    write(participant, title="Vid konferensen", event=event)
    write(participant, title="Fristående")
    login_as(client, participant)
    body = page_text(client.get("/journal/timeline"))
    assert body.index("Konferens 3: Täby") < body.index("Vid konferensen") < body.index("Inte kopplade till") < body.index("Fristående")


def test_journal_is_paginated(app, client, participant, login_as):
    app.config["PER_PAGE"] = 2
    for day in range(1, 6):
        write(participant, title=f"Dag {day}", entry_date=date(2026, 4, day))
    login_as(client, participant)
    assert ">Dag 5</a>" in page_text(client.get("/journal")) and ">Dag 3</a>" not in page_text(client.get("/journal"))
    assert ">Dag 1</a>" in page_text(client.get("/journal?page=3"))
    assert ">Dag 1</a>" in page_text(visit(client, "/journal?page=3", q="Dag"))


def many_entries(user, count: int) -> None:
    """``count`` entries in two statements' worth of work (fast enough for query-count tests)."""
    entries = [JournalEntry(author_id=user.id, entry_date=date(2026, 1, 1) + timedelta(days=n % 300),
                            key_id="", nonce=b"", ciphertext=b"") for n in range(count)]
    db.session.add_all(entries)
    db.session.flush()
    for n, entry in enumerate(entries):
        services.seal(entry, {"title": f"Anteckning {n}", "body": "text", "html": "<p>text</p>", "tags": ["t"], "prompt": ""})
    db.session.commit()


@pytest.mark.parametrize("path,filters", [("/journal", {}), ("/journal", {"q": "Anteckning"}), ("/journal/timeline", {}),
                                          ("/journal/new", {})])
def test_query_count_does_not_grow_with_the_journal(app, client, participant, event, count_queries, path, filters, login_as):
    login_as(client, participant)
    if filters:
        client.post("/journal/filter", data=filters)
    counts = []
    for size in (20, 1000):
        many_entries(participant, size - len(counts) * 20)
        client.get(path)  # warm up
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


# Keys, tampering, rotation ------------------------------------------------------------------

def test_key_file_is_created_with_mode_600(app, participant):
    write(participant)  # the journal's first use creates the key; the app factory writes none
    key_file = Path(app.instance_path) / "journal.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_text().strip())) == 32


@pytest.mark.committing
def test_app_refuses_to_start_when_entries_exist_and_the_key_is_missing(app, participant, tmp_path, monkeypatch):
    write(participant)
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    config = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x"}
    with pytest.raises(JournalKeyError, match="journal key is missing"):
        create_app(config)
    assert not (tmp_path / "elsewhere" / "journal.key").exists()  # no new key that cannot read them
    wrong = base64.b64encode(b"k" * 32).decode()
    with pytest.raises(JournalKeyError, match="not configured"):
        create_app({**config, "JOURNAL_KEY": wrong})
    with pytest.raises(JournalKeyError, match="256-bit"):
        create_app({**config, "JOURNAL_KEY": "inte base64!"})
    right = base64.b64encode(keyring().keys[keyring().current]).decode()
    assert create_app({**config, "JOURNAL_KEY": right})


@pytest.mark.committing
@pytest.mark.parametrize("command", [["flask", "--app", "wsgi", "routes"], ["gunicorn", "--check-config", "wsgi:app"]])
def test_servers_refuse_to_start_without_the_key(app, participant, tmp_path, command):
    write(participant)
    environment = {**os.environ, "NETWORK_INSTANCE_PATH": str(tmp_path / "no-key"),
                   "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    environment.pop("NETWORK_JOURNAL_KEY", None)
    executable = str(Path(sys.executable).parent / command[0])
    result = subprocess.run([executable, *command[1:]], env=environment, cwd=Path(__file__).resolve().parent.parent,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "journal key is missing" in result.stderr + result.stdout


def test_tampered_entry_shows_an_error_is_logged_and_does_not_disappear(client, participant, caplog, login_as):
    entry = write(participant, title="Orörd")
    tampered = bytearray(entry.ciphertext)
    tampered[0] ^= 1
    entry.ciphertext = bytes(tampered)
    db.session.commit()
    login_as(client, participant)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/journal/{entry.id}")
    assert response.status_code == 200
    assert "kunde inte dekrypteras" in page_text(response)
    assert any(f"Journal entry {entry.id} could not be decrypted" in r.getMessage() for r in caplog.records)
    assert "Anteckning som inte kan läsas" in page_text(client.get("/journal"))
    assert "Anteckning som inte kan läsas" in page_text(visit(client, "/journal", q="vad som helst"))
    assert client.get(f"/journal/{entry.id}/edit").status_code == 302
    assert client.post(f"/journal/{entry.id}/delete").status_code == 302


def test_ciphertexts_cannot_be_swapped_between_members(client, participant, make_user, cohort, login_as):
    other = make_user(Role.PARTICIPANT, cohort=cohort)
    mine, theirs = write(participant, title="Min"), write(other, title="Deras")
    mine.nonce, mine.ciphertext, theirs.nonce, theirs.ciphertext = theirs.nonce, theirs.ciphertext, mine.nonce, mine.ciphertext
    db.session.commit()
    login_as(client, participant)
    body = page_text(client.get(f"/journal/{mine.id}"))
    assert "Deras" not in body and "kunde inte dekrypteras" in body


def test_rotate_key_reencrypts_everything_and_retires_the_old_key(app, runner, participant):
    entries = [write(participant, title=f"Anteckning {n}") for n in range(5)]
    old_key = keyring().current
    result = runner.invoke(args=["journal", "rotate-key", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "5 entries re-encrypted" in result.output
    db.session.expire_all()
    assert {e.key_id for e in db.session.scalars(select(JournalEntry))} == {keyring().current} != {old_key}
    assert len((Path(app.instance_path) / "journal.key").read_text().split()) == 1
    assert [services.open_entry(db.session.get(JournalEntry, e.id)).title for e in entries] == [f"Anteckning {n}" for n in range(5)]


@pytest.mark.committing
def test_interrupted_rotation_keeps_every_entry_readable_and_can_be_rerun(app, runner, participant, monkeypatch):
    entries = [write(participant, title=f"Anteckning {n}") for n in range(4)]
    real_batch = services.reencrypt_batch
    calls = []

    def crash_after_first_batch(after_id, batch_size):
        if calls:
            raise KeyboardInterrupt
        calls.append(1)
        return real_batch(after_id, batch_size)

    monkeypatch.setattr(services, "reencrypt_batch", crash_after_first_batch)
    runner.invoke(args=["journal", "rotate-key", "--batch-size", "2"])
    monkeypatch.setattr(services, "reencrypt_batch", real_batch)
    db.session.rollback()
    assert len({e.key_id for e in db.session.scalars(select(JournalEntry))}) == 2  # half moved
    assert len((Path(app.instance_path) / "journal.key").read_text().split()) == 2  # both keys kept
    restarted = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x"})
    assert restarted  # a restart mid-rotation is fine
    result = runner.invoke(args=["journal", "rotate-key"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert [services.open_entry(db.session.get(JournalEntry, e.id)).title for e in entries] == [f"Anteckning {n}" for n in range(4)]
    assert len((Path(app.instance_path) / "journal.key").read_text().split()) == 1


# Export -----------------------------------------------------------------------------------

def test_export_round_trip_returns_what_was_written(client, participant, event, themes, login_as):
    written = [
        {"title": "Inför Kreta", "body": "Förväntningar\n\n- öppenhet\n- *nya vanor*", "tags": ["resa", "Kreta"],
         "entry_date": date(2026, 5, 1), "event": event, "is_draft": False, "themes": [themes[1], themes[2]]},
        {"title": 'Citat "med" tecken: ja', "body": "Rad 1\nRad 2 – åäö", "tags": [], "entry_date": date(2026, 5, 30),
         "event": None, "is_draft": True, "themes": []},
    ]
    for item in written:
        write(participant, **item)
    login_as(client, participant)
    response = client.get("/journal/export")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    document = json.loads(archive.read("journal.json"))
    exported = [(e["title"], e["body"], e["tags"], e["date"], e["event"], e["draft"], e["themes"])
                for e in document["entries"]]
    assert exported == [(w["title"], w["body"], w["tags"], w["entry_date"].isoformat(),
                         w["event"].title if w["event"] else None, w["is_draft"],
                         [{"name": t.name_sv, "slug": t.slug} for t in w["themes"]]) for w in written]
    markdown = sorted(n for n in archive.namelist() if n.endswith(".md"))
    assert len(markdown) == 2
    first = archive.read(markdown[0]).decode()
    assert first.startswith('---\ntitle: "Inför Kreta"\ndate: "2026-05-01"\ntags: ["resa", "Kreta"]\nevent: "Konferens 3: Täby"\nthemes: ["Kundorientering", "Gammalt tema"]')
    assert 'themes: []' in archive.read(markdown[1]).decode()
    assert first.endswith("---\n\n" + written[0]["body"])


# Prompts ------------------------------------------------------------------------------------

def test_new_entry_offers_the_prompts_for_the_nearest_event(client, participant, event, login_as):
    login_as(client, participant)
    body = page_text(client.get("/journal/new"))
    assert "Konferens 3: Täby" in body
    assert "Inför konferensen" in body and "Efter konferensen" not in body
    chosen = page_text(client.get("/journal/new?prompt=default:conference-before"))
    assert "Reflektionsfråga:" in chosen
    assert f'<option selected value="{event.id}">' in chosen  # the event it is about is preselected
    client.post("/journal/new?prompt=default:conference-before", data={
        "title": "Svar", "body": "Mitt svar", "entry_date": "2026-03-01", "event_id": str(event.id),
        "prompt": "default:conference-before"})
    entry = db.session.scalar(select(JournalEntry))
    assert services.open_entry(entry).prompt.startswith("Inför konferensen")


@pytest.mark.parametrize("who,expected", [("course_leader", 302), ("admin", 302), ("author", 403)])
def test_course_leaders_write_prompts_for_their_cohorts(client, people, cohort, event, who, expected, login_as):
    login_as(client, people[who])
    response = client.post("/journal/prompts", data={
        "cohort_id": str(cohort.id), "event_id": str(event.id), "timing": "before", "aim": "reflection",
        "text_sv": "Vad vill du fråga de andra cheferna i Täby?", "text_en": "What do you want to ask in Täby?"})
    assert response.status_code == expected
    assert len(db.session.scalars(select(JournalPrompt)).all()) == (1 if expected == 302 else 0)
    if expected == 302:
        participant = people["author"]
        login_as(client, participant)
        assert "Vad vill du fråga de andra cheferna i Täby?" in page_text(client.get("/journal/new"))


def test_course_leader_cannot_write_prompts_for_another_cohort(client, make_user, make_cohort, cohort, login_as):
    other = make_cohort(name="Växthuset 2013", starts_on=date(2013, 1, 21), ends_on=date(2013, 12, 13))
    leader = make_user(Role.COURSE_LEADER, cohort=other)
    login_as(client, leader)
    response = client.post("/journal/prompts", data={"cohort_id": str(cohort.id), "event_id": "0", "timing": "",
                                                     "aim": "", "text_sv": "Fråga"})
    assert response.status_code == 200 and "Inte ett giltigt val" in page_text(response)
    assert db.session.scalar(select(JournalPrompt)) is None


# Links to discussion themes ------------------------------------------------------------------

def entry_form(**values) -> dict:
    return {"title": "Om tillit", "body": "Texten finns kvar", "entry_date": "2026-03-01", "event_id": "0", **values}


def test_entry_links_to_themes_privately_and_shows_them(client, participant, themes, make_user, cohort, login_as):
    login_as(client, participant)
    form = entry_form(themes=[str(themes[0].id), str(themes[1].id)])
    assert client.get("/journal/new").status_code == 200 and "Gammalt tema" not in page_text(client.get("/journal/new"))
    assert client.post("/journal/new", data=form).status_code == 302
    entry = db.session.scalar(select(JournalEntry))
    assert services.open_entry(entry).theme_ids == [themes[0].id, themes[1].id]
    body = page_text(client.get(f"/journal/{entry.id}"))
    assert 'href="/themes/test-tillit">Tillit i gruppen</a>' in body and 'href="/themes/test-kundfokus"' in body
    assert "Tillit i gruppen" in page_text(client.get("/journal"))
    # The forum's theme page says nothing about the entry, to its author or anyone else.
    other = make_user(Role.PARTICIPANT, cohort=cohort)
    for member in (participant, other):
        login_as(client, member)
        assert "Om tillit" not in page_text(client.get("/themes/test-tillit"))


@pytest.mark.parametrize("chosen,error", [
    ("99999", "Välj bland de diskussionsteman som visas."),
    ("archived", "Arkiverade teman kan inte kopplas på nytt."),
    ("inte-ett-tal", "Välj bland de diskussionsteman som visas."),
])
def test_unknown_or_archived_themes_are_a_form_error_with_the_text_kept(client, participant, themes, chosen, error, login_as):
    login_as(client, participant)
    value = str(themes[2].id) if chosen == "archived" else chosen
    response = client.post("/journal/new", data=entry_form(themes=[str(themes[0].id), value]))
    body = page_text(response)
    assert response.status_code == 200
    assert error in body
    assert "Om tillit" in body and "Texten finns kvar" in body
    assert db.session.scalar(select(JournalEntry)) is None


def test_an_archived_theme_stays_linked_when_the_entry_is_edited(client, participant, themes, login_as):
    entry = write(participant, title="Gammal anteckning", themes=[themes[2], themes[0]])
    login_as(client, participant)
    page = page_text(client.get(f"/journal/{entry.id}/edit"))
    assert "Gammalt tema (arkiverat)" in page
    response = client.post(f"/journal/{entry.id}/edit",
                           data=entry_form(themes=[str(themes[2].id), str(themes[1].id)]))
    assert response.status_code == 302
    db.session.expire_all()
    assert services.open_entry(db.session.get(JournalEntry, entry.id)).theme_ids == [themes[2].id, themes[1].id]
    assert "Gammalt tema" in page_text(client.get(f"/journal/{entry.id}"))
    other = write(participant, title="Utan tema")
    response = client.post(f"/journal/{other.id}/edit", data=entry_form(themes=[str(themes[2].id)]))
    assert response.status_code == 200 and "Arkiverade teman kan inte kopplas på nytt." in page_text(response)


def test_journal_filters_by_theme(client, participant, themes, login_as):
    write(participant, title="Januari", themes=[themes[0]], entry_date=date(2026, 1, 20))
    write(participant, title="Februari", themes=[themes[1]], tags=("budget",), entry_date=date(2026, 2, 20))
    write(participant, title="Mars", themes=[themes[0], themes[1]], tags=("budget",), entry_date=date(2026, 3, 20))
    login_as(client, participant)

    def titles(**filters):
        body = page_text(visit(client, "/journal", **filters))
        return [t for t in ("Mars", "Februari", "Januari") if f">{t}</a>" in body]

    assert titles(theme=themes[0].id) == ["Mars", "Januari"]
    assert titles(theme=themes[1].id, tag="budget") == ["Mars", "Februari"]
    assert titles(theme=themes[2].id) == []
    assert "Tillit i gruppen" in page_text(client.get("/journal"))  # offered in the filter menu
    client.post("/journal/filter", data={})
    assert titles() == ["Mars", "Februari", "Januari"]


def test_query_count_of_a_theme_filter_does_not_grow_with_the_journal(client, participant, themes, count_queries, login_as):
    login_as(client, participant)
    client.post("/journal/filter", data={"theme": themes[0].id})
    counts = []
    for size in (20, 1000):
        many_entries(participant, size - len(counts) * 20)
        client.get("/journal")
        with count_queries() as statements:
            assert client.get("/journal").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


# Sharing an excerpt --------------------------------------------------------------------------

SHARED = "Tillit byggs i *små* steg.\n\nVi testade korta möten."


def share_form(themes, **values) -> dict:
    return {"excerpt": SHARED, "target": "thread", "theme": str(themes[0].id), "title": "Små steg mot tillit",
            "scope": "network", **values}


def test_share_form_is_prefilled_with_the_entry_and_its_first_open_theme(client, participant, themes, login_as):
    entry = write(participant, body="Hela texten", themes=[themes[2], themes[1]])
    login_as(client, participant)
    body = page_text(client.get(f"/journal/{entry.id}/share"))
    assert "Hela texten</textarea>" in body
    assert f'<option selected value="{themes[1].id}">' in body or f'value="{themes[1].id}" selected' in body
    assert "Gammalt tema" not in body  # no new threads in an archived theme
    assert "Dela ett utdrag i forumet" in page_text(client.get(f"/journal/{entry.id}"))


def test_sharing_previews_then_publishes_a_copy_and_the_entry_is_unchanged(client, participant, themes, caplog, login_as):
    caplog.set_level(logging.DEBUG)
    secret = "OSKARP-HEMLIGHET-91c2"
    entry = write(participant, title="Privat rubrik", body=f"{SHARED}\n\n{secret}")
    before = (entry.ciphertext, entry.nonce, entry.updated_at)
    login_as(client, participant)
    preview = client.post(f"/journal/{entry.id}/share", data=share_form(themes))
    body = page_text(preview)
    assert preview.status_code == 200 and "Förhandsgranska" in body
    assert "<em>små</em>" in body and 'name="confirmed" value="1"' in body
    assert db.session.scalar(select(Post)) is None  # nothing is published before the confirmation

    response = client.post(f"/journal/{entry.id}/share", data=share_form(themes, confirmed="1"))
    post = db.session.scalar(select(Post))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/threads/{post.thread_id}?post={post.id}")
    thread = db.session.get(Thread, post.thread_id)
    assert (thread.title, thread.theme_id, thread.cohort_id, thread.author_id) == (
        "Små steg mot tillit", themes[0].id, None, participant.id)
    assert post.body_source == SHARED and post.opening
    shown = page_text(client.get(f"/threads/{thread.id}", follow_redirects=True))
    assert "<em>små</em>" in shown and "Vi testade korta möten." in shown
    assert "/journal" not in post.body_html and secret not in shown and "Privat rubrik" not in shown
    db.session.expire_all()
    entry = db.session.get(JournalEntry, entry.id)
    assert (entry.ciphertext, entry.nonce, entry.updated_at) == before
    assert services.open_entry(entry).body == f"{SHARED}\n\n{secret}"
    assert not any("Tillit byggs" in record.getMessage() or secret in record.getMessage() for record in caplog.records)


def test_sharing_as_a_reply_in_a_thread_the_member_sees(client, participant, themes, make_user, cohort, login_as):
    starter = make_user(Role.PARTICIPANT, cohort=cohort)
    thread = forum.create_thread(starter, themes[0], "Hur bygger ni tillit?", "Berätta!")
    db.session.commit()
    entry = write(participant)
    login_as(client, participant)
    assert "Tillit i gruppen: Hur bygger ni tillit?" in page_text(client.get(f"/journal/{entry.id}/share"))
    data = share_form(themes, target="reply", thread=str(thread.id), title="")
    assert "Hur bygger ni tillit?" in page_text(client.post(f"/journal/{entry.id}/share", data=data))
    response = client.post(f"/journal/{entry.id}/share", data={**data, "confirmed": "1"})
    reply = db.session.scalar(select(Post).where(Post.opening.is_(False)))
    assert response.status_code == 302 and reply.thread_id == thread.id and reply.body_source == SHARED


def test_a_locked_thread_or_one_out_of_sight_is_refused_with_a_clear_message(client, participant, themes, make_user,
                                                                             make_cohort, login_as):
    other_cohort = make_cohort(name="Växthuset 2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 1))
    outsider = make_user(Role.PARTICIPANT, cohort=other_cohort)
    locked = forum.create_thread(outsider, themes[0], "Låst tråd", "Text")
    hidden = forum.create_thread(outsider, themes[0], "Annan omgångs tråd", "Text", cohort=other_cohort)
    locked.locked = True
    db.session.commit()
    entry = write(participant)
    login_as(client, participant)
    for thread, message in ((locked, "Tråden är låst"), (hidden, "Välj en tråd som du kan se.")):
        data = share_form(themes, target="reply", thread=str(thread.id), confirmed="1")
        response = client.post(f"/journal/{entry.id}/share", data=data)
        body = page_text(response)
        assert response.status_code == 200 and message in body and "Tillit byggs" in body
        assert "Annan omgångs tråd" not in body
    assert db.session.scalar(select(func.count(Post.id))) == 2


@pytest.mark.parametrize("values,error", [
    ({"excerpt": ""}, "Behåll det stycke du vill dela."),
    ({"title": ""}, "Ge den nya tråden en rubrik på minst tre tecken."),
    ({"title": "Ja"}, "Ge den nya tråden en rubrik på minst tre tecken."),
    ({"theme": "archived"}, "Välj ett öppet tema."),
    ({"theme": "99999"}, "Välj ett öppet tema."),
    ({"target": "reply", "thread": "0"}, "Välj tråden du vill svara i."),
    ({"scope": "99999"}, "Inte ett giltigt val"),
])
def test_bad_share_input_is_a_form_error_and_nothing_is_published(client, participant, themes, values, error, login_as):
    entry = write(participant)
    login_as(client, participant)
    if values.get("theme") == "archived":
        values = {"theme": str(themes[2].id)}
    response = client.post(f"/journal/{entry.id}/share", data=share_form(themes, confirmed="1", **values))
    assert response.status_code == 200 and error in page_text(response)
    assert db.session.scalar(select(Post)) is None
