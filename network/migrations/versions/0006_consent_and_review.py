"""security: cohort invitations an existing member accepts or declines; author edits awaiting approval

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (SQLite >= 3.35): a batch copy of `post` would break the forum's FTS triggers.
    op.add_column('invitation', sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('post', sa.Column('pending_body_source', sa.Text(), nullable=True))
    op.add_column('post', sa.Column('pending_body_html', sa.Text(), nullable=True))
    op.add_column('post', sa.Column('pending_edited_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('post', 'pending_edited_at')
    op.drop_column('post', 'pending_body_html')
    op.drop_column('post', 'pending_body_source')
    op.drop_column('invitation', 'declined_at')
