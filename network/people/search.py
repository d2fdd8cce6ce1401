"""The directory's full-text search: listed members whose name, title, organisation, areas,
keywords, languages or bio match every word.

``people_fts`` holds one row per listed member (an FTS5 table on SQLite, a tsvector with a GIN
index on PostgreSQL). Database triggers (migration 0012) write it whenever a name, status,
organisation, profile, area or keyword changes; nothing here or in a caller keeps it.
Words are split and matched by ``network.search``, as the forum's search does.
"""
from sqlalchemy import Float, Integer, column, text

from network import search as engine

MATCHES_SQL = {
    "sqlite": (
        "SELECT rowid AS user_id, rank FROM people_fts WHERE people_fts MATCH :match ORDER BY rank LIMIT :window"
    ),
    "postgresql": (
        f"SELECT user_id, -ts_rank(document, {engine.ts_query()}) AS rank "
        f"FROM people_fts WHERE document @@ {engine.ts_query()} ORDER BY rank LIMIT :window"
    ),
}


def terms(query: str) -> list[str]:
    """The words of a directory search (split as every search splits them)."""
    return engine.terms(query)


def matches(words: list[str], window: int):
    """A subquery of (user_id, rank) for the ``window`` best listed members matching every word as a
    prefix, ranked and limited inside the full-text engine; lower rank is better."""
    return (
        text(MATCHES_SQL[engine.dialect()]).bindparams(match=engine.engine_query(words), window=window)
        .columns(column("user_id", Integer), column("rank", Float)).subquery("fts")
    )
