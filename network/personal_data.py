"""What the network holds about a member: each feature declares its part, for export and erasure.

This module holds only the mechanism. A feature registers, next to its models, one ``Part`` per
kind of personal data it keeps (``register(Part(...))``), naming the tables the part covers, and
one ``Eraser`` per kind of data it removes or anonymises (``register_eraser(Eraser(...))``). The
account export (``/account/export``) writes every part's rows; the erasure (``/account/delete``)
runs every eraser in order. A table that references a user but holds nothing personal is named
with ``not_personal(table, reason)``. Tests derive from the SQLAlchemy metadata every table with a
foreign key to ``user`` and fail unless a part (and an eraser) covers it or it is declared not
personal.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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
    ``files(user)`` yields (name, bytes) pairs stored as they are (an avatar picture).
    """

    name: str  # the export's file stem: "posts" becomes posts.json and posts.md
    tables: tuple[str, ...]
    export: Callable[[User], Iterable[Mapping[str, Any]]]
    readable: Callable[[User], Iterable[str]] | None = None
    files: Callable[[User], Iterable[tuple[str, bytes]]] | None = None
    # What the part holds, in a few words for the export's README (a lazily translated string).
    title: Any = ""


@dataclass(frozen=True)
class Eraser:
    """How one kind of a member's data is removed or anonymised when the member is erased.

    ``erase(erasure)`` works inside the caller's transaction (flush, never commit) and may return
    how many rows it removed or anonymised (shown to the member). Erasers run in ascending
    ``order``: rows that others reference go last. ``label`` names the kind for the member.
    """

    name: str
    tables: tuple[str, ...]
    erase: Callable[[Erasure], int | None]
    order: int = 100
    label: Any = None


PARTS: dict[str, Part] = {}
ERASERS: dict[str, Eraser] = {}
NOT_PERSONAL: dict[str, str] = {}
# Tables whose rows stay after an erasure, pointing at the anonymised account row ("former member").
KEPT_ANONYMISED: dict[str, str] = {}


def register(part: Part) -> Part:
    """Declare a feature's part; called at import time next to the feature's models."""
    if part.name in PARTS and PARTS[part.name] != part:
        raise ValueError(f"Personal-data part {part.name!r} is registered twice")
    PARTS[part.name] = part
    return part


def register_eraser(eraser: Eraser) -> Eraser:
    """Declare how a feature erases one kind of a member's data; called at import time."""
    if eraser.name in ERASERS and ERASERS[eraser.name] != eraser:
        raise ValueError(f"Eraser {eraser.name!r} is registered twice")
    ERASERS[eraser.name] = eraser
    return eraser


def not_personal(table: str, reason: str) -> None:
    """Declare that ``table`` references a user without holding personal data, and why."""
    NOT_PERSONAL[table] = reason


def kept_anonymised(table: str, reason: str) -> None:
    """Declare that ``table``'s rows outlive an erasure, naming the erased member only through the
    anonymised account row (a kept post's author, a log entry's moderator), and why."""
    KEPT_ANONYMISED[table] = reason


def erasers() -> list[Eraser]:
    """Every registered eraser in the order they run."""
    return sorted(ERASERS.values(), key=lambda eraser: (eraser.order, eraser.name))


def covered_tables() -> set[str]:
    """Every table some registered part exports."""
    return {table for part in PARTS.values() for table in part.tables}


def erased_tables() -> set[str]:
    """Every table some registered eraser handles."""
    return {table for eraser in ERASERS.values() for table in eraser.tables}
