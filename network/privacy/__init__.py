"""Privacy: erasing an account (by the member or an administrator) and the retention purge."""
from flask import Blueprint

bp = Blueprint("privacy", __name__)
