"""Single-use link tokens: the link carries the token, the database only its hash."""
import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh URL-safe token and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """The stored form of ``token`` (SHA-256 hex; tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
