"""Full-text search shared by the directory and the forum: one way to split words and ask the engine.

Both indexes are kept by the database, never by callers (migration 0012): on SQLite FTS5 tables
(``people_fts``, ``fts_post``) filled by triggers, tokenized by ``unicode61 remove_diacritics 2``;
on PostgreSQL ``people_fts`` filled by triggers and the post's generated ``fts_document``, both in
the ``swedish_unaccent`` text search configuration (accents removed, then Swedish stemming).
So "aldreomsorg" finds "äldreomsorg" on both databases, and "ledare" finds "ledarna" on PostgreSQL.

Every search word is matched as a prefix and every word must match. ``flask search reindex``
rebuilds both indexes, for restores only.
"""
import re
import unicodedata
from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from network.extensions import db

MAX_TERMS = 10
# PostgreSQL: the text search configuration of every index and query (created by migration 0012).
TS_CONFIG = "swedish_unaccent"
# A word as both engines see it: letters and digits (FTS5 unicode61 splits on everything else).
WORD = re.compile(r"[^\W_]+")


def terms(query: str | None, limit: int = MAX_TERMS) -> list[str]:
    """The words of a search, in lower case, letters and digits only, without repeats (at most ``limit``)."""
    words = WORD.findall(unicodedata.normalize("NFC", query or "").lower())
    return list(dict.fromkeys(words))[:limit]


def fold(word: str) -> str:
    """A word as the engines compare it: lower case, without diacritics ("Äldre" -> "aldre")."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def dialect() -> str:
    """The name of the database the session talks to ("sqlite" or "postgresql")."""
    return db.session.get_bind().dialect.name


def engine_query(words: list[str], dialect_name: str | None = None) -> str:
    """Every word as a prefix, all required, quoted for the engine: an FTS5 MATCH or a to_tsquery string."""
    if (dialect_name or dialect()) == "postgresql":
        return " & ".join("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*" for word in words)
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def ts_query(parameter: str = "match") -> str:
    """PostgreSQL: the tsquery of the bound ``engine_query`` string, in the shared configuration."""
    return f"to_tsquery('{TS_CONFIG}', :{parameter})"


def ts_vector(expression: str) -> str:
    """PostgreSQL: the tsvector of a text column, as the expression indexes spell it."""
    return f"to_tsvector('{TS_CONFIG}', {expression})"


# Highlighting ------------------------------------------------------------------------------

def matcher(words: list[str]) -> Callable[[str], bool]:
    """A test for a word of a text: true when it starts with one of the search words (accents ignored)."""
    prefixes = tuple(fold(word) for word in words)
    return lambda word: bool(prefixes) and fold(word).startswith(prefixes)


def mark(content: str, words: list[str], start: str, end: str) -> str:
    """The content with ``start``/``end`` around each word that a search for ``words`` matches."""
    matches = matcher(words)
    return WORD.sub(lambda found: f"{start}{found[0]}{end}" if matches(found[0]) else found[0], content)


# Restores ----------------------------------------------------------------------------------
# The triggers write the index rows; a rebuild empties the indexes and touches the indexed rows
# so the same triggers write them again (one definition of what is indexed: the migration's).

REBUILD_SQL = {
    "sqlite": [
        "DELETE FROM people_fts",
        "UPDATE profile SET in_directory = in_directory",
        "DELETE FROM fts_post",
        "UPDATE post SET opening = opening",
    ],
    # Posts: a generated column and expression indexes are never out of step.
    "postgresql": [
        "DELETE FROM people_fts",
        "UPDATE profile SET in_directory = in_directory",
    ],
}


def rebuild() -> tuple[int, int]:
    """Rebuild both search indexes from the data; returns (members listed, posts indexed). Flushes only."""
    db.session.flush()
    for statement in REBUILD_SQL[dialect()]:
        db.session.execute(text(statement))
    members = db.session.scalar(text("SELECT count(*) FROM people_fts"))
    posts = db.session.scalar(text("SELECT count(*) FROM post"))
    return members, posts


def forget_deleted_words(posts: bool) -> None:
    """SQLite: merge the full-text indexes' segments, which keep the words of deleted rows until
    then (the directory's always; the forum's, far larger, with ``posts``). An erased member's
    words leave the file with it. PostgreSQL: nothing (VACUUM removes dead index entries)."""
    if dialect() != "sqlite":
        return
    for table in ("people_fts", "fts_post")[: 2 if posts else 1]:
        db.session.execute(text(f"INSERT INTO {table}({table}) VALUES('optimize')"))


@click.group("search")
def search_cli():
    """The search indexes (kept by the database; rebuild only after a restore)."""


@search_cli.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the directory's and the forum's search indexes (after restoring data without them)."""
    members, posts = rebuild()
    db.session.commit()
    click.echo(f"Search indexes rebuilt: {members} members listed, {posts} posts.")
