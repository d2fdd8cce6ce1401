"""The one permission vocabulary: small predicates used by views, templates and tests.

Views call ``require(can_x(user, obj))``; templates reach the same predicates as
``can.x(current_user, obj)``. Predicates on forum objects (threads, posts) live with the
forum in ``network.forum.visibility``; templates reach them through ``can`` too. Private objects are not checked here: their queries
filter by owner and answer 404 to everyone else.
"""
from werkzeug.exceptions import Forbidden

from network.auth.models import Role, User
from network.people.models import Visibility
from network.programme.models import Cohort, MembershipRole, ProgrammeEvent
from network.programme.services import led_cohort_ids


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
    return cohort.id in led_cohort_ids(user)


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


def can_attend_event(user, event: ProgrammeEvent) -> bool:
    """May see and answer an event: everyone for network-wide events, else its cohort's members
    (participants and course leaders) and administrators."""
    return is_member(user) if event.cohort_id is None else can_see_cohort_members(user, event.cohort)


def can_create_network_events(user) -> bool:
    """Creates network-wide (alumni) events: administrators and course leaders."""
    return is_admin(user) or is_course_leader(user)


def can_manage_event(user, event: ProgrammeEvent) -> bool:
    """Edits or deletes an event: a cohort's events like the cohort; a network-wide event its
    administrators and the course leader who created it."""
    if event.cohort is not None:
        return can_manage_cohort(user, event.cohort)
    return is_admin(user) or (is_course_leader(user) and event.created_by_id == user.id)


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


def can_change_roles(user) -> bool:
    """Changes anyone's role, in the network or in a cohort: administrators only."""
    return is_admin(user)


def can_remove_from_cohort(user, cohort: Cohort, member: User) -> bool:
    """Takes a member out of a cohort: admins anyone; the cohort's course leaders only its
    participants (never a co-leader, an administrator or themselves)."""
    if is_admin(user):
        return True
    return (
        leads_cohort(user, cohort) and member.id != user.id and member.role == Role.PARTICIPANT
        and all(m.role == MembershipRole.PARTICIPANT for m in member.memberships if m.cohort_id == cohort.id)
    )


def can_manage_user(user, other: User) -> bool:
    """May suspend, reactivate or change the role of another member."""
    return is_admin(user) and user.id != other.id


def can_view_admin(user) -> bool:
    """Sees the administration area at all."""
    return is_admin(user) or is_course_leader(user)


def require(allowed: bool, message: str | None = None) -> None:
    """Abort with 403 unless ``allowed``; the error page says ``message`` when one is given."""
    if not allowed:
        error = Forbidden()
        error.user_message = message  # read by the 403 page (setup.register_errorhandlers)
        raise error


# Profiles and contact details ------------------------------------------------------

def is_self(user, member: User) -> bool:
    """The member themselves."""
    return is_member(user) and user.id == member.id


def shares_cohort(user, member: User) -> bool:
    """In at least one cohort together (as participant or course leader)."""
    mine = {m.cohort_id for m in user.memberships}
    return any(m.cohort_id in mine for m in member.memberships)


def can_see_contact(user, member: User, visibility) -> bool:
    """Sees a contact detail of ``member`` that has this visibility.

    Only me: the member alone. My cohorts: the member's cohort mates and course leaders,
    and administrators (who hold the account details anyway). The whole network: every member.
    """
    if is_self(user, member):
        return True
    if not is_member(user) or visibility == Visibility.PRIVATE:
        return False
    if visibility == Visibility.NETWORK:
        return True
    return is_admin(user) or shares_cohort(user, member)


def can_see_email(user, member: User) -> bool:
    """Sees the member's email address (profile page, directory and contact card)."""
    profile = getattr(member, "profile", None)
    visibility = profile.email_visibility if profile is not None else Visibility.COHORT
    return can_see_contact(user, member, visibility)


def can_see_phone(user, member: User) -> bool:
    """Sees the member's phone number."""
    profile = getattr(member, "profile", None)
    return profile is not None and bool(profile.phone) and can_see_contact(user, member, profile.phone_visibility)


def can_see_profile(user, member: User) -> bool:
    """Sees the whole profile: members listed in the directory; unlisted ones only themselves and administrators."""
    profile = getattr(member, "profile", None)
    listed = profile is not None and profile.in_directory and member.is_active
    return is_self(user, member) or is_admin(user) or (is_member(user) and listed)


def can_edit_profile(user, member: User) -> bool:
    """Edits a profile: only its member."""
    return is_self(user, member)

# Discussion ------------------------------------------------------------------

def can_manage_themes(user) -> bool:
    """May create, rename, reorder and archive themes: administrators and course leaders."""
    return is_admin(user) or is_course_leader(user)


def can_write_journal(user) -> bool:
    """Keeps a private journal (every active member; entries are filtered by author in queries)."""
    return is_member(user)


def can_manage_prompts(user, cohort: Cohort) -> bool:
    """May write and remove reflection prompts for a cohort: its course leaders and administrators."""
    return is_admin(user) or leads_cohort(user, cohort)

# Moderation ------------------------------------------------------------------

def can_moderate(user) -> bool:
    """Moderates something: administrators and course leaders (the queue and the log)."""
    return is_admin(user) or is_course_leader(user)


def can_suspend(user, member: User) -> bool:
    """May suspend or reactivate a member: admins anyone but themselves (network-wide);
    course leaders only participants of a cohort they lead."""
    if member is None or not is_member(user) or user.id == member.id:
        return False
    if is_admin(user):
        return True
    led = led_cohort_ids(user)
    return member.role == Role.PARTICIPANT and any(m.cohort_id in led for m in member.memberships)


def can_erase_member(user, member: User) -> bool:
    """May carry out an erasure request for another member (their own account: /account/delete)."""
    return is_admin(user) and user.id != member.id and not member.is_erased
