"""clean single-line text: remove control characters stored before every form cleaned its input

Titles, names and places stored with a line break or another control character (which broke the
mail built from them) become one clean line, as the forms now store them. Only rows holding a
control character change; a unique name is left alone if its clean form is already taken.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:45:00

"""
import sqlalchemy as sa
from alembic import op

from network.inputs import clean_line, has_control

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# (table, primary key, single-line columns, unique columns)
SINGLE_LINE = (
    ("user", "id", ("name",), ()),
    ("organisation", "id", ("name", "municipality"), ("name",)),
    ("cohort", "id", ("name",), ("name",)),
    ("programme_event", "id", ("title", "place"), ()),
    ("theme", "id", ("name_sv", "name_en"), ()),
    ("thread", "id", ("title",), ()),
    ("moderation_action", "id", ("subject",), ()),
    ("profile", "user_id", ("title", "phone", "languages", "link"), ()),
)


def clean_rows(connection) -> int:
    """Clean every listed column of every row holding a control character; how many values changed."""
    changed = 0
    for table_name, key, columns, unique in SINGLE_LINE:
        table = sa.table(table_name, sa.column(key), *(sa.column(name) for name in columns))
        for name in columns:
            column = table.c[name]
            rows = connection.execute(sa.select(table.c[key], column)).all()
            taken = {value for _, value in rows}
            for row_key, value in rows:
                if value is None or not has_control(value):
                    continue
                clean = clean_line(value)
                if name in unique and clean in taken:
                    continue
                connection.execute(sa.update(table).where(table.c[key] == row_key).values({name: clean}))
                taken.add(clean)
                changed += 1
    return changed


def upgrade():
    clean_rows(op.get_bind())


def downgrade():
    pass  # the control characters removed are not worth restoring
