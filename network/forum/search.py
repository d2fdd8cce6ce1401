"""Forum search: the posts a member may read that match their words, ranked by the full-text engine.

Words are split and matched by ``network.search`` (the directory's search does the same); the
index is kept by the database. This module adds what only the forum knows: visibility, filters,
the bounded candidate window and snippets.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Float, Integer, Select, column, func, or_, select, text
from sqlalchemy.orm import joinedload

from network import search as engine
from network.auth.models import User
from network.extensions import db
from network.forum.models import Post, PostStatus, Thread
from network.forum.services import ListPage, visibility
from network.forum.visibility import moderated_posts
from network.timeutil import stockholm_midnight

MARK_START, MARK_END = "\ue000", "\ue001"


@dataclass
class SearchQuery:
    """What a member searches for, and the filters they chose."""

    text: str = ""
    theme_id: int | None = None
    author: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def terms(self) -> list[str]:
        """The words to look for, split as every search splits them (punctuation ignored)."""
        return engine.terms(self.text)


@dataclass
class SearchResults:
    """A page of search hits, their snippets, and how many there are (capped)."""

    page: ListPage
    hits: dict[int, "Snippet"]
    more: bool  # more matches than the cap: the count reads "more than ..."


def search(viewer: User, query: SearchQuery, number: int, per_page: int) -> SearchResults | None:
    """A page of the posts the viewer may read that match the query, best match first; None without words.

    The full-text engine ranks and limits the matches (the newest SEARCH_CANDIDATES of them,
    refilled up to SEARCH_MAX_CANDIDATES when visibility and filters leave too few); only those
    candidates are checked for visibility, and only the page shown is loaded and gets snippets.
    So a page costs the same whether a word is in ten posts or in every post.
    """
    if not query.terms():
        return None
    config = current_app.config
    cap, number = config["SEARCH_RESULT_CAP"], max(number, 1)
    ids, more = _visible_matches(viewer, query, min(number * per_page, cap), cap, config["SEARCH_CANDIDATES"],
                                 config["SEARCH_MAX_CANDIDATES"])
    shown = ids[(number - 1) * per_page:number * per_page]
    posts = {p.id: p for p in db.session.scalars(
        select(Post).where(Post.id.in_(shown))
        .options(joinedload(Post.thread).joinedload(Thread.theme), joinedload(Post.author))
    )} if shown else {}
    page = ListPage(number, per_page, [posts[i] for i in shown if i in posts], min(len(ids), cap))
    return SearchResults(page, snippets(page.items, query), more=more)


def _visible_matches(viewer: User, query: SearchQuery, need: int, cap: int, window: int,
                     most: int) -> tuple[list[int], bool]:
    """Ids of up to ``cap + 1`` matching posts the viewer may read, best first, and whether there are more.

    The candidates are refilled (a larger window) only while the page asked for is not filled and
    the engine has more matches than it handed over.
    """
    while True:
        rows = db.session.execute(_ranked_stmt(viewer, query, window).limit(cap + 1)).all()
        full = (rows[0].handed_over if rows else _match_count(query.terms(), window)) >= window
        if len(rows) >= need or not full or window >= most:
            return [row.post_id for row in rows], full or len(rows) > cap
        window = min(window * 4, most)


def _ranked_stmt(viewer: User, query: SearchQuery, window: int) -> Select:
    """The candidates' ids the viewer may read and the filters keep, best match (lowest score) first.

    Each candidate is checked on its own (a correlated lookup by id), so no database plans a scan
    of every post or thread however few the candidates are.
    """
    found = _candidates(query.terms(), window)
    handed_over = select(func.count()).select_from(found).scalar_subquery()
    vis = visibility(viewer)
    check = (
        select(Post.id).join(Post.thread)
        .where(Post.id == found.c.post_id, vis.threads, vis.posts,
               or_(Post.status == PostStatus.VISIBLE, moderated_posts(viewer)))
    )
    if query.theme_id:
        check = check.where(Thread.theme_id == query.theme_id)
    if query.author:
        handle = query.author.strip().lstrip("@").lower()
        check = check.where(Post.author_id.in_(select(User.id).where(User.handle == handle)))
    if query.date_from:
        check = check.where(Post.created_at >= stockholm_midnight(query.date_from))
    if query.date_to:
        check = check.where(Post.created_at < stockholm_midnight(query.date_to + timedelta(days=1)))
    kept = check.limit(1).correlate(found).scalar_subquery()
    return (
        select(found.c.post_id, handed_over.label("handed_over")).where(kept.is_not(None))
        .order_by(found.c.score, found.c.post_id.desc())
    )


# The newest ``window`` matches with their score (lower is better), ranked inside the engine.
# PostgreSQL: texts of posts (stored tsvector) and titles of opening posts, one GIN index each.
# "id + 0" keeps the planner on the GIN index: walking every post newest first to find a rare
# word is what it would otherwise choose. A word common among the newest posts is found
# among them instead (the same newest matches, without the index's full list).
PG_QUERY = engine.ts_query("match")
PG_TITLE = engine.ts_vector("thread.title")  # the expression of the title index (fts_thread_title)
PG_TEXTS = {
    "recent": (
        f"SELECT id AS post_id, -ts_rank(fts_document, {PG_QUERY}) AS score FROM "
        "(SELECT id, fts_document FROM post ORDER BY id DESC LIMIT :recent) AS newest "
        f"WHERE fts_document @@ {PG_QUERY} ORDER BY id DESC LIMIT :window"
    ),
    "indexed": (
        f"SELECT id AS post_id, -ts_rank(fts_document, {PG_QUERY}) AS score FROM post "
        f"WHERE fts_document @@ {PG_QUERY} ORDER BY id + 0 DESC LIMIT :window"
    ),
}
PG_TITLES = (
    "SELECT (SELECT id FROM post WHERE post.thread_id = thread.id AND post.opening LIMIT 1) AS post_id,"
    f" -ts_rank({PG_TITLE}, {PG_QUERY}) AS score FROM thread"
    f" WHERE {PG_TITLE} @@ {PG_QUERY} ORDER BY thread.id + 0 DESC LIMIT :window"
)
SQLITE_CANDIDATES = (
    "SELECT rowid AS post_id, rank AS score FROM fts_post WHERE fts_post MATCH :match "
    "ORDER BY rowid DESC LIMIT :window"
)
MATCH_COUNT_SQL = {
    "sqlite": "SELECT count(*) FROM (SELECT rowid FROM fts_post WHERE fts_post MATCH :match LIMIT :window)",
    "postgresql": f"SELECT count(*) FROM ({PG_TEXTS['indexed']}) AS found",
}
RECENT_FACTOR = 10  # PostgreSQL looks among the newest window x 10 posts first
# Whether the newest posts alone hold ``window`` matches: a bounded look, before choosing.
PG_RECENT_COUNT = f"SELECT count(*) FROM ({PG_TEXTS['recent']}) AS found"


def _candidates(terms: list[str], window: int):
    params = {"match": engine.engine_query(terms), "window": window}
    sql = SQLITE_CANDIDATES
    if engine.dialect() == "postgresql":
        params["recent"] = window * RECENT_FACTOR
        common = db.session.scalar(text(PG_RECENT_COUNT), params) >= window
        texts = PG_TEXTS["recent" if common else "indexed"]
        if not common:
            del params["recent"]
        sql = f"SELECT post_id, min(score) AS score FROM (({texts}) UNION ALL ({PG_TITLES})) AS halves GROUP BY post_id"
    return (
        text(sql).bindparams(**params)
        .columns(column("post_id", Integer), column("score", Float)).cte("candidates").prefix_with("MATERIALIZED")
    )


def _match_count(terms: list[str], window: int) -> int:
    """How many posts match, counted by the engine up to ``window``."""
    return db.session.scalar(text(MATCH_COUNT_SQL[engine.dialect()]),
                             {"match": engine.engine_query(terms), "window": window})


# Snippets ----------------------------------------------------------------------------------

@dataclass
class Snippet:
    """Highlighted extracts of a search hit (text with MARK_START/MARK_END around matches)."""

    title: str
    body: str


SNIPPET_WORDS = 24


def snippets(posts: list[Post], query: SearchQuery) -> dict[int, Snippet]:
    """Highlighted extracts of the thread title and the text of each shown post.

    Built here for the page's posts only: asking the full-text engine would repeat the whole
    match once per post, which for a word in most posts costs more than the search itself.
    """
    terms = query.terms()
    if not terms:
        return {}
    return {p.id: Snippet(_mark(p.thread.title, terms), _extract(p.body_source or "", terms)) for p in posts}


def _mark(content: str, terms: list[str]) -> str:
    return engine.mark(content, terms, MARK_START, MARK_END)


def _extract(content: str, terms: list[str]) -> str:
    """About SNIPPET_WORDS words around the first match, matches marked."""
    words = content.split()
    matches = engine.matcher(terms)
    first = next((i for i, each in enumerate(words) if any(matches(w) for w in engine.WORD.findall(each))), 0)
    start = max(first - SNIPPET_WORDS // 3, 0)
    shown = _mark(" ".join(words[start:start + SNIPPET_WORDS]), terms)
    return ("…" if start else "") + shown + ("…" if start + SNIPPET_WORDS < len(words) else "")
