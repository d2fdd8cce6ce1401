"""The private reflection journal: entries encrypted at rest, readable by their author alone."""
from flask import Blueprint

bp = Blueprint("journal", __name__, url_prefix="/journal")
