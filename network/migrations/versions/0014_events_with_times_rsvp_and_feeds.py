"""events with times, places and descriptions; network-wide alumni events; answers (RSVP),
private calendar feeds and reminders

- `programme_event`: `starts_on`/`ends_on` dates become `starts_at`/`ends_at` aware UTC times
  (an existing event runs 09:00-17:00 Stockholm time on its first and last day); new `address`,
  `description` (Markdown) and `description_html` (sanitised), `created_by_id`; `cohort_id` may be
  empty (a network-wide event) and the kind `alumni_meeting` joins.
- `notification`: the kinds `event_reminder` and `rsvp_summary`, naming their event (`event_id`).
- New tables `rsvp`, `calendar_token` (only the SHA-256 of a feed's token) and `event_reminder`.

SQLite rebuilds `programme_event` (batch mode) by dropping it, which with foreign keys on would
empty the journal's links to events (`journal_entry.event_id` SET NULL, `journal_prompt` CASCADE):
they are read before the rebuild and written back after it. No table with search triggers is
rebuilt. The downgrade deletes network-wide events and keeps each event's Stockholm dates.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:40:00

"""
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

STOCKHOLM = ZoneInfo("Europe/Stockholm")
OLD_EVENT_KINDS = ('conference', 'study_trip')
EVENT_KINDS = (*OLD_EVENT_KINDS, 'alumni_meeting')
OLD_NOTIFICATION_KINDS = ('reply', 'mention', 'new_thread', 'new_flag', 'awaiting_approval', 'flag_handled',
                          'moderation_note', 'message')
NOTIFICATION_KINDS = (*OLD_NOTIFICATION_KINDS, 'event_reminder', 'rsvp_summary')
DISCUSSION_ONLY = sa.text("kind IN ('reply', 'mention', 'new_thread')")

events = sa.table(
    'programme_event', sa.column('id', sa.Integer), sa.column('starts_on', sa.Date), sa.column('ends_on', sa.Date),
    sa.column('starts_at', sa.DateTime(timezone=True)), sa.column('ends_at', sa.DateTime(timezone=True)),
)


def enum_type(kinds: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*kinds, name=name, native_enum=False, create_constraint=True, length=32)


def stored(moment: datetime, dialect: str) -> datetime:
    """An aware time as the app's UTCDateTime stores it (naive UTC on SQLite)."""
    moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None) if dialect == 'sqlite' else moment


