"""The forum at the network's size: search work bounded by the page, stored counts, the time budget."""
import json
import logging
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, insert, select, text

from helpers import page_text
from network.extensions import db
from network.forum import search, services
from network.forum.models import Post, PostStatus, Theme, ThemeCohortTally, Thread
from network.moderation import services as moderation
from network.moderation.models import FlagReason
from network.timeutil import utcnow

PER_PAGE, CANDIDATES, CAP = 10, 40, 30


@pytest.fixture
def app(make_app):
    application = make_app(PER_PAGE=PER_PAGE, SEARCH_CANDIDATES=CANDIDATES, SEARCH_RESULT_CAP=CAP,
                           SEARCH_MAX_CANDIDATES=4 * CANDIDATES)
    with application.app_context():
        yield application


@pytest.fixture
def themes(make_theme):
    return [make_theme(slug=f"skala-{n}", name_sv=f"Skaltema {n}", name_en=f"Scale theme {n}", position=n)
            for n in (1, 2)]


@pytest.fixture
def people(cast):
    return cast(member="participant", author="author", outsider="outsider", admin="admin")


def seed_posts(theme, author, count, word="ledarskap", cohort=None, per_thread=10):
    """``count`` posts containing ``word``, in bulk (the search index is kept by the database)."""
    now = utcnow()
    threads = -(-count // per_thread)
    first = db.session.scalar(select(func.coalesce(func.max(Thread.id), 0))) + 1
    db.session.execute(insert(Thread), [
        {"id": first + n, "theme_id": theme.id, "author_id": author.id, "cohort_id": cohort.id if cohort else None,
         "title": f"Tråd {first + n}", "created_at": now, "last_activity_at": now} for n in range(threads)
    ])
    db.session.execute(insert(Post), [
        {"thread_id": first + n // per_thread, "author_id": author.id, "opening": n % per_thread == 0,
         "body_source": f"Om {word} och budget, inlägg {n}", "body_html": f"<p>Om {word}</p>",
         "status": PostStatus.VISIBLE, "created_at": now + timedelta(seconds=n)} for n in range(count)
    ])
    db.session.commit()


# Search: the work after the full-text engine is bounded ------------------------------------------

def search_work(viewer, terms="ledarskap"):
    """Statements run by one search, and the rows they examine beyond the full-text engine's candidates."""
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    db.session.expire_all()
    db.session.refresh(viewer)  # open the transaction first: its BEGIN is not the search's
    steps = _sqlite_steps() if db.engine.dialect.name == "sqlite" else None
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        results = search.search(viewer, search.SearchQuery(text=terms), 1, PER_PAGE)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    examined = steps() if steps else sum(_pg_rows_examined(s, p) for s, p in statements)
    return results, [s for s, _ in statements], examined


def _sqlite_steps():
    """Count SQLite virtual-machine steps from now on (each row examined costs steps; the FTS5 engine's own
    work inside a step does not)."""
    raw = db.session.connection().connection.driver_connection
    counted = [0]

    def tick():
        counted[0] += 1
        return 0

    raw.set_progress_handler(tick, 1)

    def stop():
        raw.set_progress_handler(None, 0)
        return counted[0]

    return stop


def _pg_rows_examined(statement, parameters) -> int:
    """Rows every plan node produced or filtered away, except the full-text engine's own work (inside the
    candidates). Sequential scans are off, as the planner would choose on tables too large to scan."""
    if not statement.lstrip().upper().startswith("SELECT"):
        return 0
    raw = db.session.connection().connection.driver_connection
    raw.execute("SET LOCAL enable_seqscan = off")
    plan = raw.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).fetchone()[0]
    raw.execute("SET LOCAL enable_seqscan = DEFAULT")
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def walk(node) -> int:
        rows = sum(node.get(key, 0) for key in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Join Filter",
                                                 "Rows Removed by Index Recheck"))
        children = node.get("Plans", [])
        if node.get("Alias") == "candidates":  # count what the engine hands over and the checks, not its search
            children = [child for child in children if child.get("Parent Relationship") == "SubPlan"]
        return rows * node["Actual Loops"] + sum(walk(child) for child in children)

    return walk(plan[0]["Plan"])


def test_search_work_after_the_engine_is_bounded_by_the_page_not_the_matches(app, themes, people):
    seed_posts(themes[0], people["author"], 200)
    few, few_statements, few_work = search_work(people["member"])
    seed_posts(themes[0], people["author"], 400)
    many, many_statements, many_work = search_work(people["member"])
    assert len(few.page.items) == len(many.page.items) == PER_PAGE
    assert few.more and many.more and many.page.total == CAP
    # ranked candidates, the page's posts, their snippets: the same statements whatever the matches
    assert len(few_statements) == len(many_statements) <= 3, many_statements
    assert many_work <= few_work * 1.1, (few_work, many_work)
    if db.engine.dialect.name == "postgresql":
        assert many_work <= 12 * CANDIDATES  # a handful of plan nodes, each over at most the candidates


