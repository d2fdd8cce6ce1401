"""Profiles, the cross-organisation directory, organisation pages and contact cards."""
from flask import Blueprint

bp = Blueprint("people", __name__)
