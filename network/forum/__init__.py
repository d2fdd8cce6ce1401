"""Discussion: themes, threads, replies, mentions, notifications, unread tracking and search."""
from flask import Blueprint

bp = Blueprint("forum", __name__)
