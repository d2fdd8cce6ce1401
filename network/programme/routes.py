"""Members' view of cohorts and their programme events."""
from flask import abort, render_template
from flask_login import current_user, login_required

from network import permissions
from network.programme import bp, services


@bp.get("/cohorts")
@login_required
def cohorts():
    return render_template("programme/cohorts.html", cohorts=services.cohorts_with_counts())


@bp.get("/cohorts/<int:cohort_id>")
@login_required
def cohort(cohort_id: int):
    cohort = services.cohort_with_people(cohort_id)
    if cohort is None:
        abort(404)
    members = services.members_by_role(cohort) if permissions.can_see_cohort_members(current_user, cohort) else None
    return render_template("programme/cohort.html", cohort=cohort, members=members)