def test_search_page_says_more_than_the_cap_and_pages_up_to_it(client, themes, people, login_as):
    seed_posts(themes[0], people["author"], 60)
    login_as(client, people["member"])
    body = page_text(client.get("/search?q=ledarskap"))
    assert f"Mer än {CAP} inlägg hittades" in body and "<mark>ledarskap</mark>" in body
    assert f"Sida 1 av {CAP // PER_PAGE}" in body
    assert body.count('class="card-title"') == PER_PAGE
    assert page_text(client.get(f"/search?q=ledarskap&page={CAP // PER_PAGE}")).count('class="card-title"') == PER_PAGE


def test_search_refills_candidates_the_viewer_may_not_see(client, themes, people, cohort, login_as):
    seed_posts(themes[0], people["author"], 5, word="tillit")
    seed_posts(themes[0], people["author"], 3 * CANDIDATES, word="tillit", cohort=cohort)  # newer, cohort only
    login_as(client, people["outsider"])
    assert "5 inlägg hittades" in page_text(client.get("/search?q=tillit"))
    login_as(client, people["member"])
    assert f"Mer än {CAP} inlägg hittades" in page_text(client.get("/search?q=tillit"))


def test_directory_search_is_limited_inside_the_engine(client, app, people, monkeypatch, login_as):
    from network.people import services as directory
    from network.people.models import Profile

    for user in people.values():
        profile = directory.blank_profile()
        profile.user_id, profile.in_directory = user.id, True
        db.session.add(profile)
    db.session.commit()
    login_as(client, people["member"])
    assert "4 personer" in page_text(client.get("/people?q=upplands"))
    monkeypatch.setattr(directory, "DIRECTORY_RESULT_CAP", 2)
    assert "Fler än 2 personer" in page_text(client.get("/people?q=upplands"))
    assert db.session.scalar(select(func.count()).select_from(Profile)) == 4


# The time budget -----------------------------------------------------------------------------------

SLOW_SQL = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    "postgresql": "SELECT pg_sleep(5)",
}


@pytest.mark.parametrize("path,target", [
    ("/search?q=ledarskap", "network.forum.search.search"),
    ("/people?q=ledarskap", "network.people.services.paginate_clamped"),
])
def test_a_search_over_its_time_budget_ends_with_a_clear_page(client, app, people, monkeypatch, caplog, path, target, login_as):
    app.config["QUERY_TIME_BUDGET_MS"] = 50

    def runaway(*args, **kwargs):
        db.session.execute(text(SLOW_SQL[db.engine.dialect.name]))

    monkeypatch.setattr(target, runaway)
    login_as(client, people["member"])
    with caplog.at_level(logging.WARNING):
        response = client.get(path)
    assert response.status_code == 422
    assert "Sökningen tog för lång tid. Lägg till ett ord eller ett filter" in page_text(response)
    logged = [r.getMessage() for r in caplog.records if "time budget" in r.getMessage()]
    assert logged and "ledarskap" not in logged[0] and "member" not in logged[0]
    monkeypatch.undo()
    assert client.get("/themes").status_code == 200  # the connection is usable again


def test_the_time_budget_is_configured_by_environment(make_app, monkeypatch):
    monkeypatch.setenv("NETWORK_QUERY_TIME_BUDGET_MS", "1234")
    assert make_app().config["QUERY_TIME_BUDGET_MS"] == 1234


# Stored counts -------------------------------------------------------------------------------------

def themes_line(client, theme) -> str:
    body = page_text(client.get("/themes"))
    start = body.index(theme.name_sv)
    return body[start:body.index("</li>", start)]


def stored_counts_match_a_recount():
    """Every stored count equals what counting the posts gives now (the migration's backfill)."""
    thread_rows = db.session.execute(select(Thread.id, Thread.post_count, Thread.last_post_id)).all()
    theme_rows = db.session.execute(select(Theme.id, Theme.thread_count, Theme.post_count, Theme.last_post_at)).all()
    tallies = db.session.execute(select(ThemeCohortTally.theme_id, ThemeCohortTally.cohort_id,
                                        ThemeCohortTally.thread_count, ThemeCohortTally.post_count)).all()
    db.session.commit()
    downgrade(revision="0007")  # the revision before the stored counts
    upgrade()
    db.session.expire_all()
    assert db.session.execute(select(Thread.id, Thread.post_count, Thread.last_post_id)).all() == thread_rows
    assert db.session.execute(
        select(Theme.id, Theme.thread_count, Theme.post_count, Theme.last_post_at)).all() == theme_rows
    recounted = db.session.execute(select(ThemeCohortTally.theme_id, ThemeCohortTally.cohort_id,
                                          ThemeCohortTally.thread_count, ThemeCohortTally.post_count)).all()
    assert [r for r in recounted if r.thread_count] == [r for r in tallies if r.thread_count]


