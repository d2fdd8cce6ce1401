"""A time budget for expensive queries (searches): no request may hold a worker for long.

SQLite's progress handler interrupts a statement past the deadline; PostgreSQL gets
``SET LOCAL statement_timeout`` for the transaction. Either way ``QueryTooSlow`` is raised,
the transaction is rolled back and one log line (no search words, no member) is written.
``QUERY_TIME_BUDGET_MS`` configures it (``NETWORK_QUERY_TIME_BUDGET_MS`` wins).
"""
import sqlite3
import time
from contextlib import contextmanager

from flask import current_app, request
from sqlalchemy.exc import OperationalError

from network.extensions import db

# SQLite calls the handler every this many virtual machine instructions (a few microseconds).
PROGRESS_STEPS = 1000


class QueryTooSlow(Exception):
    """A query ran past its time budget and was ended."""


@contextmanager
def query_budget(budget_ms: int | None = None):
    """Run the block's queries under a time budget; raises ``QueryTooSlow`` when it runs out."""
    budget_ms = int(budget_ms or current_app.config["QUERY_TIME_BUDGET_MS"])
    connection = db.session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {budget_ms}")
    else:
        raw = connection.connection.driver_connection
        deadline = time.monotonic() + budget_ms / 1000
        raw.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    try:
        yield
    except OperationalError as error:
        if not _ran_out_of_time(error):
            raise
        db.session.rollback()  # on PostgreSQL this also ends the SET LOCAL
        current_app.logger.warning("Query ended after its time budget of %d ms on %s", budget_ms, request.endpoint)
        raise QueryTooSlow() from error
    else:
        if postgresql:
            connection.exec_driver_sql("SET LOCAL statement_timeout = DEFAULT")
    finally:
        if not postgresql:
            raw.set_progress_handler(None, 0)


def _ran_out_of_time(error: OperationalError) -> bool:
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return "interrupted" in str(original)
    return getattr(original, "sqlstate", None) == "57014"  # PostgreSQL: query_canceled
