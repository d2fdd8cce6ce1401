"""erasure and retention: an erased account's row stays anonymised (`user.erased_at`); the
retention purge reads `user.last_seen_at` and records its warning (`user.retention_warned_at`);
an outbox message may be deleted once delivered (`outbox.erase_when_sent`, the confirmation of an
erasure); the audit log knows the action `erase_member`

`user` carries the directory's search triggers (migration 0012): its columns are added with a
plain ADD COLUMN, never a batch rebuild, so the triggers stay. `moderation_action` has none: its
CHECK constraint is rebuilt in batch mode on SQLite.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 00:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

ACTIONS = [
    'dismiss_flags', 'hide_post', 'auto_hide_post', 'restore_post', 'approve_post', 'edit_post', 'lock_thread',
    'unlock_thread', 'pin_thread', 'unpin_thread', 'move_thread', 'suspend_member', 'reactivate_member',
    'note_author', 'require_approval', 'end_approval', 'dismiss_message_report', 'remove_message',
]
CHECK = 'ck_moderation_action_moderation_action_kind'


def action_check(actions: list[str]) -> str:
    return "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"


def set_actions(actions: list[str]) -> None:
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_='check')
        batch_op.create_check_constraint(op.f(CHECK), action_check(actions))


def upgrade():
    op.add_column('user', sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('retention_warned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    # Members' activity so far: the profile's stamp, else when the account was made.
    op.execute('UPDATE "user" SET last_seen_at = coalesce('
               '(SELECT p.last_active_at FROM profile AS p WHERE p.user_id = "user".id), created_at)')
    op.add_column('outbox', sa.Column('erase_when_sent', sa.Boolean(), server_default=sa.false(), nullable=False))
    set_actions([*ACTIONS, 'erase_member'])


def downgrade():
    op.execute("DELETE FROM moderation_action WHERE action = 'erase_member'")
    set_actions(ACTIONS)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('erase_when_sent')
    # Dropping a column rebuilds the table on SQLite: drop_column outside batch would too, and the
    # rebuild would drop the search triggers of `user`. SQLite >= 3.35 drops a column in place.
    for column in ('erased_at', 'retention_warned_at', 'last_seen_at'):
        op.drop_column('user', column)