def loaded(moment: datetime) -> datetime:
    """A stored time back as an aware datetime."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def keep_journal_links(bind):
    """On SQLite, read the journal's links to events before programme_event is rebuilt; returns the
    function that writes them back afterwards. Elsewhere nothing is dropped, so nothing to keep."""
    if bind.dialect.name != 'sqlite':
        return lambda: None
    entries = bind.execute(sa.text("SELECT id, event_id FROM journal_entry WHERE event_id IS NOT NULL")).all()
    prompts = [dict(row) for row in bind.execute(
        sa.text("SELECT * FROM journal_prompt WHERE event_id IS NOT NULL")).mappings()]

    def restore() -> None:
        alive = {row[0] for row in bind.execute(sa.text("SELECT id FROM programme_event"))}
        for entry_id, event_id in entries:
            if event_id in alive:
                bind.execute(sa.text("UPDATE journal_entry SET event_id = :event WHERE id = :id"),
                             {"event": event_id, "id": entry_id})
        kept = {row[0] for row in bind.execute(sa.text("SELECT id FROM journal_prompt"))}
        for prompt in prompts:
            if prompt["event_id"] in alive and prompt["id"] not in kept:
                columns = ", ".join(prompt)
                values = ", ".join(f":{name}" for name in prompt)
                bind.execute(sa.text(f"INSERT INTO journal_prompt ({columns}) VALUES ({values})"), prompt)

    return restore


def upgrade():
    bind = op.get_bind()
    for name in ('starts_at', 'ends_at'):
        op.add_column('programme_event', sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    for row in bind.execute(sa.select(events.c.id, events.c.starts_on, events.c.ends_on)).all():
        bind.execute(events.update().where(events.c.id == row.id).values(
            starts_at=stored(datetime.combine(row.starts_on, time(9), tzinfo=STOCKHOLM), bind.dialect.name),
            ends_at=stored(datetime.combine(row.ends_on, time(17), tzinfo=STOCKHOLM), bind.dialect.name),
        ))

    restore = keep_journal_links(bind)
    with op.batch_alter_table('programme_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_programme_event_dates_in_order'), type_='check')
        batch_op.add_column(sa.Column('address', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description_html', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.alter_column('starts_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('ends_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('cohort_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('kind', existing_type=enum_type(OLD_EVENT_KINDS, 'event_kind'),
                              type_=enum_type(EVENT_KINDS, 'event_kind'), existing_nullable=False)
        batch_op.drop_column('starts_on')
        batch_op.drop_column('ends_on')
        batch_op.create_foreign_key(batch_op.f('fk_programme_event_created_by_id_user'), 'user',
                                    ['created_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint('times_in_order', sa.text('ends_at > starts_at'))
        batch_op.create_index(batch_op.f('ix_programme_event_starts_at'), ['starts_at'], unique=False)
    restore()

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('uq_notification_discussion_user_post', sqlite_where=DISCUSSION_ONLY,
                            postgresql_where=DISCUSSION_ONLY)
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.alter_column('kind', existing_type=enum_type(OLD_NOTIFICATION_KINDS, 'notification_kind'),
                              type_=enum_type(NOTIFICATION_KINDS, 'notification_kind'), existing_nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_event_id_programme_event'), 'programme_event',
                                    ['event_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_notification_event_id'), ['event_id'], unique=False)
        batch_op.create_index('uq_notification_discussion_user_post', ['user_id', 'post_id'], unique=True,
                              sqlite_where=DISCUSSION_ONLY, postgresql_where=DISCUSSION_ONLY)

    op.create_table('rsvp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('response', enum_type(('yes', 'maybe', 'no'), 'rsvp_response'), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['programme_event.id'], name=op.f('fk_rsvp_event_id_programme_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_rsvp_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rsvp')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_rsvp_event_id'))
    )
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rsvp_user_id'), ['user_id'], unique=False)

    op.create_table('calendar_token',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calendar_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_token_token_hash'))
    )

    op.create_table('event_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', enum_type(('day_before', 'summary_week', 'summary_day'), 'reminder_kind'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['programme_event.id'], name=op.f('fk_event_reminder_event_id_programme_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_reminder_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_reminder')),
    sa.UniqueConstraint('event_id', 'user_id', 'kind', name=op.f('uq_event_reminder_event_id'))
    )
    with op.batch_alter_table('event_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_reminder_user_id'), ['user_id'], unique=False)


def downgrade():
    bind = op.get_bind()
    with op.batch_alter_table('event_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_reminder_user_id'))
    op.drop_table('event_reminder')
    op.drop_table('calendar_token')
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rsvp_user_id'))
    op.drop_table('rsvp')

    op.execute("DELETE FROM notification WHERE kind IN ('event_reminder', 'rsvp_summary')")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('uq_notification_discussion_user_post', sqlite_where=DISCUSSION_ONLY,
                            postgresql_where=DISCUSSION_ONLY)
        batch_op.drop_index(batch_op.f('ix_notification_event_id'))
        batch_op.drop_constraint(batch_op.f('fk_notification_event_id_programme_event'), type_='foreignkey')
        batch_op.drop_column('event_id')
        batch_op.alter_column('kind', existing_type=enum_type(NOTIFICATION_KINDS, 'notification_kind'),
                              type_=enum_type(OLD_NOTIFICATION_KINDS, 'notification_kind'), existing_nullable=False)
        batch_op.create_index('uq_notification_discussion_user_post', ['user_id', 'post_id'], unique=True,
                              sqlite_where=DISCUSSION_ONLY, postgresql_where=DISCUSSION_ONLY)

    # Network-wide events have no cohort to go back to.
    op.execute("DELETE FROM programme_event WHERE cohort_id IS NULL OR kind = 'alumni_meeting'")
    for name in ('starts_on', 'ends_on'):
        op.add_column('programme_event', sa.Column(name, sa.Date(), nullable=True))
    for row in bind.execute(sa.select(events.c.id, events.c.starts_at, events.c.ends_at)).all():
        bind.execute(events.update().where(events.c.id == row.id).values(
            starts_on=loaded(row.starts_at).astimezone(STOCKHOLM).date(),
            ends_on=loaded(row.ends_at).astimezone(STOCKHOLM).date(),
        ))

    restore = keep_journal_links(bind)
    with op.batch_alter_table('programme_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_event_starts_at'))
        batch_op.drop_constraint(op.f('ck_programme_event_times_in_order'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_programme_event_created_by_id_user'), type_='foreignkey')
        batch_op.alter_column('kind', existing_type=enum_type(EVENT_KINDS, 'event_kind'),
                              type_=enum_type(OLD_EVENT_KINDS, 'event_kind'), existing_nullable=False)
        batch_op.alter_column('cohort_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('starts_on', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('ends_on', existing_type=sa.Date(), nullable=False)
        for name in ('created_by_id', 'description_html', 'description', 'address', 'starts_at', 'ends_at'):
            batch_op.drop_column(name)
        batch_op.create_check_constraint('dates_in_order', sa.text('ends_on >= starts_on'))
    restore()
