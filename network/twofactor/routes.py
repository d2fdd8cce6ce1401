"""Two-factor views: thin — load, authorize, call a service, commit once, render or redirect."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from network import permissions
from network.auth.models import User
from network.auth.sessions import current_password_ok, start_session
from network.extensions import db, limiter
from network.twofactor import bp, pending
from network.twofactor import services as twofactor
from network.twofactor.forms import ConfirmForm, DisableForm, LoginCodeForm, RecoveryCodesForm, ResetForm

# Set in the session once this member's second factor is known to be in place: members of the
# required roles are then not asked (nor queried) again on every page.
VERIFIED = "two_factor_in_place"
# What a member of a required role without a second factor may still reach.
OPEN_WITHOUT_SECOND_FACTOR = frozenset({
    "static", "twofactor.setup", "twofactor.login_step", "auth.logout", "auth.set_language", "core.healthz",
})


@bp.before_app_request
def require_second_factor():
    """Members of the REQUIRE_2FA_ROLES roles without a second factor see only its set-up page."""
    if request.endpoint is None or request.endpoint in OPEN_WITHOUT_SECOND_FACTOR or not twofactor.required_roles():
        return None
    if not current_user.is_authenticated or session.get(VERIFIED) or not twofactor.is_required(current_user):
        return None
    if twofactor.confirmed_factor(current_user) is not None:
        session[VERIFIED] = True
        return None
    flash(_("Your role requires two-factor log-in. Set it up to continue."), "info")
    return redirect(url_for("twofactor.setup"))


# The log-in step --------------------------------------------------------------------------------

def _pending_account_key() -> str:
    marker = pending.held() or {}
    return "two-factor:" + str(marker.get("identity", "none")).partition(":")[0]


def _code_failed(response) -> bool:
    # A right code redirects; only wrong ones count against the limits.
    return response.status_code != 302


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TWO_FACTOR_LIMIT_PER_IP"], key_func=get_remote_address,
               methods=["POST"], deduct_when=_code_failed)
@limiter.limit(lambda: current_app.config["TWO_FACTOR_LIMIT_PER_ACCOUNT"], key_func=_pending_account_key,
               methods=["POST"], deduct_when=_code_failed)
def login_step():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    marker, user = pending.held(), pending.held_user()
    if user is None:
        pending.release()
        flash(_("Please log in again: the log-in waited too long for the code."), "info")
        return redirect(url_for("auth.login"))
    form = LoginCodeForm()
    if form.validate_on_submit():
        if twofactor.verify_login(user, form.code.data):
            start_session(user, remember=marker["remember"])
            session[VERIFIED] = True
            db.session.commit()
            return redirect(marker["next"] or url_for("core.home"))
        form.code.errors.append(_("The code is not right, or it has been used already."))
    return render_template("twofactor/login_step.html", form=form)


# The member's own set-up ------------------------------------------------------------------------

@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def setup():
    factor = twofactor.second_factor_of(current_user)
    if factor is not None and factor.is_confirmed:
        return _manage_page(factor)
    form = ConfirmForm()
    if form.is_submitted() and factor is None:
        return redirect(url_for("twofactor.setup"))  # the set-up was reset meanwhile: start again
    if form.validate_on_submit():
        codes = twofactor.confirm(current_user, factor, form.code.data)
        if codes is not None:
            db.session.commit()
            session[VERIFIED] = True
            flash(_("Two-factor log-in is on."), "success")
            return render_template("twofactor/recovery_codes.html", codes=codes)
        form.code.errors.append(_("The code is not right. Check that the app shows Växthuset Network and try the newest code."))
    secret, made = twofactor.begin_setup(current_user, factor)
    if made:
        db.session.commit()
    uri = twofactor.provisioning_uri(current_user, secret)
    return render_template("twofactor/setup.html", form=form, secret=twofactor.grouped(secret),
                           qr=twofactor.qr_svg(uri, _("QR code for your authenticator app")),
                           required=twofactor.is_required(current_user))


def _manage_page(factor, recovery_form=None, disable_form=None, status=200):
    """The page of a member whose two-factor log-in is on: new recovery codes, turning it off."""
    return render_template(
        "twofactor/manage.html", factor=factor, codes_left=twofactor.recovery_codes_left(current_user),
        required=twofactor.is_required(current_user), recovery_form=recovery_form or RecoveryCodesForm(formdata=None),
        disable_form=disable_form or DisableForm(formdata=None),
    ), status


def _to_setup():
    flash(_("Two-factor log-in is not on. You can set it up here."), "info")
    return redirect(url_for("twofactor.setup"))


@bp.post("/account/two-factor/recovery-codes")
@login_required
def recovery_codes():
    if (factor := twofactor.confirmed_factor(current_user)) is None:
        return _to_setup()
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        if current_password_ok(form.password.data):
            codes = twofactor.new_recovery_codes(current_user)
            db.session.commit()
            flash(_("You have new recovery codes. The old ones no longer work."), "success")
            return render_template("twofactor/recovery_codes.html", codes=codes)
        form.password.errors.append(_("The current password is incorrect."))
    return _manage_page(factor, recovery_form=form, status=400)


@bp.post("/account/two-factor/disable")
@login_required
def disable():
    if (factor := twofactor.confirmed_factor(current_user)) is None:
        return _to_setup()
    permissions.require(not twofactor.is_required(current_user),
                        _("Your role requires two-factor log-in, so it cannot be turned off."))
    form = DisableForm()
    if form.validate_on_submit():
        password_ok = current_password_ok(form.password.data)
        if password_ok and twofactor.accept_code(factor, form.code.data):
            twofactor.remove(current_user)
            db.session.commit()
            session.pop(VERIFIED, None)
            flash(_("Two-factor log-in is off."), "success")
            return redirect(url_for("auth.account"))
        if not password_ok:
            form.password.errors.append(_("The current password is incorrect."))
        else:
            form.code.errors.append(_("The code is not right, or it has been used already."))
    return _manage_page(factor, disable_form=form, status=400)


# Administrators' reset -------------------------------------------------------------------------

@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@login_required
def reset(user_id: int):
    member = db.get_or_404(User, user_id)
    permissions.require(permissions.can_manage_user(current_user, member))
    form = ResetForm(prefix="two-factor")
    if not form.validate_on_submit():
        flash(_("Say why you reset the member's two-factor log-in."), "error")
        return redirect(url_for("admin.edit_user", user_id=member.id))
    if not twofactor.reset_by_admin(current_user, member, form.reason.data):
        flash(_("%(name)s has no two-factor log-in to reset.", name=member.name), "info")
        return redirect(url_for("admin.edit_user", user_id=member.id))
    db.session.commit()
    flash(_("Two-factor log-in of %(name)s is reset. They have been logged out everywhere and told by email.",
            name=member.name), "success")
    return redirect(url_for("admin.edit_user", user_id=member.id))
