"""Notifications: in-app notifications of every kind, email preferences, digests and unsubscribe."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)
