"""Erasure and retention: one service runs every feature's erasers; the purge finds who goes.

Functions flush, never commit (the view or command commits once), except ``scrub_storage`` and
``vacuum``, which run after that commit: they act on the database file, not on rows.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from network import personal_data, search
from network.auth import services as accounts
from network.auth.models import Role, User
from network.extensions import checkpoint_sqlite_wal, db
from network.mail import send_localised
from network.moderation import services as moderation
from network.moderation.models import ActionKind
from network.personal_data import Erasure
from network.urls import mail_url


class LastAdministrator(Exception):
    """The network's last administrator cannot be erased: nobody could administer it afterwards."""


def erase_member(erasure: Erasure) -> dict[str, int | None]:
    """Erase the member's data with every registered eraser, in order, in the caller's transaction;
    log an administrator's erasure and mail the confirmation to the old address. How many rows each
    kind lost (None: the eraser did not say), by eraser name.

    Raises LastAdministrator (before changing anything) for the last active administrator.
    """
    user = erasure.user
    if user.role == Role.ADMIN and accounts.count_admins() <= 1:
        raise LastAdministrator(user.id)
    address, language = user.email, user.language
    summary = {eraser.name: eraser.erase(erasure) for eraser in personal_data.erasers()}
    if erasure.by is not None:  # recorded once anonymised: the log names a former member
        moderation.record(erasure.by, ActionKind.ERASE_MEMBER, member=user, reason=erasure.reason)
    send_localised(address, language, lambda: (
        _("Your account in Växthuset Network has been deleted"),
        render_template("mail/account_erased.txt", summary=summary_lines(summary), by_admin=erasure.by is not None),
    ), erase_when_sent=True)
    return summary


def summary_lines(summary: dict[str, int | None]) -> list[tuple[str, int | None]]:
    """(label, count) for each kind that held something, in the order the erasers ran."""
    lines = []
    for eraser in personal_data.erasers():
        count = summary.get(eraser.name)
        if eraser.name in summary and count != 0:
            lines.append((str(eraser.label or eraser.name), count))
    return lines


# The database file ---------------------------------------------------------------------------

def scrub_storage(all_indexes: bool = False) -> None:
    """After an erasure committed: leave nothing of it readable in SQLite's files.

    Connections run with ``secure_delete`` (freed space is zeroed). The full-text indexes keep
    deleted words in their segments until merged: the directory's index (names, small) is merged
    every time; the forum's (200,000 posts: about 10 s) only with ``all_indexes``, by the nightly
    purge. Then the WAL is copied into the database file and truncated. PostgreSQL: nothing here,
    dead rows go with VACUUM (``vacuum``, run by the purge).
    """
    if db.engine.dialect.name != "sqlite":
        return
    search.forget_deleted_words(posts=all_indexes)
    db.session.commit()
    checkpoint_sqlite_wal()


def vacuum() -> None:
    """PostgreSQL: VACUUM, so the rows an erasure deleted or rewrote leave the tables' pages (it
    cannot run in a transaction: an autocommit connection of its own). SQLite: nothing to do."""
    if db.engine.dialect.name != "postgresql":
        return
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM")


# Retention -------------------------------------------------------------------------------------

@dataclass
class PurgePlan:
    """Who the retention purge warns now and who it erases now."""

    to_warn: list[User]
    to_erase: list[User]


def last_activity():
    """SQL for a member's last activity: the last page view, else when the account was made."""
    return func.coalesce(User.last_seen_at, User.created_at)


def purge_plan(now: datetime, inactive_days: int, grace_days: int) -> PurgePlan:
    """Members inactive ``inactive_days`` who were not warned yet (or were active since their
    warning), and those warned ``grace_days`` ago or more and inactive since. Never administrators."""
    idle_since = now - timedelta(days=inactive_days)
    candidates = (select(User).where(User.erased_at.is_(None), User.role != Role.ADMIN, last_activity() < idle_since)
                  .order_by(User.id))
    to_warn = db.session.scalars(candidates.where(or_(
        User.retention_warned_at.is_(None), User.retention_warned_at < last_activity()))).all()
    to_erase = db.session.scalars(candidates.where(
        User.retention_warned_at <= now - timedelta(days=grace_days),
        User.retention_warned_at >= last_activity())).all()
    return PurgePlan(list(to_warn), list(to_erase))


def warn(user: User, now: datetime, grace_days: int) -> None:
    """Mail the member that their account will be erased after ``grace_days`` unless they log in."""
    user.retention_warned_at = now
    login = mail_url("auth.login")
    send_localised(user.email, user.language, lambda: (
        _("Your account in Växthuset Network will be deleted"),
        render_template("mail/retention_warning.txt", user=user, days=grace_days, site=login),
    ))


def carry_out(plan: PurgePlan, now: datetime, grace_days: int) -> None:
    """Warn and erase as planned (posts kept under "former member"); the caller commits."""
    for user in plan.to_warn:
        warn(user, now, grace_days)
    for user in plan.to_erase:
        erase_member(Erasure(user=user, delete_posts=False))
