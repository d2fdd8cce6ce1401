"""The one permission vocabulary: small predicates used by views, templates and tests.

Views call ``require(can_x(user, obj))``; templates reach the same predicates as
``can.x(current_user, obj)``. Private objects are not checked here: their queries
filter by owner and answer 404 to everyone else.
"""
from flask import abort

from network.auth.models import Role, User
from network.programme.models import Cohort, MembershipRole


def is_member(user) -> bool:
    """Logged in with an active account."""
    return bool(user and user.is_authenticated and user.is_active)


def is_admin(user) -> bool:
    """An administrator of the whole network."""
    return is_member(user) and user.role == Role.ADMIN


def is_course_leader(user) -> bool:
    """A course leader (of any cohort)."""
    return is_member(user) and user.role == Role.COURSE_LEADER


def leads_cohort(user, cohort: Cohort) -> bool:
    """A course leader of this particular cohort."""
    return is_course_leader(user) and any(
        m.cohort_id == cohort.id and m.role == MembershipRole.COURSE_LEADER
        for m in user.memberships
    )


def in_cohort(user, cohort: Cohort) -> bool:
    """A participant or course leader of this cohort."""
    return is_member(user) and any(m.cohort_id == cohort.id for m in user.memberships)


def can_see_cohort_members(user, cohort: Cohort) -> bool:
    """Sees who belongs to a cohort: its own members, and administrators."""
    return is_admin(user) or in_cohort(user, cohort)


def can_manage_programme(user) -> bool:
    """May manage organisations, users and all cohorts."""
    return is_admin(user)


def can_manage_cohort(user, cohort: Cohort) -> bool:
    """May edit a cohort, its events and its memberships."""
    return is_admin(user) or leads_cohort(user, cohort)


def can_invite(user) -> bool:
    """May send invitations (admins to anything, course leaders to their cohorts)."""
    return is_admin(user) or is_course_leader(user)


def can_invite_as(user, role: Role, cohort: Cohort | None) -> bool:
    """May invite someone with ``role`` into ``cohort``."""
    if is_admin(user):
        return True
    return (
        is_course_leader(user)
        and role == Role.PARTICIPANT
        and cohort is not None
        and leads_cohort(user, cohort)
    )


def can_manage_user(user, other: User) -> bool:
    """May suspend, reactivate or change the role of another member."""
    return is_admin(user) and user.id != other.id


def can_view_admin(user) -> bool:
    """Sees the administration area at all."""
    return is_admin(user) or is_course_leader(user)


def require(allowed: bool) -> None:
    """Abort with 403 unless ``allowed``."""
    if not allowed:
        abort(403)


def can_write_journal(user) -> bool:
    """Keeps a private journal (every active member; entries are filtered by author in queries)."""
    return is_member(user)


def can_manage_prompts(user, cohort: Cohort) -> bool:
    """May write and remove reflection prompts for a cohort: its course leaders and administrators."""
    return is_admin(user) or leads_cohort(user, cohort)