@pytest.mark.committing
def test_counts_follow_posting_hiding_restoring_deleting_and_moving(client, themes, people, login_as):
    first, second = themes
    author, admin = people["author"], people["admin"]
    thread = services.create_thread(author, first, "Budgetdialog", "Hur gör ni?")
    replies = [services.create_reply(author, thread, f"Svar {n}") for n in range(2)]
    db.session.commit()
    login_as(client, people["member"])
    assert "1 tråd · 3 inlägg" in themes_line(client, first)
    moderation.hide_post(admin, replies[0], "Personuppgifter")
    db.session.commit()
    assert "1 tråd · 2 inlägg" in themes_line(client, first)
    moderation.restore_post(admin, replies[0])
    db.session.commit()
    assert "1 tråd · 3 inlägg" in themes_line(client, first)
    services.delete_post(replies[1])
    db.session.commit()
    assert "1 tråd · 2 inlägg" in themes_line(client, first)
    assert thread.last_post_id == replies[0].id
    moderation.move_thread(admin, thread, second)
    db.session.commit()
    assert "0 trådar · 0 inlägg" in themes_line(client, first)
    assert "1 tråd · 2 inlägg" in themes_line(client, second)
    stored_counts_match_a_recount()


@pytest.mark.committing
def test_flags_and_approval_keep_the_counts(client, app, themes, people, make_user, login_as):
    first = themes[0]
    thread = services.create_thread(people["author"], first, "Rekrytering", "Tips?")
    reply = services.create_reply(people["author"], thread, "Mer om rekrytering")
    db.session.commit()
    app.config["MODERATION_FLAG_THRESHOLD"] = 1
    moderation.flag_post(people["member"], reply, FlagReason.SPAM)
    db.session.commit()
    login_as(client, people["outsider"])
    assert "1 tråd · 1 inlägg" in themes_line(client, first)
    moderation.dismiss_flags(people["admin"], reply)
    first.requires_approval = True
    db.session.commit()
    held = services.create_thread(people["author"], first, "Väntar", "Godkänn mig")
    db.session.commit()
    assert "1 tråd · 2 inlägg" in themes_line(client, first)  # the held thread is not shown to others
    moderation.approve_post(people["admin"], db.session.scalar(select(Post).where(Post.thread_id == held.id)))
    db.session.commit()
    assert "2 trådar · 3 inlägg" in themes_line(client, first)
    stored_counts_match_a_recount()


@pytest.mark.committing
@pytest.mark.parametrize("who,threads,posts", [("member", 2, 3), ("outsider", 1, 1), ("admin", 2, 3)])
def test_cohort_threads_count_only_for_those_who_see_them(client, themes, people, cohort, who, threads, posts, login_as):
    first = themes[0]
    services.create_thread(people["author"], first, "För alla", "Hej nätverket")
    inside = services.create_thread(people["author"], first, "Bara kullen", "Hej kullen", cohort)
    services.create_reply(people["member"], inside, "Hej själv")
    db.session.commit()
    login_as(client, people[who])
    line = themes_line(client, first)
    assert f"{threads} tråd" in line and f"{posts} inlägg" in line
    page = page_text(client.get(f"/themes/{first.slug}"))
    assert ("Bara kullen" in page) == (threads == 2)
    stored_counts_match_a_recount()


def test_theme_pages_read_counts_and_unread_state_for_the_page_only(client, app, themes, people, count_queries, login_as):
    seed_posts(themes[0], people["author"], 30 * 5, per_thread=5)
    services.recount(*db.session.scalars(select(Thread)))
    db.session.commit()
    login_as(client, people["member"])
    url = f"/themes/{themes[0].slug}"
    client.get(url)
    with count_queries() as first_page:
        body = page_text(client.get(url))
    assert "Sida 1 av 3" in body and body.count("5 olästa") == PER_PAGE
    with count_queries() as last_page:
        assert client.get(url + "?page=3").status_code == 200
    assert len(first_page) == len(last_page)
    counting = [s for s in first_page if any(c in s.lower() for c in ("count(post", "count(thread", "count(*)"))]
    assert len(counting) == 1 and "read_state" in counting[0]  # only unread posts, of this page's threads
