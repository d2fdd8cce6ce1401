"""Moderation views: thin — load, authorize, call a service, commit once, render or redirect."""
import csv
import io

from flask import Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from network import permissions
from network.auth.models import User
from network.extensions import db
from network.forum import services as forum
from network.forum.models import PostStatus
from network.forum.visibility import can_flag, can_moderate_post, can_moderate_theme, can_move_thread
from network.inputs import query_int
from network.moderation import bp, services
from network.moderation.forms import (
    ACTION_LABELS, FLAG_REASONS, FlagForm, LogFilterForm, ModeratorEditForm, MoveForm, NoteForm, ReasonForm,
    RequiredReasonForm,
)
from network.moderation.models import ActionKind, FlagReason
from network.permissions import require


def require_moderator() -> None:
    require(permissions.can_moderate(current_user))


# Flagging ------------------------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
def flag(post_id: int):
    post = forum.visible_post(current_user, post_id) or abort(404)
    require(can_flag(current_user, post))
    back = url_for("forum.thread", thread_id=post.thread_id, post=post.id)
    if services.has_open_flag(current_user, post):
        flash(_("You have already flagged this post. A moderator will look at it."), "info")
        return redirect(back)
    form = FlagForm()
    if form.validate_on_submit():
        services.flag_post(current_user, post, FlagReason(form.reason.data), form.details.data or "")
        db.session.commit()
        flash(_("Thank you. A moderator will look at the post, and you will be told when it is handled."), "success")
        return redirect(back)
    return render_template("moderation/flag.html", form=form, post=post)


# The queue -----------------------------------------------------------------------------------

