"""Two-factor log-in: TOTP codes from an authenticator app, single-use recovery codes, admin reset."""
from flask import Blueprint

bp = Blueprint("twofactor", __name__)
