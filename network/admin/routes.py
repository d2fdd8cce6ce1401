"""Administration views. Admins manage everything; course leaders their own cohorts."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from network import mail, permissions
from network.admin import bp, services
from network.admin.forms import (
    CohortForm,
    EventForm,
    InvitationForm,
    MemberForm,
    OrganisationForm,
    UserForm,
)
from network.auth import services as accounts
from network.auth.models import Invitation, Role, User, UserStatus
from network.labels import label
from network.extensions import db
from network.inputs import query_text
from network.permissions import require
from network.programme import services as programme
from network.programme.models import Cohort, EventKind, MembershipRole, Organisation, ProgrammeEvent
from network.timeutil import utcnow
from network.twofactor import services as twofactor
from network.twofactor.forms import ResetForm


@bp.before_request
@login_required
def only_staff():
    require(permissions.can_view_admin(current_user))


def cohort_scope() -> frozenset[int] | None:
    """The cohorts the current user administers: None for admins (all cohorts), else those they lead."""
    if permissions.is_admin(current_user):
        return None
    return programme.led_cohort_ids(current_user)


@bp.get("/")
def index():
    return render_template("admin/index.html")


# Organisations ---------------------------------------------------------------

@bp.get("/organisations")
def organisations():
    require(permissions.can_manage_programme(current_user))
    return render_template("admin/organisations.html", rows=programme.organisations_with_counts())


@bp.route("/organisations/new", methods=["GET", "POST"], defaults={"organisation_id": None})
@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
def edit_organisation(organisation_id: int | None):
    require(permissions.can_manage_programme(current_user))
    organisation = db.get_or_404(Organisation, organisation_id) if organisation_id else None
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        saved = save_named(form, organisation or Organisation(), _("An organisation with this name exists already."))
        if saved is not None:
            flash(_("The organisation is saved."), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation_form.html", form=form, organisation=organisation)


def save_named(form, obj, taken_message: str):
    """Save a uniquely named organisation or cohort from its form; None (with a form error) on a clash."""
    model = type(obj)
    if services.name_taken(model, form.name.data, obj.id):
        form.name.errors.append(taken_message)
        return None
    form.populate_obj(obj)
    obj.name = obj.name.strip()
    if isinstance(obj, Cohort):
        obj.description = obj.description or ""
    db.session.add(obj)
    try:
        db.session.commit()
    except IntegrityError:  # created by someone else a moment ago
        db.session.rollback()
        form.name.errors.append(taken_message)
        return None
    return obj


# Cohorts and events ------------------------------------------------------------

@bp.get("/cohorts")
def cohorts():
    return render_template("admin/cohorts.html", rows=programme.cohorts_with_counts(cohort_scope()))


@bp.route("/cohorts/new", methods=["GET", "POST"], defaults={"cohort_id": None})
@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
def edit_cohort(cohort_id: int | None):
    cohort = db.get_or_404(Cohort, cohort_id) if cohort_id else None
    require(permissions.can_manage_cohort(current_user, cohort) if cohort else permissions.is_admin(current_user))
    form = CohortForm(obj=cohort)
    if form.validate_on_submit():
        saved = save_named(form, cohort or Cohort(), _("A cohort with this name exists already."))
        if saved is not None:
            flash(_("The cohort is saved."), "success")
            return redirect(url_for("admin.cohort", cohort_id=saved.id))
    return render_template("admin/cohort_form.html", form=form, cohort=cohort)


@bp.get("/cohorts/<int:cohort_id>")
def cohort(cohort_id: int):
    cohort = programme.cohort_with_people(cohort_id) or abort(404)
    require(permissions.can_manage_cohort(current_user, cohort))
    return render_template(
        "admin/cohort.html", cohort=cohort, members=programme.members_by_role(cohort),
        member_form=MemberForm(formdata=None),
    )


@bp.post("/cohorts/<int:cohort_id>/members")
def add_member(cohort_id: int):
    """Invite an existing member into the cohort: they join only when they accept. The answer is
    the same whether or not the email has an account, so the form reveals no addresses."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(permissions.can_manage_cohort(current_user, cohort))
    form = MemberForm()
    if not permissions.is_admin(current_user):
        form.role.choices = [c for c in form.role.choices if c.value == MembershipRole.PARTICIPANT.value]
    if not form.validate_on_submit():
        flash(_("Enter the member's email address."), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    member = accounts.user_by_email(form.email.data)
    existing = programme.membership(member, cohort) if member is not None else None
    if existing is not None and permissions.can_change_roles(current_user):  # already in: only the role changes
        existing.role = MembershipRole(form.role.data)
        db.session.commit()
        flash(_("%(name)s is now %(role)s in %(cohort)s.", name=member.name, role=label(existing.role),
                cohort=cohort.name), "success")
        return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    role = Role.COURSE_LEADER if form.role.data == MembershipRole.COURSE_LEADER.value else Role.PARTICIPANT
    _invite_existing(form.email.data, cohort, role, current_user.organisation)
    flash(_("If %(email)s belongs to a member who is not in %(cohort)s yet, they are invited and join "
            "once they accept.", email=accounts.normalise_email(form.email.data), cohort=cohort.name), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


def _invite_existing(email: str, cohort: Cohort, role: Role, organisation: Organisation) -> None:
    """Invite the member with this email (if any) into the cohort; the mail leaves after the commit."""
    invited = accounts.invite_member_to_cohort(current_user, email, cohort, role, organisation)
    if invited is not None:
        invitation, token = invited
        accounts.send_cohort_invitation(invitation, token, accounts.user_by_email(invitation.email))
    db.session.commit()


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
def remove_member(cohort_id: int, user_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    require(permissions.can_manage_cohort(current_user, cohort))
    user = db.get_or_404(User, user_id)
    require(permissions.can_remove_from_cohort(current_user, cohort, user))
    if not programme.remove_member(user, cohort):
        abort(404)
    db.session.commit()
    flash(_("%(name)s is no longer in %(cohort)s.", name=user.name, cohort=cohort.name), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/events/new", methods=["GET", "POST"])
def new_event(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    require(permissions.can_manage_cohort(current_user, cohort))
    return _event_form(cohort, ProgrammeEvent())


@bp.get("/events")
def network_events():
    """Network-wide events (alumni meetings), for everyone: administrators and course leaders create them."""
    require(permissions.can_create_network_events(current_user))
    return render_template("admin/network_events.html", events=programme.network_events())


@bp.route("/events/new", methods=["GET", "POST"])
def new_network_event():
    require(permissions.can_create_network_events(current_user))
    return _event_form(None, ProgrammeEvent())


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    event = services.event_or_none(event_id) or abort(404)
    require(permissions.can_manage_event(current_user, event))
    return _event_form(event.cohort, event)


def _event_form(cohort: Cohort | None, event: ProgrammeEvent):
    """Create or edit a cohort's event (``cohort``) or a network-wide one (None)."""
    is_new = event.id is None
    times = {} if is_new else {"start_time": event.local_start.time(), "end_time": event.local_end.time()}
    form = EventForm(obj=None if is_new else event, cohort=cohort, **times)
    if form.validate_on_submit():
        event.cohort = cohort
        programme.save_event(
            event, current_user, starts_at=form.starts_at, ends_at=form.ends_at, kind=EventKind(form.kind.data),
            title=form.title.data, place=form.place.data, address=form.address.data or "",
            description=form.description.data or "",
        )
        db.session.commit()
        flash(_("The programme event is saved."), "success")
        return redirect(_events_page(cohort))
    return render_template("admin/event_form.html", form=form, cohort=cohort, event=None if is_new else event)


def _events_page(cohort: Cohort | None) -> str:
    """Where an event's administration returns to: its cohort, or the network-wide events."""
    return url_for("admin.cohort", cohort_id=cohort.id) if cohort else url_for("admin.network_events")


@bp.route("/events/<int:event_id>/delete", methods=["GET", "POST"])
def delete_event(event_id: int):
    """Asks first (GET); deletes on the confirming POST, with the journal's links to it."""
    event = services.event_or_none(event_id) or abort(404)
    require(permissions.can_manage_event(current_user, event))
    if request.method == "GET":  # the POST's CSRF token is checked for every form (CSRFProtect)
        return render_template("admin/event_delete.html", event=event, back=_events_page(event.cohort))
    cohort = event.cohort
    db.session.delete(event)
    db.session.commit()
    flash(_("The programme event is deleted."), "success")
    return redirect(_events_page(cohort))


# Users ---------------------------------------------------------------------------

@bp.get("/users")
def users():
    require(permissions.can_manage_programme(current_user))
    query = query_text("q")
    page = db.paginate(services.users_stmt(query), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("admin/users.html", page=page, query=query)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.is_erased:  # nothing is left to manage
        abort(404)
    require(permissions.can_manage_programme(current_user))
    form = UserForm(obj=user)
    form.organisation_id.choices = services.organisation_choices()
    editable = permissions.can_manage_user(current_user, user)
    if form.validate_on_submit():
        require(editable)
        user.name = form.name.data.strip()
        user.role = Role(form.role.data)
        user.organisation_id = form.organisation_id.data
        accounts.set_status(user, UserStatus(form.status.data))
        db.session.commit()
        flash(_("The account is saved."), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, editable=editable,
                           second_factor=twofactor.second_factor_of(user), two_factor_form=ResetForm(prefix="two-factor", formdata=None))


# Invitations -----------------------------------------------------------------------

@bp.route("/invitations", methods=["GET", "POST"])
def invitations():
    require(permissions.can_invite(current_user))
    cohort_ids = cohort_scope()
    form = InvitationForm()
    form.organisation_id.choices = services.organisation_choices()
    form.cohort_id.choices = ([SelectChoice(0, _("No cohort"))] if cohort_ids is None else []) + services.cohort_choices(cohort_ids)
    if cohort_ids is not None:
        form.role.choices = [c for c in form.role.choices if c.value == Role.PARTICIPANT.value]
    if form.validate_on_submit() and _send_invitation(form):
        return redirect(url_for("admin.invitations"))
    page = db.paginate(services.invitations_stmt(cohort_ids), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("admin/invitations.html", form=form, page=page, now=utcnow())


def _send_invitation(form: InvitationForm) -> bool:
    """Invite someone new, or an existing member into a cohort; False (with a form error) when refused."""
    organisation = db.session.get(Organisation, form.organisation_id.data)
    cohort = db.session.get(Cohort, form.cohort_id.data) if form.cohort_id.data else None
    role = Role(form.role.data)
    require(permissions.can_invite_as(current_user, role, cohort))
    if accounts.email_taken(form.email.data):
        if cohort is None:  # admins only: they see every account anyway
            form.email.errors.append(_("This person already has an account."))
            return False
        # Into a cohort, members with an account get an invitation they accept: answered like any other.
        _invite_existing(form.email.data, cohort, role, organisation)
        flash(_("The invitation has been sent to %(email)s.", email=accounts.normalise_email(form.email.data)),
              "success")
        return True
    invitation, token = accounts.create_invitation(
        inviter=current_user, email=form.email.data, role=role, organisation=organisation, cohort=cohort
    )
    accounts.send_invitation(invitation, token, form.language.data)
    db.session.commit()  # the mail leaves after this commit
    flash(_("The invitation has been sent to %(email)s.", email=invitation.email), "success")
    return True


@bp.post("/invitations/<int:invitation_id>/revoke")
def revoke_invitation(invitation_id: int):
    invitation = db.get_or_404(Invitation, invitation_id)
    cohort_ids = cohort_scope()
    if cohort_ids is not None and invitation.cohort_id not in cohort_ids:
        abort(404)
    if invitation.is_open(utcnow()):
        invitation.revoked_at = utcnow()
        db.session.commit()
        flash(_("The invitation is revoked."), "success")
    return redirect(url_for("admin.invitations"))


# Outgoing mail ---------------------------------------------------------------------

@bp.get("/outbox")
def outbox():
    """Mail that could not be delivered, and how much waits: admins only."""
    require(permissions.is_admin(current_user))
    page = db.paginate(mail.failed_messages_stmt(), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("admin/outbox.html", page=page, backlog=mail.backlog(), now=utcnow())


@bp.post("/outbox/<int:message_id>/retry")
def retry_mail(message_id: int):
    require(permissions.is_admin(current_user))
    message = mail.failed_message(message_id) or abort(404)
    mail.retry(message)
    db.session.commit()
    flash(_("The message will be sent again."), "success")
    return redirect(url_for("admin.outbox"))
