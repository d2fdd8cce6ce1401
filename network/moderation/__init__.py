"""Moderation: flags, the queue, actions with their audit log; hooks into the forum by signals."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)

from network.moderation import receivers  # noqa: E402,F401  (connects moderation to the forum's signals)
