"""The journal's encryption keys: kept outside the database, AES-GCM, one key id per row.

Keys come from ``JOURNAL_KEY`` (base64; several separated by commas, the last one current)
or from ``instance/journal.key`` (one base64 key per line, the last one current), which is
created with mode 600 by ``flask prepare`` or at the journal's first use, never by the app
factory. Key ids are fingerprints, so they do not depend on where a key is kept.
"""
import base64
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from network.extensions import db

KEY_FILE = "journal.key"
EXTENSION = "journal_keyring"


class JournalKeyError(RuntimeError):
    """The journal cannot be served: its key is missing or does not match the stored entries."""


class EntryUnreadable(Exception):
    """A stored entry failed authentication or its key is unknown (tampered or wrong key)."""


def key_id(key: bytes) -> str:
    """A short, stable fingerprint naming a key."""
    return hashlib.sha256(b"vaxthuset-journal-key:" + key).hexdigest()[:16]


def associated_data(entry_id: int, author_id: int) -> bytes:
    """Binds a ciphertext to its entry and author: moved rows fail to decrypt."""
    return f"vaxthuset-journal:v1:entry={entry_id}:author={author_id}".encode()


def decode_keys(text: str) -> list[bytes]:
    """Base64 keys separated by commas or newlines; each must be 256 bits."""
    try:
        keys = [base64.b64decode(part, validate=True) for part in text.replace(",", "\n").split()]
    except ValueError:
        keys = []
    if not keys or any(len(key) != 32 for key in keys):
        raise JournalKeyError("Journal keys must be base64-encoded 256-bit (32-byte) AES keys.")
    return keys


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


@dataclass
class Keyring:
    """Every key that can still decrypt entries; the last one encrypts new writes."""

    keys: dict[str, bytes] = field(default_factory=dict)
    current: str = ""
    path: Path | None = None  # set when the keys come from the key file
    mtime: float = 0.0
    ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def cipher(self, kid: str) -> AESGCM:
        if kid not in self.ciphers:
            self.ciphers[kid] = AESGCM(self.keys[kid])
        return self.ciphers[kid]

    @classmethod
    def from_keys(cls, keys: list[bytes], path: Path | None = None) -> "Keyring":
        ring = cls(keys={key_id(k): k for k in keys}, current=key_id(keys[-1]), path=path)
        ring.mtime = path.stat().st_mtime if path else 0.0
        return ring

    def refresh(self) -> None:
        """Pick up a rotated key file (another process rotated the key)."""
        if self.path is None or not self.path.exists() or self.path.stat().st_mtime == self.mtime:
            return
        fresh = Keyring.from_keys(decode_keys(self.path.read_text()), self.path)
        self.keys, self.current, self.mtime, self.ciphers = fresh.keys, fresh.current, fresh.mtime, {}

    def encrypt(self, plaintext: bytes, entry_id: int, author_id: int) -> tuple[str, bytes, bytes]:
        """(key id, fresh 96-bit nonce, ciphertext) for ``plaintext`` bound to the entry and author."""
        return self.seal(plaintext, associated_data(entry_id, author_id))

    def decrypt(self, kid: str, nonce: bytes, ciphertext: bytes, entry_id: int, author_id: int) -> bytes:
        """The plaintext, or EntryUnreadable when the key is unknown or the data was altered."""
        return self.unseal(kid, nonce, ciphertext, associated_data(entry_id, author_id))

    def seal(self, plaintext: bytes, bound_to: bytes) -> tuple[str, bytes, bytes]:
        """(key id, fresh 96-bit nonce, ciphertext) under the current key, bound to ``bound_to``."""
        self.refresh()
        nonce = os.urandom(12)
        return self.current, nonce, self.cipher(self.current).encrypt(nonce, plaintext, bound_to)

    def unseal(self, kid: str, nonce: bytes, ciphertext: bytes, bound_to: bytes) -> bytes:
        """What ``seal`` was given, or EntryUnreadable when the key is unknown or the data was altered."""
        if kid not in self.keys:
            self.refresh()
        if kid not in self.keys:
            raise EntryUnreadable(f"unknown key {kid}")
        try:
            return self.cipher(kid).decrypt(nonce, ciphertext, bound_to)
        except (InvalidTag, ValueError) as error:
            raise EntryUnreadable("authentication failed") from error


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Replace the key file atomically, readable by its owner only."""
    os.replace(written_beside(path, keys), path)


def written_beside(path: Path, keys: list[bytes]) -> Path:
    """A new file beside ``path`` (a temporary name, mode 600) holding ``keys``, on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(encode_key(k) + "\n" for k in keys))
        handle.flush()
        os.fsync(handle.fileno())
    return temporary


def stored_key_ids(app: Flask) -> set[str] | None:
    """Key ids the stored entries use (read only); None when the database cannot tell."""
    import network.models  # noqa: F401  -- every model, so the mappers can be configured

    with app.app_context():
        try:
            with db.engine.connect() as connection:
                return key_ids_in_use(connection)
        except DBAPIError:  # no schema yet (before `flask db upgrade`) or no database
            return None
        finally:
            db.engine.dispose()  # no connection outlives the check (nor crosses a pre-fork)


def key_ids_in_use(connection) -> set[str]:
    """Key ids the journal entries stored in the database behind ``connection`` use (read only)."""
    from network.journal.models import JournalEntry

    return set(connection.scalars(select(JournalEntry.key_id).distinct()))


def load_keyring(app: Flask, stored: set[str] | None) -> Keyring | None:
    """The configured keys, else the key file; None when there is neither and no entry needs one yet."""
    configured = app.config.get("JOURNAL_KEY")
    if configured:
        return Keyring.from_keys(decode_keys(configured))
    path = Path(app.instance_path) / KEY_FILE
    if path.exists():
        if path.stat().st_mode & 0o077:
            app.logger.warning("%s can be read by other users: run `chmod 600 %s`.", path, path)
        return Keyring.from_keys(decode_keys(path.read_text()), path)
    if stored:
        raise JournalKeyError(
            f"Journal entries exist but the journal key is missing: restore {path} "
            "(or set NETWORK_JOURNAL_KEY) before starting. A new key cannot read them."
        )
    return None


def create_key_file(path: Path) -> Keyring:
    """A new key file (mode 600) holding one fresh key; the existing one when another process won the race.

    The file appears complete or not at all: it is written under a temporary name and linked
    into place, so no process ever reads a half-written key.
    """
    if not path.exists():
        temporary = written_beside(path, [AESGCM.generate_key(bit_length=256)])
        try:
            os.link(temporary, path)
        except FileExistsError:  # another worker created it first
            pass
        finally:
            temporary.unlink()
    return Keyring.from_keys(decode_keys(path.read_text()), path)


def init_app(app: Flask) -> None:
    """Load the keyring at start; refuse to start when stored entries use keys we lack. Writes nothing."""
    stored = stored_key_ids(app)
    ring = load_keyring(app, stored)
    missing = (stored or set()) - set(ring.keys if ring else ())
    if missing:
        raise JournalKeyError(
            f"Journal entries are encrypted under key(s) {', '.join(sorted(missing))} that are not "
            "configured: restore the journal key before starting."
        )
    app.extensions[EXTENSION] = ring


def keyring() -> Keyring:
    """The running app's keyring; without a configured key or key file, the journal's first use creates the file."""
    ring = current_app.extensions[EXTENSION]
    if ring is None:
        ring = current_app.extensions[EXTENSION] = create_key_file(Path(current_app.instance_path) / KEY_FILE)
    return ring
