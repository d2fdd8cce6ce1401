"""Flask extensions, created unbound and initialised by the app factory."""
import enum

from flask import has_request_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

from network.inputs import query_int


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names (Alembic needs them)."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, storing the values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Database(SQLAlchemy):
    """Flask-SQLAlchemy whose ``paginate`` reads ``?page=`` within range (2^64 is page 1, not an overflow)
    and never takes ``?per_page=`` from the URL."""

    def paginate(self, select, *, page: int | None = None, per_page: int = 20, **options):
        if page is None:
            page = query_int("page", 1) if has_request_context() else 1
        return super().paginate(select, page=page, per_page=per_page, **options)


db = Database(model_class=Base)


def checkpoint_sqlite_wal() -> None:
    """SQLite: copy the WAL into the database file and truncate it, so pages that ``secure_delete``
    zeroed replace the copies the WAL still held. Nothing on other databases, nor inside a
    transaction that is still open (a test's, rolled back at its end)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
login = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
