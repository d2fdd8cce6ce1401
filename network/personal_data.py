"""What the network holds about a member: each feature declares its part, for export and erasure.

This module holds only the mechanism. A feature registers, next to its models, one ``Part`` per
kind of personal data it keeps (``register(Part(...))``), naming the tables the part covers. The
account export (``/account/export``) writes every part's rows; the erasure (``/account/delete``)
runs every part's ``erase``. A table that references a user but holds nothing personal is named
with ``not_personal(table, reason)``. A test derives from the SQLAlchemy metadata every table
with a foreign key to ``user`` and fails unless a part covers it or it is declared not personal.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a foundation imports no feature at run time
    from network.auth.models import User


@dataclass(frozen=True)
class Erasure:
    """One erasure being carried out: whose, whether their posts go too, and who asked."""

    user: User
    delete_posts: bool
    # None when the member erases their own account; the admin otherwise.
    by: User | None = None
    reason: str = ""


@dataclass(frozen=True)
class Part:
    """One kind of personal data a feature keeps about a member.

    ``export(user)`` yields JSON-ready mappings, one per row, lazily (a member may have 10,000
    posts); ``readable(user)`` yields Markdown text for the human-readable copy (optional);
    ``erase(erasure)`` removes or anonymises the member's rows inside the caller's transaction.
    """

    name: str  # the export's file stem: "posts" becomes posts.json and posts.md
    tables: tuple[str, ...]
    export: Callable[[User], Iterable[Mapping[str, Any]]]
    erase: Callable[[Erasure], None] | None = None
    readable: Callable[[User], Iterable[str]] | None = None
    # Parts erase in ascending order (rows that others reference go last).
    erase_order: int = 100
    files: Callable[[User], Iterable[tuple[str, bytes]]] | None = field(default=None)


PARTS: dict[str, Part] = {}
NOT_PERSONAL: dict[str, str] = {}


def register(part: Part) -> Part:
    """Declare a feature's part; called at import time next to the feature's models."""
    if part.name in PARTS and PARTS[part.name] != part:
        raise ValueError(f"Personal-data part {part.name!r} is registered twice")
    PARTS[part.name] = part
    return part


def not_personal(table: str, reason: str) -> None:
    """Declare that ``table`` references a user without holding personal data, and why."""
    NOT_PERSONAL[table] = reason


def covered_tables() -> set[str]:
    """Every table some registered part exports."""
    return {table for part in PARTS.values() for table in part.tables}
