"""one notification table: moderation notices become notifications of a moderation kind

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:45:00

`moderation_notice` rows move into `notification` (kinds new_flag, awaiting_approval,
flag_handled, moderation_note, with their message and read and emailed times); the old table
is dropped. `notification.post_id` becomes optional (a notice may name no post), and the
one-per-member-and-post rule now holds for discussion kinds only. Downgrade moves them back.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

DISCUSSION = ('reply', 'mention', 'new_thread')
MODERATION = ('new_flag', 'awaiting_approval', 'flag_handled', 'moderation_note')
DISCUSSION_ONLY = sa.text("kind IN ('reply', 'mention', 'new_thread')")
COLUMNS = "user_id, kind, post_id, message, created_at, read_at, emailed_at"


def kind_type(*kinds: str, name: str = 'notification_kind') -> sa.Enum:
    return sa.Enum(*kinds, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), server_default='', nullable=False))
        batch_op.alter_column('post_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('kind', existing_type=kind_type(*DISCUSSION), type_=kind_type(*DISCUSSION, *MODERATION),
                              existing_nullable=False)
        batch_op.drop_constraint('uq_notification_user_id', type_='unique')
        batch_op.create_index('uq_notification_discussion_user_post', ['user_id', 'post_id'], unique=True,
                              sqlite_where=DISCUSSION_ONLY, postgresql_where=DISCUSSION_ONLY)

    op.execute(f"INSERT INTO notification ({COLUMNS}) SELECT {COLUMNS} FROM moderation_notice ORDER BY id")

    with op.batch_alter_table('moderation_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_notice_user_id_read_at')
        batch_op.drop_index(batch_op.f('ix_moderation_notice_post_id'))
    op.drop_table('moderation_notice')


def downgrade():
    op.create_table('moderation_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', kind_type(*MODERATION, name='moderation_notice_kind'), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_moderation_notice_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_moderation_notice_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_notice'))
    )
    with op.batch_alter_table('moderation_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_notice_post_id'), ['post_id'], unique=False)
        batch_op.create_index('ix_moderation_notice_user_id_read_at', ['user_id', 'read_at'], unique=False)

    moderation = ", ".join(f"'{kind}'" for kind in MODERATION)
    op.execute(f"INSERT INTO moderation_notice ({COLUMNS}) SELECT {COLUMNS} FROM notification "
               f"WHERE kind IN ({moderation}) ORDER BY id")
    op.execute(f"DELETE FROM notification WHERE kind IN ({moderation})")

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('uq_notification_discussion_user_post', sqlite_where=DISCUSSION_ONLY,
                            postgresql_where=DISCUSSION_ONLY)
        batch_op.create_unique_constraint(batch_op.f('uq_notification_user_id'), ['user_id', 'post_id'])
        batch_op.alter_column('kind', existing_type=kind_type(*DISCUSSION, *MODERATION), type_=kind_type(*DISCUSSION),
                              existing_nullable=False)
        batch_op.alter_column('post_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('message')
