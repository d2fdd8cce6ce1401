"""Row locks that hold on PostgreSQL and SQLite alike, for check-then-write rules.

A rule such as "no identical post twice" reads, then writes. Two requests that both read
before either writes would both pass. Taking a lock first makes the second request wait
until the first has committed, and then read what the first wrote.
"""
from sqlalchemy import inspect, select, update

from network.extensions import db


def lock_row(entity, row_id: int) -> None:
    """Lock the row of ``entity`` with primary key ``row_id`` until the transaction ends.

    PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` (rows that reference it can still be inserted).
    SQLite has no row locks: a write that changes nothing takes the database's write lock,
    and pysqlite starts the transaction only at that write, so the reads after it are fresh.
    """
    key = inspect(entity).primary_key[0]
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(key).where(key == row_id).with_for_update(key_share=True))
    else:
        db.session.execute(
            update(entity).where(key == row_id).values({key.name: key}).execution_options(synchronize_session=False)
        )
