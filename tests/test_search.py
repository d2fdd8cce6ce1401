"""One search for the directory and the forum: the same words, accents ignored, indexes kept by the database."""
import ast
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import text, update

from conftest import PASSWORD
from helpers import page_text
from network import search
from network.auth.models import User, UserStatus
from network.extensions import db
from network.forum import services as forum
from network.forum.search import SearchQuery
from network.labels import LABELS
from network.people import search as people_search
from network.people import services as people
from network.people.models import Area, Visibility
from network.timeutil import local_today

ROOT = Path(__file__).resolve().parent.parent


def logged_in(app, user):
    """A client of its own, logged in as ``user`` through the real form."""
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def list_in_directory(user, **fields):
    values = dict(title="", phone="", email_visibility=Visibility.NETWORK, phone_visibility=Visibility.NETWORK,
                  in_directory=True, languages="", link="", bio="", areas=[], keywords=[])
    people.save_profile(user, **{**values, **fields})
    db.session.commit()
    return user


def found(client, words: str) -> str:
    return page_text(client.get("/people", query_string={"q": words}))


def posts_found(client, words: str) -> str:
    return page_text(client.get("/search", query_string={"q": words}))


@pytest.fixture
def theme(make_theme):
    return make_theme(slug="sokning", name_sv="Sökning", name_en="Search")


# The index follows every change, whoever makes it -------------------------------------------------

def test_member_suspended_by_an_admin_and_reactivated_by_a_moderator_is_found_again(
        app, participant, course_leader, admin):
    list_in_directory(participant, title="Förskolechef")
    list_in_directory(course_leader)
    searcher = logged_in(app, course_leader)
    assert "Anna Lindqvist" in found(searcher, "lindqvist")
    logged_in(app, admin).post(f"/admin/users/{participant.id}", data={
        "name": participant.name, "role": "participant", "organisation_id": participant.organisation_id,
        "status": "suspended"})
    assert "Anna Lindqvist" not in found(searcher, "lindqvist")
    response = searcher.post(f"/moderation/members/{participant.id}/reactivate", data={"suspend-reason": "Utrett"})
    assert response.status_code == 302
    assert db.session.get(User, participant.id).status == UserStatus.ACTIVE
    assert "Anna Lindqvist" in found(searcher, "lindqvist")  # no reindex in between


def test_name_and_profile_changes_are_found_at_once(app, participant):
    list_in_directory(participant, title="Rektor")
    client = logged_in(app, participant)
    client.post("/account", data={"name": "Anna Sjöberg", "email": participant.email, "language": "sv"})
    assert "Anna Sjöberg" in found(client, "sjöberg")
    assert "Anna Sjöberg" not in found(client, "lindqvist")
    client.post("/profile", data={"title": "Verksamhetschef", "areas": ["finance"], "keywords": "upphandling",
                                  "languages": "", "bio": "", "link": "", "phone": "", "phone_visibility": "cohort",
                                  "email_visibility": "network", "in_directory": "y"})
    for words in ("verksamhetschef", "upphandling", "ekonomi", "finance"):
        assert "Anna Sjöberg" in found(client, words), words
    assert "Anna Sjöberg" not in found(client, "rektor")


def test_changes_made_by_plain_sql_are_followed_too(app, participant, make_user):
    list_in_directory(participant, title="Rektor")
    client = logged_in(app, list_in_directory(make_user(name="Sara Sökande")))
    db.session.execute(update(User).where(User.id == participant.id).values(status=UserStatus.SUSPENDED))
    db.session.commit()
    assert "Anna Lindqvist" not in found(client, "rektor")
    db.session.execute(update(User).where(User.id == participant.id).values(status=UserStatus.ACTIVE, name="Anna Berg"))
    db.session.commit()
    assert "Anna Berg" in found(client, "rektor berg")


def test_every_area_is_found_by_its_name_in_swedish_and_in_english(app, make_user):
    """The index spells areas as the catalogs do (migration 0012 holds a copy of the names)."""
    members = {area: list_in_directory(make_user(name=f"Person {n}"), areas=[area]) for n, area in enumerate(Area)}
    for area, member in members.items():
        for locale in ("sv", "en"):
            with force_locale(locale):
                name = str(LABELS[area])
            listed = db.session.scalars(people.directory_stmt(people.DirectoryQuery(q=name), local_today())).unique()
            assert member in list(listed), (area, locale, name)


# Accents and Swedish word forms --------------------------------------------------------------------

