"""Start page and health check."""
from flask import current_app, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from network.auth import services as accounts
from network.core import bp
from network.extensions import db
from network.people import services as people
from network.programme import services as programme
from network.timeutil import local_today


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return render_template("core/welcome.html")
    cohort_ids = [m.cohort_id for m in current_user.memberships]
    events = programme.upcoming_events(cohort_ids, local_today())
    counterparts = people.counterparts(current_user, {current_user.organisation_id})
    invitations = db.session.scalars(accounts.cohort_invitations_stmt(current_user)).all()
    return render_template("core/home.html", events=events, counterparts=counterparts, invitations=invitations)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("Health check: database unreachable")
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


@bp.get("/accessibility")
def accessibility():
    return render_template("core/accessibility.html")
