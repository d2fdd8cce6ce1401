"""private messages: one conversation per pair of members, its messages, read states, who may
write to a member, blocks and reports; private-message notices

New tables only, except `notification` (a new kind `message` and a `conversation_id` naming the
conversation a notice is about) and `moderation_action` (two new actions on reports of private
messages). SQLite rebuilds those two in batch mode; neither carries search triggers. Downgrade
deletes the message notices and the two actions' log entries.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:24:25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ACTIONS = ('dismiss_flags', 'hide_post', 'auto_hide_post', 'restore_post', 'approve_post', 'edit_post', 'lock_thread',
           'unlock_thread', 'pin_thread', 'unpin_thread', 'move_thread', 'suspend_member', 'reactivate_member',
           'note_author', 'require_approval', 'end_approval')
MESSAGE_ACTIONS = ('dismiss_message_report', 'remove_message')
KINDS = ('reply', 'mention', 'new_thread', 'new_flag', 'awaiting_approval', 'flag_handled', 'moderation_note')


def kind_type(*kinds: str, name: str = 'notification_kind') -> sa.Enum:
    return sa.Enum(*kinds, name=name, native_enum=False, create_constraint=True, length=32)


def action_type(*actions: str) -> sa.Enum:
    return kind_type(*actions, name='moderation_action_kind')


def upgrade():
    op.create_table('conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_low_id', sa.Integer(), nullable=False),
    sa.Column('member_high_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('member_low_id < member_high_id', name=op.f('ck_conversation_ordered_pair')),
    sa.ForeignKeyConstraint(['member_high_id'], ['user.id'], name=op.f('fk_conversation_member_high_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_low_id'], ['user.id'], name=op.f('fk_conversation_member_low_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['user.id'], name=op.f('fk_conversation_started_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation')),
    sa.UniqueConstraint('member_low_id', 'member_high_id', name=op.f('uq_conversation_member_low_id'))
    )
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_member_high_id', ['member_high_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_started_by_id'), ['started_by_id'], unique=False)

    op.create_table('message_block',
    sa.Column('blocker_id', sa.Integer(), nullable=False),
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blocked_id'], ['user.id'], name=op.f('fk_message_block_blocked_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['blocker_id'], ['user.id'], name=op.f('fk_message_block_blocker_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blocker_id', 'blocked_id', name=op.f('pk_message_block'))
    )
    with op.batch_alter_table('message_block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_block_blocked_id'), ['blocked_id'], unique=False)

    op.create_table('message_setting',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('who_may_write', sa.Enum('cohorts', 'network', 'nobody', name='who_may_write', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_message_setting_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_message_setting'))
    )
    op.create_table('conversation_read_state',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_read_message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_conversation_read_state_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_conversation_read_state_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', 'user_id', name=op.f('pk_conversation_read_state'))
    )
    with op.batch_alter_table('conversation_read_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_read_state_user_id'), ['user_id'], unique=False)

    op.create_table('private_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_private_message_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['user.id'], name=op.f('fk_private_message_sender_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_private_message'))
    )
    with op.batch_alter_table('private_message', schema=None) as batch_op:
        batch_op.create_index('ix_private_message_conversation_id_id', ['conversation_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_private_message_sender_id'), ['sender_id'], unique=False)

    op.create_table('message_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Enum('dismissed', 'removed', name='message_report_resolution', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['private_message.id'], name=op.f('fk_message_report_message_id_private_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['user.id'], name=op.f('fk_message_report_reporter_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_message_report_resolved_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_report'))
    )
    with op.batch_alter_table('message_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_report_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_report_reporter_id'), ['reporter_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conversation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_conversation_id_conversation'), 'conversation', ['conversation_id'], ['id'], ondelete='CASCADE')
        batch_op.alter_column('kind', existing_type=kind_type(*KINDS), type_=kind_type(*KINDS, 'message'),
                              existing_nullable=False)

    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=action_type(*ACTIONS), type_=action_type(*ACTIONS, *MESSAGE_ACTIONS),
                              existing_nullable=False)



def downgrade():
    op.execute("DELETE FROM moderation_action WHERE action IN ('dismiss_message_report', 'remove_message')")
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=action_type(*ACTIONS, *MESSAGE_ACTIONS), type_=action_type(*ACTIONS),
                              existing_nullable=False)

    op.execute("DELETE FROM notification WHERE kind = 'message'")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=kind_type(*KINDS, 'message'), type_=kind_type(*KINDS),
                              existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_notification_conversation_id_conversation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_conversation_id'))
        batch_op.drop_column('conversation_id')

    with op.batch_alter_table('message_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_report_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_message_report_message_id'))

    op.drop_table('message_report')
    with op.batch_alter_table('private_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_private_message_sender_id'))
        batch_op.drop_index('ix_private_message_conversation_id_id')

    op.drop_table('private_message')
    with op.batch_alter_table('conversation_read_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_read_state_user_id'))

    op.drop_table('conversation_read_state')
    op.drop_table('message_setting')
    with op.batch_alter_table('message_block', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_block_blocked_id'))

    op.drop_table('message_block')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_started_by_id'))
        batch_op.drop_index('ix_conversation_member_high_id')

    op.drop_table('conversation')
