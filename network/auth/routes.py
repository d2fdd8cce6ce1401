"""Account views: thin — load, authorize, call a service, commit once, render or redirect."""
import hmac

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from network.auth import bp, services
from network.auth.services import current_password_ok  # also used by the account's erasure (privacy)
from network.auth.forms import (
    AccountForm,
    InvitationAcceptForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    PasswordResetRequestForm,
)
from network.auth.models import UserStatus
from network.extensions import db, limiter
from network.extensions import login as login_manager
from network.timeutil import utcnow
from network.urls import safe_next


@login_manager.user_loader
def load_user(identity: str):
    return services.load_session_user(identity)


def _email_key() -> str:
    # Keyed HMAC of the address: limiter keys reach storage and Flask-Limiter's log lines.
    email = services.normalise_email(request.form.get("email", ""))
    return hmac.new(current_app.config["SECRET_KEY"].encode(), email.encode(), "sha256").hexdigest()


def _account_key() -> str:
    return "account:" + _email_key()


def _account_address_key() -> str:
    return f"{_account_key()}:from:{get_remote_address()}"


def _login_failed(response) -> bool:
    # Only failed attempts count against the account: a success redirects.
    return response.status_code != 302


def start_session(user, remember: bool = False) -> None:
    """Log ``user`` in on a new session: nothing from before (the CSRF secret included) carries over."""
    session.clear()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"], key_func=_account_address_key,
    methods=["POST"], deduct_when=_login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key,
    methods=["POST"], deduct_when=_login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None and user.status == UserStatus.SUSPENDED:
            flash(_("This account is suspended. Contact a course leader or an administrator."), "error")
        elif user is not None:
            start_session(user, remember=form.remember.data)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
        else:
            flash(_("The email address or password is incorrect."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    language = None
    if current_user.is_authenticated:
        language = current_user.language
        current_user.rotate_session_token()
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it asks for the remember-me cookie to be deleted too
    if language:
        session["language"] = language  # the pages after log-out stay in the member's language
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.invitation_by_token(token)
    if invitation is None or not invitation.is_open(utcnow()):
        reason = "unknown" if invitation is None else (
            "used" if invitation.accepted_at or invitation.declined_at
            else "revoked" if invitation.revoked_at else "expired"
        )
        return render_template("auth/invitation_invalid.html", reason=reason), 410 if invitation else 404
    if services.email_taken(invitation.email):
        if invitation.cohort_id is None:
            return render_template("auth/invitation_invalid.html", reason="used"), 410
        return _cohort_invitation(invitation)
    form = InvitationAcceptForm(language=session.get("language", "sv"))
    if form.validate_on_submit():
        if current_user.is_authenticated:
            logout_user()
        try:
            user = services.accept_invitation(
                invitation, name=form.name.data, password=form.password.data, language=form.language.data
            )
        except services.InvitationUsed:
            db.session.rollback()
            return render_template("auth/invitation_invalid.html", reason="used"), 410
        db.session.commit()
        start_session(user)
        flash(_("Welcome to Växthuset Network, %(name)s!", name=user.name), "success")
        return redirect(url_for("core.home"))
    return render_template("auth/invitation_accept.html", form=form, invitation=invitation)


def _cohort_invitation(invitation):
    """An existing member's invitation into a cohort: they log in, then accept or decline it."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if services.cohort_invitation_for(current_user, invitation.id) is None:  # someone else's
        return render_template("auth/invitation_invalid.html", reason="unknown"), 404
    return render_template("auth/cohort_invitation.html", invitation=invitation)


@bp.post("/cohort-invitations/<int:invitation_id>/<answer>")
@login_required
def answer_cohort_invitation(invitation_id: int, answer: str):
    if answer not in ("accept", "decline"):
        abort(404)
    invitation = services.cohort_invitation_for(current_user, invitation_id) or abort(404)
    cohort_name = invitation.cohort.name
    services.answer_cohort_invitation(current_user, invitation, accept=answer == "accept")
    try:
        db.session.commit()
    except IntegrityError:  # answered a moment ago in another tab
        db.session.rollback()
    flash(_("You are now in %(cohort)s.", cohort=cohort_name) if answer == "accept"
          else _("You declined the invitation to %(cohort)s.", cohort=cohort_name), "success")
    return redirect(url_for("core.home"))


def _reset_account_key() -> str:
    return "reset:" + _email_key()


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_ACCOUNT"], key_func=_reset_account_key,
    methods=["POST"],
)
def request_password_reset():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account has this address, we have sent it a link to choose a new password. "
                "The link works for one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_reset_request.html", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset = services.reset_token(token)
    if reset is None:
        return render_template("auth/password_reset_invalid.html"), 404
    form = PasswordResetForm()
    if form.validate_on_submit():
        services.set_password(reset.user, form.password.data)
        db.session.commit()
        logout_user()
        flash(_("Your password has been changed. Log in with the new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_reset.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    password_form = PasswordChangeForm(prefix="pw")
    if form.validate_on_submit() and _account_change_allowed(form):
        current_user.name = form.name.data.strip()
        current_user.email = services.normalise_email(form.email.data)
        current_user.language = form.language.data
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, password_form=password_form)


def _account_change_allowed(form: AccountForm) -> bool:
    """Email changes need the current password, then a free address (checked in that order, so no
    one without the password learns which addresses have accounts)."""
    new_email = services.normalise_email(form.email.data)
    if new_email == current_user.email:
        return True
    if not current_password_ok(form.current_password.data):
        form.current_password.errors.append(_("Enter your current password to change your email address."))
        return False
    if services.email_taken(new_email, except_user=current_user):
        form.email.errors.append(_("Another account already uses this email address."))
        return False
    return True


@bp.post("/account/password")
@login_required
def change_password():
    form = AccountForm(obj=current_user, formdata=None)
    password_form = PasswordChangeForm(prefix="pw")
    if password_form.validate_on_submit():
        if current_password_ok(password_form.current_password.data):
            services.set_password(current_user, password_form.password.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # this session carries the new token; all others end
            flash(_("Your password has been changed. Other devices have been logged out."), "success")
            return redirect(url_for("auth.account"))
        password_form.current_password.errors.append(_("The current password is incorrect."))
    return render_template("auth/account.html", form=form, password_form=password_form), 400


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["language"] = form.language.data
    if current_user.is_authenticated:
        current_user.language = form.language.data
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))