def test_aldreomsorg_finds_aldreomsorg_with_accents_in_posts_and_people(app, participant, theme):
    list_in_directory(participant, title="Enhetschef", areas=[Area.ELDERLY_CARE])
    forum.create_thread(participant, theme, "Äldreomsorgen i Sigtuna", "Hur bemannar ni nätterna?")
    db.session.commit()
    client = logged_in(app, participant)
    assert "Anna Lindqvist" in found(client, "aldreomsorg")
    body = posts_found(client, "aldreomsorg")
    assert "1 inlägg hittades" in body and "<mark>Äldreomsorgen</mark>" in body
    assert "<mark>nätterna</mark>" in posts_found(client, "natterna")


def test_swedish_word_forms_are_found_on_postgresql_and_prefixes_everywhere(app, participant, theme):
    list_in_directory(participant, title="Utvecklingsledare", bio="Jag handleder ledarna i hemtjänsten.")
    forum.create_thread(participant, theme, "Nätverk", "Ledarna i kommunerna träffas varje månad.")
    db.session.commit()
    client = logged_in(app, participant)
    # a prefix is found on both databases
    assert "Anna Lindqvist" in found(client, "ledar")
    assert "1 inlägg hittades" in posts_found(client, "ledar")
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's FTS5 has no Swedish stemmer: word forms beyond a prefix need PostgreSQL")
    # "ledare" and "ledarna" share the stem "led"; "kommun" and "kommunerna" the stem "kommun"
    assert "Anna Lindqvist" in found(client, "ledare")
    assert "1 inlägg hittades" in posts_found(client, "ledare kommunen")


# One way to split words and ask the engine ---------------------------------------------------------

def test_both_searches_split_words_the_same_way():
    raw = 'Anna-Karin "Åberg"* AND:* (x) ÄLDRE_omsorg anna'
    words = ["anna", "karin", "åberg", "and", "x", "äldre", "omsorg"]
    assert search.terms(raw) == words
    assert people_search.terms(raw) == SearchQuery(text=raw).terms() == words
    assert search.terms("a b c d e f g h i j k l") == list("abcdefghij")  # at most ten words
    assert search.terms('"*():&|!<->\'') == []
    assert search.terms("A\u0308ldre") == ["äldre"]  # a decomposed letter is one letter
    assert search.engine_query(["anna", "åberg"], "sqlite") == '"anna"* "åberg"*'
    assert search.engine_query(["anna", "åberg"], "postgresql") == "'anna':* & 'åberg':*"
    assert search.engine_query(['a"b'], "sqlite") == '"a""b"*'
    assert search.engine_query(["a'b\\"], "postgresql") == "'a''b\\\\':*"
    assert search.fold("Äldreomsorg") == "aldreomsorg"
    assert search.mark("Hemtjänsten, hemtjänst_x och Äldre", ["hemtjanst", "äldre"], "[", "]") == (
        "[Hemtjänsten], [hemtjänst]_x och [Äldre]")


def test_punctuated_names_are_found_alike_in_people_and_posts(app, make_user, theme):
    member = list_in_directory(make_user(name="Anna-Karin Åberg"))
    forum.create_thread(member, theme, "Hälsning", "Hälsningar från Anna-Karin Åberg")
    db.session.commit()
    client = logged_in(app, member)
    for words in ("anna-karin åberg", "Anna Karin, Aberg", '"anna" karin*'):
        assert "Anna-Karin Åberg" in found(client, words), words
        assert "1 inlägg hittades" in posts_found(client, words), words


# Restores only ---------------------------------------------------------------------------------------

def test_search_reindex_rebuilds_both_indexes(app, runner, participant, theme):
    list_in_directory(participant, title="Förskolechef")
    forum.create_thread(participant, theme, "Inskolning", "Hur gör ni med inskolningen?")
    db.session.commit()
    db.session.execute(text("DELETE FROM people_fts"))
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DELETE FROM fts_post"))  # PostgreSQL's post index is a generated column
    db.session.commit()
    result = runner.invoke(args=["search", "reindex"])
    assert "1 members listed, 1 posts" in result.output
    client = logged_in(app, participant)
    assert "Anna Lindqvist" in found(client, "förskolechef")
    assert "1 inlägg hittades" in posts_found(client, "inskolningen")


SEARCH_MODULES = {"network/search.py", "network/people/search.py", "network/forum/search.py"}


def python_files():
    for folder in ("network", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                yield relative, ast.parse(path.read_text(), relative)


def test_no_caller_keeps_a_search_index():
    """The database keeps the indexes: no code calls a reindex or names an index table, outside the search modules."""
    offenders = []
    for relative, tree in python_files():
        if relative in SEARCH_MODULES or relative == "network/schema.py":
            continue
        for node in ast.walk(tree):
            name = (node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")) \
                if isinstance(node, ast.Call) else ""
            if "reindex" in name.lower() or name == "rebuild":
                offenders.append(f"{relative}:{node.lineno} calls {name}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    any(table in node.value for table in ("people_fts", "fts_post", "fts_document")):
                offenders.append(f"{relative}:{node.lineno} names a search index")
    assert offenders == []
