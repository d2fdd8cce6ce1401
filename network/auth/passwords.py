"""Password hashing (argon2id) and the common-password list."""
import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

HERE = Path(__file__).resolve().parent
MIN_LENGTH = 8
MAX_LENGTH = 128


def _hasher() -> PasswordHasher:
    # Tests lower the cost through config; production keeps argon2-cffi's defaults.
    config = current_app.config
    return PasswordHasher(
        time_cost=config.get("ARGON2_TIME_COST", 3),
        memory_cost=config.get("ARGON2_MEMORY_COST", 65536),
        parallelism=config.get("ARGON2_PARALLELISM", 4),
    )


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; never raises on bad hashes."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than configured now."""
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to allow, in lower case."""
    with gzip.open(HERE / "common-passwords.txt.gz", "rt", encoding="utf-8") as handle:
        words = {line.strip().lower() for line in handle}
    extra = (HERE / "common-passwords-sv.txt").read_text(encoding="utf-8").splitlines()
    words.update(line.strip().lower() for line in extra if line and not line.startswith("#"))
    return frozenset(w for w in words if w)


def is_common(password: str) -> bool:
    """True when ``password`` is on the common-password list."""
    return password.strip().lower() in common_passwords()
