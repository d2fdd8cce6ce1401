"""What Alembic needs to know beyond the models (used by migrations/env.py and tests)."""
from network.timeutil import UTCDateTime

# Tables created by raw SQL in migrations (e.g. SQLite FTS5 and its shadow tables)
# that no model describes: autogenerate must neither drop nor report them.
EXTERNAL_TABLE_PREFIXES: tuple[str, ...] = (
    "people_fts",  # the directory (people)
    "fts_",  # discussion search (forum)
)
# Indexes created by raw SQL (PostgreSQL full-text GIN expression indexes), likewise.
EXTERNAL_INDEX_PREFIXES: tuple[str, ...] = (
    "people_fts",
    "fts_",
)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave alone database objects that belong to no model (full-text tables)."""
    if type_ == "table" and reflected and compare_to is None:
        return not name.startswith(EXTERNAL_TABLE_PREFIXES) if EXTERNAL_TABLE_PREFIXES else True
    if type_ == "column" and reflected and compare_to is None and name.startswith("fts_"):
        return False  # PostgreSQL's stored tsvector of post texts (forum search)
    if type_ == "index" and reflected and compare_to is None and name:
        return not name.startswith(EXTERNAL_INDEX_PREFIXES) if EXTERNAL_INDEX_PREFIXES else True
    return True


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime as a plain timezone-aware DateTime in migration scripts."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
