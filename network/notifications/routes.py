"""Notification views: thin — load, authorize, call a service, commit once, render or redirect."""
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.extensions import csrf, db
from network.notifications import bp, services
from network.notifications.digests import readable  # its module queues immediate mail at commit
from network.notifications.forms import EmailPreferenceForm, UnsubscribeForm
from network.notifications.models import EmailFrequency

@bp.app_context_processor
def notification_badge():
    def unread_counts() -> tuple[int, int]:
        if not permissions.is_member(current_user):
            return 0, 0
        if "unread_counts" not in g:
            # Most pages are seen with nothing unread: then the visibility rule is not needed at all.
            g.unread_counts = (
                services.unread_counts(current_user, readable(current_user)) if services.has_unread(current_user)
                else (0, 0)
            )
        return g.unread_counts

    def unread_notifications() -> int:
        return unread_counts()[0]

    def unread_messages() -> int:
        """Unread private messages: counted in the same query as the notifications' badge."""
        return unread_counts()[1]

    return {"unread_notifications": unread_notifications, "unread_messages": unread_messages}


@bp.get("/notifications")
@login_required
def index():
    page = db.paginate(services.notifications_stmt(current_user, readable(current_user)),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    form = EmailPreferenceForm(frequency=services.email_frequency(current_user).value)
    return render_template("notifications/index.html", page=page, form=form, summary=services.summary)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    if not services.mark_read(current_user, notification_id):
        abort(404)
    db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    services.mark_all_read(current_user)
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/email")
@login_required
def email_preference():
    form = EmailPreferenceForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_email_frequency(current_user, EmailFrequency(form.frequency.data))
    db.session.commit()
    flash(_("Your email choice is saved."), "success")
    return redirect(url_for("notifications.index"))


# The signed token is the secret here: mail clients post one-click unsubscribes (RFC 8058) with no
# session and no CSRF token, so this one route is exempt from CSRF.
@csrf.exempt
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    user = services.user_for_unsubscribe(token)
    if user is None:
        abort(400)
    form = UnsubscribeForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        services.set_email_frequency(user, EmailFrequency.NONE)
        db.session.commit()
    return render_template("notifications/unsubscribe.html", user=user, form=form, done=request.method == "POST")
