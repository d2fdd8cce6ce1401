"""two-factor log-in: each member's TOTP secret (encrypted) and recovery codes (hashed); the audit
log learns the administrators' reset of a member's second factor

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 00:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

ACTIONS = ('dismiss_flags', 'hide_post', 'auto_hide_post', 'restore_post', 'approve_post', 'edit_post',
           'lock_thread', 'unlock_thread', 'pin_thread', 'unpin_thread', 'move_thread', 'suspend_member',
           'reactivate_member', 'note_author', 'require_approval', 'end_approval',
           'dismiss_message_report', 'remove_message', 'erase_member')
RESET = 'reset_second_factor'
# The CHECK constraint of moderation_action.action (the naming convention's "ck_<table>_<enum name>").
ACTION_CHECK = 'ck_moderation_action_moderation_action_kind'


def upgrade():
    op.create_table('second_factor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_sealed', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_second_factor_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factor')),
    sa.UniqueConstraint('user_id', name=op.f('uq_second_factor_user_id'))
    )
    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_recovery_code_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_code_code_hash'))
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)
    allow_actions(ACTIONS + (RESET,))


def downgrade():
    op.execute(sa.text("DELETE FROM moderation_action WHERE action = :reset").bindparams(reset=RESET))
    allow_actions(ACTIONS)
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    op.drop_table('second_factor')


def allow_actions(actions: tuple[str, ...]) -> None:
    """Replace the CHECK constraint on moderation_action.action (SQLite: by a batch rebuild of that
    table, which has no triggers)."""
    condition = "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(ACTION_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(ACTION_CHECK), sa.text(condition))
