"""Private-message views: thin — load, authorize, call a service, commit once, render or redirect.

A conversation, and each of its messages, is found only among the viewer's own conversations:
everyone else gets 404, course leaders and administrators included.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.extensions import db
from network.inputs import query_int, query_text
from network.messages import bp, services
from network.messages.forms import MessageForm, ReportForm, WhoMayWriteForm
from network.messages.models import WhoMayWrite
from network.permissions import is_admin, require

REPORT_ACTIONS = {"dismiss": False, "remove": True}


@bp.get("/messages")
@login_required
def index():
    form = WhoMayWriteForm(who_may_write=services.who_may_write(current_user).value)
    return render_template("messages/index.html", rows=services.conversations(current_user), form=form,
                           blocked=services.blocked_members(current_user))


@bp.route("/messages/new", methods=["GET", "POST"])
@login_required
def new():
    recipient = services.recipient_by_handle(query_text("to", 64))
    if recipient is None:
        flash(_("Choose the member you want to write to, and use “Send message” on their page."), "info")
        return redirect(url_for("people.directory"))
    existing = services.conversation_between(current_user, recipient)
    if existing is not None and request.method == "GET":  # the two already talk: continue there
        return redirect(url_for("messages.conversation", conversation_id=existing.id, _anchor="reply"))
    if existing is None and not services.can_write_to(current_user, recipient):
        return refused(recipient)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            message = services.start_conversation(current_user, recipient, form.body.data)
        except services.MayNotWrite:
            return refused(recipient)
        except services.TooManyConversations:
            form.body.errors.append(_("You have started %(num)d conversations in the last day, as many as the "
                                      "network allows. Please try again tomorrow.",
                                      num=current_app.config["MESSAGES_NEW_PER_DAY"]))
            return render_template("messages/new.html", form=form, recipient=recipient), 429
        db.session.commit()
        return redirect(url_for("messages.conversation", conversation_id=message.conversation_id,
                                _anchor=f"message-{message.id}"))
    return render_template("messages/new.html", form=form, recipient=recipient), 400 if form.errors else 200


def refused(recipient):
    """The one neutral refusal: it never says why (a setting, a block or an account that is gone)."""
    return render_template("messages/refused.html", recipient=recipient), 403


@bp.route("/messages/<int:conversation_id>", methods=["GET", "POST"])
@login_required
def conversation(conversation_id: int):
    found = services.member_conversation(current_user, conversation_id) or abort(404)
    other = found.other(current_user)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            message = services.reply(current_user, found, form.body.data)
        except services.MayNotWrite:
            return refused(other)
        db.session.commit()
        if message.resubmitted:
            flash(_("You sent this message twice; it is sent once."), "info")
        return redirect(url_for("messages.conversation", conversation_id=found.id, _anchor=f"message-{message.id}"))
    page = services.messages_page(found, query_int("page"), current_app.config["PER_PAGE"])
    services.mark_read(current_user, found, page.items)
    html = render_template("messages/conversation.html", conversation=found, other=other, page=page, form=form,
                           blocked=services.has_blocked(current_user, other))
    db.session.commit()  # after rendering: a commit expires the loaded messages
    return html, 400 if form.errors else 200


@bp.post("/messages/settings")
@login_required
def settings():
    form = WhoMayWriteForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_who_may_write(current_user, WhoMayWrite(form.who_may_write.data))
    db.session.commit()
    flash(_("Your choice of who may write to you is saved."), "success")
    return redirect(url_for("messages.index"))


def other_member(handle: str):
    """Another member by handle; 404 for unknown handles and for oneself (nobody blocks themselves)."""
    member = services.recipient_by_handle(handle)
    if member is None or member.id == current_user.id:
        abort(404)
    return member


@bp.post("/messages/block/<handle>")
@login_required
def block(handle: str):
    return change_block(handle, blocking=True)


@bp.post("/messages/unblock/<handle>")
@login_required
def unblock(handle: str):
    return change_block(handle, blocking=False)


def change_block(handle: str, blocking: bool):
    """Block another member, or lift the block; the other member is never told either way."""
    member = other_member(handle)
    (services.block if blocking else services.unblock)(current_user, member)
    db.session.commit()
    if blocking:
        flash(_("%(name)s can no longer send you messages. They are not told.", name=member.display_name), "success")
    else:
        flash(_("%(name)s can send you messages again.", name=member.display_name), "success")
    return redirect(url_for("messages.index"))


@bp.route("/messages/report/<int:message_id>", methods=["GET", "POST"])
@login_required
def report(message_id: int):
    message = services.member_message(current_user, message_id) or abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        services.report(current_user, message, form.reason.data)
        db.session.commit()
        flash(_("Thank you. The moderators will look at the message."), "success")
        return redirect(url_for("messages.conversation", conversation_id=message.conversation_id))
    return render_template("messages/report.html", message=message, form=form), 400 if form.errors else 200


# The moderators' side: the network's administrators -------------------------------------------------

@bp.get("/messages/reports")
@login_required
def reports():
    require(is_admin(current_user))
    return render_template("messages/reports.html", reports=services.open_reports())


@bp.post("/messages/reports/<int:report_id>/<action>")
@login_required
def resolve(report_id: int, action: str):
    require(is_admin(current_user))
    if action not in REPORT_ACTIONS:
        abort(404)
    found = services.open_report(report_id) or abort(404)
    services.resolve(current_user, found, remove=REPORT_ACTIONS[action])
    db.session.commit()
    flash(_("The message is removed.") if REPORT_ACTIONS[action] else _("The report is dismissed."), "success")
    return redirect(url_for("messages.reports"))
