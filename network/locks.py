"""Row locks that hold on PostgreSQL and SQLite alike, for check-then-write rules.

A rule such as "no identical post twice" reads, then writes. Two requests that both read
before either writes would both pass. Taking a lock first makes the second request wait
until the first has committed, and then read what the first wrote.
"""
from sqlalchemy import inspect, select

from network.extensions import db


def lock_row(entity, row_id: int) -> None:
    """Lock the row of ``entity`` with primary key ``row_id`` until the transaction ends.

    PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` (rows that reference it can still be inserted).
    SQLite has no row locks: the transaction takes the database's write lock instead.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        key = inspect(entity).primary_key[0]
        db.session.execute(select(key).where(key == row_id).with_for_update(key_share=True))
        return
    sqlite = connection.connection.driver_connection
    # pysqlite opens a transaction only at the first write; until then reads see the latest
    # commit. BEGIN IMMEDIATE takes the write lock (waiting up to busy_timeout) before we read.
    if not sqlite.in_transaction:
        sqlite.execute("BEGIN IMMEDIATE")
