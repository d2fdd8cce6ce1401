"""Administration: organisations, cohorts, events, users and invitations."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
