"""The member's data export (``/account/export``): every registered personal-data part in one ZIP.

Each part of ``network.personal_data`` becomes ``<name>.json`` (a JSON array, one object per row)
and ``<name>.md`` (the same, readable), its files go under ``files/``, and a README in the member's
language says what is where. The archive is written while it is sent: rows are read a batch at a
time and each compressed piece leaves as soon as it is made, so a member with 10,000 posts costs
a worker no more memory than one with ten.

The Markdown helpers at the end are what the features' ``personal.py`` files write their readable
copies with.
"""
import base64
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from network.auth.models import User
from network.labels import label, upper_first
from network.personal_data import PARTS, Part
from network.timeutil import utcnow

# Bytes gathered before a piece of the archive is sent: big enough for few, efficient writes.
CHUNK_SIZE = 64 * 1024


class Sink:
    """A write-only, unseekable buffer: the ZIP writer fills it, the response drains it.

    Without ``tell`` and ``seek`` zipfile writes each member's sizes after its data (a data
    descriptor), so nothing already written is ever revisited.
    """

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.pending = 0

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        self.pending += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        """What was written since the last drain."""
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.pending = 0
        return data


def archive_name(today: date) -> str:
    """The downloaded file's name, dated."""
    return f"vaxthuset-mina-uppgifter-{today.isoformat()}.zip"


def account_archive(user: User, parts: Iterable[Part] | None = None) -> Iterator[bytes]:
    """The ZIP of everything held about ``user``, piece by piece (for a streamed response).

    Reads the database while it is iterated: run it inside the request (``stream_with_context``).
    """
    parts = list(PARTS.values()) if parts is None else list(parts)
    sink = Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        yield from write_member(archive, sink, "README.md", [readme(user, parts)])
        for part in parts:
            yield from write_member(archive, sink, f"{part.name}.json", json_array(part.export(user)))
            if part.readable is not None:
                yield from write_member(archive, sink, f"{part.name}.md", part.readable(user))
            for name, data in part.files(user) if part.files is not None else ():
                archive.writestr(f"files/{name}", data)
                yield sink.drain()
    yield sink.drain()  # the central directory


def write_member(archive: zipfile.ZipFile, sink: Sink, name: str, pieces: Iterable[str]) -> Iterator[bytes]:
    """Write one file of the archive from text pieces, handing on compressed bytes as they gather."""
    with archive.open(name, "w") as member:
        for piece in pieces:
            member.write(piece.encode("utf-8"))
            if sink.pending >= CHUNK_SIZE:
                yield sink.drain()
    yield sink.drain()


def json_array(rows: Iterable[Any]) -> Iterator[str]:
    """A JSON array written one row at a time (never held whole)."""
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps(row, ensure_ascii=False, indent=2, default=json_value)
        separator = ",\n"
    yield "\n]\n"


def json_value(value: Any) -> Any:
    """JSON for what ``json`` does not know: dates and times as ISO 8601, enums by value, bytes
    in base64, anything else as its text (a part's odd value must not cut the download short)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def readme(user: User, parts: list[Part]) -> str:
    """The archive's README, in the member's language: what each file holds."""
    lines = [
        "# " + _("Your data in Växthuset Network"), "",
        _("Everything the network holds about %(name)s (%(email)s), exported %(when)s.",
          name=user.name, email=user.email, when=format_datetime(utcnow())), "",
        _("Each kind of data comes twice: a .json file (machine-readable, one object per row) and, "
          "where there is one, a .md file (readable). Pictures are in the files folder."), "",
        _("Other members' texts are not included: of discussions you get your own posts and the titles "
          "of the threads you took part in."), "",
        "## " + _("Contents"), "",
    ]
    for part in parts:
        files = [f"{part.name}.json"] + ([f"{part.name}.md"] if part.readable is not None else [])
        title = upper_first(part.title) if part.title else part.name
        lines.append(f"- {title}: " + ", ".join(f"`{name}`" for name in files))
    return "\n".join(lines) + "\n"


# Readable copies ----------------------------------------------------------------------------------

def readable_value(value: Any) -> str:
    """A value as a reader wants it: dates in Swedish time, enums by their translated label."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Enum):
        return label(value)
    if isinstance(value, list | tuple):
        return ", ".join(readable_value(item) for item in value)
    return str(value)


def markdown_record(heading: str, fields: Iterable[tuple[Any, Any]], text: str = "") -> str:
    """One row as a Markdown section: a heading, a line per field that has a value, then ``text``."""
    lines = [f"## {heading}", ""]
    lines += [f"- **{upper_first(name)}:** {readable_value(value)}" for name, value in fields
              if value is not None and value != "" and value != []]
    if text:
        lines += ["", text.strip()]
    return "\n".join(lines) + "\n\n"


def markdown_title(title: str) -> str:
    """The first line of a part's readable copy."""
    return f"# {upper_first(title)}\n\n"
