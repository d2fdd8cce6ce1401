"""Erasure views: thin — load, authorize, call the service, commit once, then scrub the file."""
from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from network import permissions
from network.auth.models import User
from network.auth.sessions import current_password_ok
from network.extensions import db
from network.permissions import require
from network.personal_data import Erasure
from network.privacy import bp, services
from network.privacy.forms import AdminEraseForm, DeleteAccountForm

# The summary of the erasure just done, kept in the session for the one page after log-out
# (counts per kind only: nothing personal, and never in the URL).
SUMMARY = "erasure_summary"


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not current_password_ok(form.password.data):
            form.password.errors.append(_("The password is incorrect. Nothing was deleted."))
        else:
            return _erase_own_account(delete_posts=form.posts.data == "delete", form=form)
    return render_template("privacy/delete.html", form=form), 400 if form.errors else 200


def _erase_own_account(delete_posts: bool, form: DeleteAccountForm):
    user = current_user._get_current_object()
    language = user.language
    try:
        summary = services.erase_member(Erasure(user=user, delete_posts=delete_posts))
    except services.LastAdministrator:
        db.session.rollback()
        form.posts.errors.append(_("You are the last administrator. Make someone else an administrator first."))
        return render_template("privacy/delete.html", form=form), 400
    db.session.commit()
    services.scrub_storage()
    session.clear()
    logout_user()  # after clear(): it asks for the remember-me cookie to be deleted too
    session["language"] = language
    session[SUMMARY] = services.summary_lines(summary)
    return redirect(url_for("privacy.account_deleted"))


@bp.get("/account/deleted")
def account_deleted():
    lines = session.pop(SUMMARY, None)
    if lines is None:
        return redirect(url_for("auth.login"))
    return render_template("privacy/deleted.html", lines=lines)


@bp.route("/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@login_required
def erase_member(user_id: int):
    member = db.get_or_404(User, user_id)
    if member.is_erased:
        abort(404)
    require(permissions.can_erase_member(current_user, member))
    form = AdminEraseForm()
    if form.validate_on_submit():
        delete_posts = form.posts.data == "delete"
        services.erase_member(Erasure(user=member, delete_posts=delete_posts, by=current_user._get_current_object(),
                                      reason=form.reason.data.strip()))
        db.session.commit()
        services.scrub_storage()
        flash(_("The account is erased. The moderation log records it with your reason."), "success")
        return redirect(url_for("admin.users"))
    return render_template("privacy/admin_erase.html", form=form, member=member), 400 if form.errors else 200