@bp.get("/moderation")
@login_required
def queue():
    require_moderator()
    page = db.paginate(services.queue_stmt(current_user), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template(
        "moderation/queue.html", page=page, flags=services.flags_by_post(page.items),
        themes=forum.themes(), reasons=FLAG_REASONS,
    )


@bp.get("/moderation/posts/<int:post_id>")
@login_required
def post(post_id: int):
    require_moderator()
    post = services.moderated_post(current_user, post_id) or abort(404)
    return render_post(post)


def render_post(post, **bound):
    forms = {
        "dismiss": ReasonForm(prefix="dismiss"), "restore": ReasonForm(prefix="restore"),
        "approve": ReasonForm(prefix="approve"), "approve_edit": ReasonForm(prefix="approve_edit"),
        "reject_edit": ReasonForm(prefix="reject_edit"), "hide": RequiredReasonForm(prefix="hide"),
        "note": NoteForm(prefix="note"), "lock": ReasonForm(prefix="lock"), "pin": ReasonForm(prefix="pin"),
        "move": move_form(post.thread), "suspend": RequiredReasonForm(prefix="suspend"),
    }
    forms.update(bound)
    if request.method == "POST":  # only the submitted form keeps its text and errors
        for name, form in forms.items():
            if name not in bound:
                form.process(formdata=None)
    return render_template(
        "moderation/post.html", post=post, flags=services.open_flags(post), forms=forms, reasons=FLAG_REASONS,
    ), (400 if bound else 200)


def move_form(thread) -> MoveForm:
    form = MoveForm(prefix="move")
    form.theme.choices = [SelectChoice(str(t.id), t.name(str(get_locale()))) for t in services.movable_themes(thread)]
    return form


def moderated_post_or_404(post_id: int):
    require_moderator()
    post = services.moderated_post(current_user, post_id) or abort(404)
    require(can_moderate_post(current_user, post))
    return post


def done(post, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("moderation.post", post_id=post.id))


POST_ACTIONS = {
    # action: (form class, allowed statuses, service, confirmation)
    "dismiss": (ReasonForm, None, services.dismiss_flags),
    "restore": (ReasonForm, (PostStatus.HIDDEN,), services.restore_post),
    "approve": (ReasonForm, (PostStatus.PENDING,), services.approve_post),
    "hide": (RequiredReasonForm, (PostStatus.VISIBLE, PostStatus.PENDING), services.hide_post),
    "approve_edit": (ReasonForm, (PostStatus.VISIBLE,), services.approve_edit),
    "reject_edit": (ReasonForm, (PostStatus.VISIBLE,), services.reject_edit),
}


@bp.post("/moderation/posts/<int:post_id>/<action>")
@login_required
def post_action(post_id: int, action: str):
    if action not in POST_ACTIONS:
        abort(404)
    post = moderated_post_or_404(post_id)
    form_class, statuses, service = POST_ACTIONS[action]
    if statuses is not None and post.status not in statuses:
        abort(400)
    if action == "dismiss" and not services.open_flags(post):
        abort(400)
    if action.endswith("_edit") and not post.has_pending_edit:
        abort(400)
    form = form_class(prefix=action)
    if not form.validate_on_submit():
        return render_post(post, **{action: form})
    service(current_user, post, form.reason.data or "")
    return done(post, _("Done: %(action)s.", action=ACTION_LABELS[ACTION_OF[action]]))


ACTION_OF = {
    "dismiss": ActionKind.DISMISS_FLAGS, "restore": ActionKind.RESTORE_POST, "approve": ActionKind.APPROVE_POST,
    "hide": ActionKind.HIDE_POST, "approve_edit": ActionKind.APPROVE_POST, "reject_edit": ActionKind.EDIT_POST,
}


@bp.post("/moderation/posts/<int:post_id>/note")
@login_required
def note(post_id: int):
    post = moderated_post_or_404(post_id)
    if post.author is None:
        abort(400)
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return render_post(post, note=form)
    services.note_author(current_user, post, form.message.data)
    return done(post, _("The note is sent to the author."))


@bp.route("/moderation/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    post = moderated_post_or_404(post_id)
    if post.is_removed:
        abort(400)
    form = ModeratorEditForm(data=None if request.method == "POST" else {"body": post.body_source})
    if form.validate_on_submit():
        services.edit_post(current_user, post, form.body.data, form.reason.data or "")
        return done(post, _("The post is saved. The earlier version is kept."))
    return render_template("moderation/edit.html", form=form, post=post)


# Threads ---------------------------------------------------------------------------------------

THREAD_ACTIONS = {
    "lock": lambda m, t, r: services.set_locked(m, t, True, r),
    "unlock": lambda m, t, r: services.set_locked(m, t, False, r),
    "pin": lambda m, t, r: services.set_pinned(m, t, True, r),
    "unpin": lambda m, t, r: services.set_pinned(m, t, False, r),
}


def thread_redirect(thread):
    post_id = query_int("post")
    if post_id:
        return redirect(url_for("moderation.post", post_id=post_id))
    return redirect(url_for("forum.thread", thread_id=thread.id, page=1))


@bp.post("/moderation/threads/<int:thread_id>/<action>")
@login_required
def thread_action(thread_id: int, action: str):
    if action not in THREAD_ACTIONS:
        abort(404)
    require_moderator()
    thread = services.moderated_thread(current_user, thread_id) or abort(404)
    form = ReasonForm(prefix=action.removeprefix("un"))
    if not form.validate_on_submit():
        abort(400)
    THREAD_ACTIONS[action](current_user, thread, form.reason.data or "")
    db.session.commit()
    flash(_("The thread is updated."), "success")
    return thread_redirect(thread)


@bp.post("/moderation/threads/<int:thread_id>/move")
@login_required
def move(thread_id: int):
    require_moderator()
    thread = services.moderated_thread(current_user, thread_id) or abort(404)
    require(can_move_thread(current_user, thread))
    form = move_form(thread)
    if not form.validate_on_submit():
        abort(400)
    theme = next(t for t in services.movable_themes(thread) if str(t.id) == form.theme.data)
    services.move_thread(current_user, thread, theme, form.reason.data or "")
    db.session.commit()
    flash(_("The thread is moved to %(theme)s.", theme=theme.name(str(get_locale()))), "success")
    return thread_redirect(thread)


# Members and themes ----------------------------------------------------------------------------

@bp.post("/moderation/members/<int:user_id>/<action>")
@login_required
def member_action(user_id: int, action: str):
    if action not in ("suspend", "reactivate"):
        abort(404)
    require_moderator()
    member = db.get_or_404(User, user_id)
    require(permissions.can_suspend(current_user, member))
    form = RequiredReasonForm(prefix="suspend")
    if not form.validate_on_submit():
        post_id = query_int("post")
        post = services.moderated_post(current_user, post_id) if post_id else None
        if post is None:
            abort(400)
        return render_post(post, suspend=form)
    if action == "suspend":
        services.suspend(current_user, member, form.reason.data)
        message = _("%(name)s is suspended and logged out everywhere.", name=member.name)
    else:
        services.reactivate(current_user, member, form.reason.data)
        message = _("%(name)s can log in again.", name=member.name)
    db.session.commit()
    flash(message, "success")
    post_id = query_int("post")
    return redirect(url_for("moderation.post", post_id=post_id) if post_id else url_for("moderation.log"))


@bp.post("/moderation/themes/<slug>/approval/<state>")
@login_required
def approval(slug: str, state: str):
    if state not in ("on", "off"):
        abort(404)
    theme = forum.theme_by_slug(slug) or abort(404)
    require(can_moderate_theme(current_user, theme))
    services.set_requires_approval(current_user, theme, state == "on")
    db.session.commit()
    flash(_("Posts by participants in %(theme)s now need approval.", theme=theme.name(str(get_locale())))
          if state == "on" else _("Posts in %(theme)s are published at once again.",
                                  theme=theme.name(str(get_locale()))), "success")
    return redirect(url_for("moderation.queue"))


# The audit log ---------------------------------------------------------------------------------

def log_filter() -> tuple[LogFilterForm, services.LogFilter]:
    form = LogFilterForm(request.args, meta={"csrf": False})
    form.moderator.choices = [SelectChoice("", _("All moderators"))] + [
        SelectChoice(str(u.id), u.name) for u in services.moderators()
    ]
    form.action.choices = [SelectChoice("", _("All actions"))] + [
        SelectChoice(kind.value, label) for kind, label in ACTION_LABELS.items()
    ]
    if not form.validate():
        return form, services.LogFilter()
    return form, services.LogFilter(
        moderator_id=int(form.moderator.data) if form.moderator.data else None,
        action=ActionKind(form.action.data) if form.action.data else None,
        date_from=form.date_from.data, date_to=form.date_to.data,
    )


@bp.get("/moderation/log")
@login_required
def log():
    require_moderator()
    form, chosen = log_filter()
    page = db.paginate(services.log_stmt(current_user, chosen), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("moderation/log.html", form=form, page=page, labels=ACTION_LABELS, args=args)


@bp.get("/moderation/log.csv")
@login_required
def log_csv():
    require_moderator()
    _form, chosen = log_filter()
    stmt = services.log_stmt(current_user, chosen)
    header = [_("When"), _("Moderator"), _("Action"), _("Subject"), _("Member"), _("Post"), _("Thread"), _("Reason")]

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for entry in db.session.scalars(stmt.execution_options(yield_per=500)):
            writer.writerow([services.csv_cell(v) for v in (
                format_datetime(entry.created_at, "yyyy-MM-dd HH:mm"),
                entry.moderator.display_name if entry.moderator else _("Automatic"),
                ACTION_LABELS[entry.action], entry.subject, entry.member.display_name if entry.member else "",
                entry.post_id or "", entry.thread_id or "", entry.reason,
            )])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=moderation-log.csv",
    })
