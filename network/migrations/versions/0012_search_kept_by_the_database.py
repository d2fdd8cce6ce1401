"""search kept by the database: the directory's index follows every change by triggers; both
searches ignore accents, and PostgreSQL stems Swedish in both

- The directory (`people_fts`): triggers on user, profile, profile_area, profile_keyword and
  organisation write a listed member's row whenever a name, status, organisation, profile, area
  or keyword changes, so no caller keeps the index (a member suspended and reactivated is found
  again at once). The document: name, title, organisation and municipality, languages, areas in
  Swedish and English, keywords and bio.
- SQLite: the forum's `fts_post` is rebuilt with `unicode61 remove_diacritics 2` like
  `people_fts`, so "aldreomsorg" finds "äldreomsorg".
- PostgreSQL: the `unaccent` extension (trusted) and a text search configuration
  `swedish_unaccent` (accents removed, then Swedish stemming) for the post's `fts_document`,
  the thread title index and `people_fts` (which used 'simple' before).

The area names are frozen here (a migration must not import the app); tests/test_search.py checks
that every area is found by its name in both catalogs, so a changed label needs a new migration.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TS_CONFIG = "swedish_unaccent"

# Each area as the directory shows it, in Swedish and in English (the catalogs of 2026-12-01).
AREA_WORDS = {
    "elderly_care": "äldreomsorg elderly care",
    "disability_support": "funktionshinderomsorg LSS disability support",
    "individual_family_care": "individ- och familjeomsorg individual and family care",
    "preschool": "förskola preschool",
    "compulsory_school": "grundskola compulsory school",
    "upper_secondary_school": "gymnasieskola upper secondary school",
    "labour_market": "arbetsmarknad och integration labour market and integration",
    "culture_leisure": "kultur och fritid culture and leisure",
    "urban_planning": "samhällsbyggnad urban planning and building",
    "water_waste": "vatten och avfall water and waste",
    "environment": "miljö environment",
    "hr": "HR",
    "finance": "ekonomi finance",
    "it_digitalisation": "IT och digitalisering IT and digitalisation",
    "communication": "kommunikation communication",
    "other": "övrigt other",
}
AREA_CASE = "CASE pa.area " + " ".join(f"WHEN '{code}' THEN '{words}'" for code, words in AREA_WORDS.items()) + " END"


def document(aggregate: str) -> str:
    """SQL for a member's searchable text (``aggregate``: group_concat or string_agg)."""
    return (
        "u.name || ' ' || p.title || ' ' || o.name || ' ' || o.municipality || ' ' || p.languages || ' ' || "
        f"coalesce((SELECT {aggregate}({AREA_CASE}, ' ') FROM profile_area AS pa WHERE pa.user_id = u.id), '') || ' ' || "
        f"coalesce((SELECT {aggregate}(pk.keyword, ' ') FROM profile_keyword AS pk WHERE pk.user_id = u.id), '') || ' ' || "
        "p.bio_source"
    )


# Listed: an active member who consented to the directory.
LISTED = (
    'FROM "user" AS u JOIN profile AS p ON p.user_id = u.id JOIN organisation AS o ON o.id = u.organisation_id '
    "WHERE u.status = 'active' AND p.in_directory"
)

# SQLite ---------------------------------------------------------------------------------------

# (trigger, when it fires, the members whose row it rewrites)
SQLITE_PEOPLE_TRIGGERS = [
    ("people_fts_user_update", 'AFTER UPDATE OF name, status, organisation_id ON "user"', "NEW.id"),
    ("people_fts_user_delete", 'AFTER DELETE ON "user"', "OLD.id"),
    ("people_fts_profile_insert", "AFTER INSERT ON profile", "NEW.user_id"),
    ("people_fts_profile_update", "AFTER UPDATE OF title, in_directory, languages, bio_source ON profile",
     "NEW.user_id"),
    ("people_fts_profile_delete", "AFTER DELETE ON profile", "OLD.user_id"),
    ("people_fts_area_insert", "AFTER INSERT ON profile_area", "NEW.user_id"),
    ("people_fts_area_delete", "AFTER DELETE ON profile_area", "OLD.user_id"),
    ("people_fts_keyword_insert", "AFTER INSERT ON profile_keyword", "NEW.user_id"),
    ("people_fts_keyword_delete", "AFTER DELETE ON profile_keyword", "OLD.user_id"),
    ("people_fts_organisation_update", "AFTER UPDATE OF name, municipality ON organisation",
     'SELECT id FROM "user" WHERE organisation_id = NEW.id'),
]


def sqlite_people_trigger(name: str, event: str, members: str) -> str:
    return (
        f"CREATE TRIGGER {name} {event} BEGIN "
        f"DELETE FROM people_fts WHERE rowid IN ({members}); "
        f"INSERT INTO people_fts (rowid, document) SELECT u.id, {document('group_concat')} "
        f"{LISTED} AND u.id IN ({members}); "
        "END"
    )


SQLITE_PEOPLE_FILL = [
    "DELETE FROM people_fts",
    f"INSERT INTO people_fts (rowid, document) SELECT u.id, {document('group_concat')} {LISTED}",
]

