"""Private messages: one-to-one conversations between members, who may write to whom, blocks and reports."""
from flask import Blueprint

bp = Blueprint("messages", __name__)
