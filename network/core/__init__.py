"""The start page, the health check and other site-wide pages."""
from flask import Blueprint

bp = Blueprint("core", __name__)
