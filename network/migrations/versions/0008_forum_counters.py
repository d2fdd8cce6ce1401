"""forum counters: posts per thread, threads and posts per theme (network-wide and per cohort);
an index of opening posts awaiting approval (the visibility rule looks them up on every list);
on PostgreSQL a stored `fts_document` tsvector on post (no model describes it; network/schema.py
lists the `fts_` prefix), so ranking and checking a candidate never re-parses its text

Kept in the same transaction as the post that changes them by ``forum.services.recount``;
backfilled here from the posts. Counts are of visible posts; a thread counts in its theme
unless its opening post awaits approval (then only its author and moderators see it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LISTED = ("NOT EXISTS (SELECT 1 FROM post AS opening WHERE opening.thread_id = thread.id "
          "AND opening.opening AND opening.status = 'pending')")
NEWEST = "(SELECT created_at FROM post WHERE post.id = thread.last_post_id)"

BACKFILL = [
    """UPDATE thread SET
         post_count = (SELECT count(*) FROM post WHERE post.thread_id = thread.id AND post.status = 'visible'),
         last_post_id = (SELECT max(id) FROM post WHERE post.thread_id = thread.id AND post.status = 'visible')""",
    f"""UPDATE theme SET
         thread_count = (SELECT count(*) FROM thread WHERE thread.theme_id = theme.id AND thread.cohort_id IS NULL
                         AND {LISTED}),
         post_count = (SELECT coalesce(sum(post_count), 0) FROM thread WHERE thread.theme_id = theme.id
                       AND thread.cohort_id IS NULL AND {LISTED}),
         last_post_at = (SELECT max({NEWEST}) FROM thread WHERE thread.theme_id = theme.id
                         AND thread.cohort_id IS NULL AND {LISTED})""",
    f"""INSERT INTO theme_cohort_tally (theme_id, cohort_id, thread_count, post_count, last_post_at)
        SELECT theme_id, cohort_id, count(*), coalesce(sum(post_count), 0), max({NEWEST})
        FROM thread WHERE cohort_id IS NOT NULL AND {LISTED} GROUP BY theme_id, cohort_id""",
]


POSTGRESQL_UP = [
    "ALTER TABLE post ADD COLUMN fts_document tsvector "
    "GENERATED ALWAYS AS (to_tsvector('swedish', body_source)) STORED",
    "CREATE INDEX IF NOT EXISTS fts_post_document ON post USING gin (fts_document)",
    "DROP INDEX IF EXISTS fts_post_body",
]
POSTGRESQL_DOWN = [
    "CREATE INDEX IF NOT EXISTS fts_post_body ON post USING gin (to_tsvector('swedish', body_source))",
    "DROP INDEX IF EXISTS fts_post_document",
    "ALTER TABLE post DROP COLUMN IF EXISTS fts_document",
]


def upgrade():
    # Plain ALTER TABLE (no batch copy): a copy of `thread` would drop the forum's FTS title trigger.
    op.add_column('theme', sa.Column('thread_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('theme', sa.Column('post_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('theme', sa.Column('last_post_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('thread', sa.Column('post_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('thread', sa.Column('last_post_id', sa.Integer(), nullable=True))
    op.create_table('theme_cohort_tally',
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('thread_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('post_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_post_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_theme_cohort_tally_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_theme_cohort_tally_theme_id_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('theme_id', 'cohort_id', name=op.f('pk_theme_cohort_tally'))
    )
    with op.batch_alter_table('theme_cohort_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_cohort_tally_cohort_id'), ['cohort_id'], unique=False)
    op.create_index('ix_post_pending_opening', 'post', ['thread_id'], unique=False,
                    sqlite_where=sa.text("opening AND status = 'pending'"),
                    postgresql_where=sa.text("opening AND status = 'pending'"))
    for statement in BACKFILL + (POSTGRESQL_UP if op.get_bind().dialect.name == "postgresql" else []):
        op.execute(statement)


def downgrade():
    for statement in POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else []:
        op.execute(statement)
    op.drop_index('ix_post_pending_opening', table_name='post')
    with op.batch_alter_table('theme_cohort_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_cohort_tally_cohort_id'))
    op.drop_table('theme_cohort_tally')
    op.drop_column('thread', 'last_post_id')
    op.drop_column('thread', 'post_count')
    op.drop_column('theme', 'last_post_at')
    op.drop_column('theme', 'post_count')
    op.drop_column('theme', 'thread_count')
