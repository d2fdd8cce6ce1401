"""The programme: organisations, cohorts and their conferences and study trips."""
from flask import Blueprint

bp = Blueprint("programme", __name__)