# The forum's table and triggers as migration 0003 made them, with the tokenizer's diacritics option.
FTS_POST_TRIGGERS = {
    "fts_post_insert": """CREATE TRIGGER fts_post_insert AFTER INSERT ON post BEGIN
         INSERT INTO fts_post(rowid, title, body) VALUES (new.id,
           CASE WHEN new.opening THEN (SELECT title FROM thread WHERE id = new.thread_id) ELSE '' END,
           new.body_source);
       END""",
    "fts_post_update": """CREATE TRIGGER fts_post_update AFTER UPDATE OF body_source, opening ON post BEGIN
         DELETE FROM fts_post WHERE rowid = old.id;
         INSERT INTO fts_post(rowid, title, body) VALUES (new.id,
           CASE WHEN new.opening THEN (SELECT title FROM thread WHERE id = new.thread_id) ELSE '' END,
           new.body_source);
       END""",
    "fts_post_delete": "CREATE TRIGGER fts_post_delete AFTER DELETE ON post BEGIN DELETE FROM fts_post WHERE rowid = old.id; END",
    "fts_thread_title": """CREATE TRIGGER fts_thread_title AFTER UPDATE OF title ON thread BEGIN
         UPDATE fts_post SET title = new.title
         WHERE rowid IN (SELECT id FROM post WHERE thread_id = new.id AND opening);
       END""",
}


def sqlite_forum(remove_diacritics: int) -> list[str]:
    """Recreate the forum's FTS5 table with the given diacritics option, its triggers, and its rows."""
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in FTS_POST_TRIGGERS),
        "DROP TABLE IF EXISTS fts_post",
        f"CREATE VIRTUAL TABLE fts_post USING fts5(title, body, tokenize = 'unicode61 remove_diacritics {remove_diacritics}')",
        *FTS_POST_TRIGGERS.values(),
        "INSERT INTO fts_post (rowid, title, body) SELECT post.id, "
        "CASE WHEN post.opening THEN thread.title ELSE '' END, post.body_source "
        "FROM post JOIN thread ON thread.id = post.thread_id",
    ]


# PostgreSQL -----------------------------------------------------------------------------------

def postgresql_people_fill(config: str) -> list[str]:
    return [
        "DELETE FROM people_fts",
        f"INSERT INTO people_fts (user_id, document) SELECT u.id, to_tsvector('{config}', {document('string_agg')}) {LISTED}",
    ]


def postgresql_forum(config: str) -> list[str]:
    """The post's stored tsvector and the thread title index in ``config``."""
    return [
        "DROP INDEX IF EXISTS fts_post_document",
        "ALTER TABLE post DROP COLUMN IF EXISTS fts_document",
        f"ALTER TABLE post ADD COLUMN fts_document tsvector GENERATED ALWAYS AS (to_tsvector('{config}', body_source)) STORED",
        "CREATE INDEX fts_post_document ON post USING gin (fts_document)",
        "DROP INDEX IF EXISTS fts_thread_title",
        f"CREATE INDEX fts_thread_title ON thread USING gin (to_tsvector('{config}', title))",
    ]


# (trigger, when it fires, the column naming the member; organisation rows name every member of theirs)
POSTGRESQL_PEOPLE_TRIGGERS = [
    ("people_fts_user", 'AFTER UPDATE OF name, status, organisation_id ON "user"', "id"),
    ("people_fts_profile", "AFTER INSERT OR DELETE OR UPDATE OF title, in_directory, languages, bio_source ON profile",
     "user_id"),
    ("people_fts_area", "AFTER INSERT OR DELETE OR UPDATE ON profile_area", "user_id"),
    ("people_fts_keyword", "AFTER INSERT OR DELETE OR UPDATE ON profile_keyword", "user_id"),
    ("people_fts_organisation", "AFTER UPDATE OF name, municipality ON organisation", "organisation"),
]

POSTGRESQL_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = swedish)",
    f"ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG} ALTER MAPPING FOR hword, hword_part, word WITH unaccent, swedish_stem",
    *postgresql_forum(TS_CONFIG),
    f"""CREATE FUNCTION people_fts_refresh(members integer[]) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM people_fts WHERE user_id = ANY (members);
      INSERT INTO people_fts (user_id, document)
      SELECT u.id, to_tsvector('{TS_CONFIG}', {document('string_agg')}) {LISTED} AND u.id = ANY (members);
    END $$""",
    """CREATE FUNCTION people_fts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      changed jsonb;
    BEGIN
      IF TG_OP = 'DELETE' THEN changed := to_jsonb(OLD); ELSE changed := to_jsonb(NEW); END IF;
      IF TG_ARGV[0] = 'organisation' THEN
        PERFORM people_fts_refresh(ARRAY(SELECT id FROM "user" WHERE organisation_id = (changed ->> 'id')::integer));
      ELSE
        PERFORM people_fts_refresh(ARRAY[(changed ->> TG_ARGV[0])::integer]);
      END IF;
      RETURN NULL;
    END $$""",
    *(f"CREATE TRIGGER {name} {event} FOR EACH ROW EXECUTE FUNCTION people_fts_follow('{key}')"
      for name, event, key in POSTGRESQL_PEOPLE_TRIGGERS),
    *postgresql_people_fill(TS_CONFIG),
]

POSTGRESQL_DOWN = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {event.rsplit(' ON ', 1)[1]}" for name, event, _ in POSTGRESQL_PEOPLE_TRIGGERS),
    "DROP FUNCTION IF EXISTS people_fts_follow()",
    "DROP FUNCTION IF EXISTS people_fts_refresh(integer[])",
    *postgresql_people_fill("simple"),
    *postgresql_forum("swedish"),
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {TS_CONFIG}",
    # The unaccent extension stays: it may have been there before, and it holds no data.
]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = [*sqlite_forum(2), *(sqlite_people_trigger(*t) for t in SQLITE_PEOPLE_TRIGGERS), *SQLITE_PEOPLE_FILL]
    else:
        statements = POSTGRESQL_UP
    for statement in statements:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = [*(f"DROP TRIGGER IF EXISTS {name}" for name, _, _ in SQLITE_PEOPLE_TRIGGERS), *sqlite_forum(0)]
    else:
        statements = POSTGRESQL_DOWN
    for statement in statements:
        op.execute(statement)
