"""Accounts: log-in, log-out, invitations, password reset and account settings."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
