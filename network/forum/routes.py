"""Discussion views: thin — load, authorize, call a service, commit once, render or redirect."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from network import permissions
from network.budget import QueryTooSlow, query_budget
from network.extensions import db
from network.forum import bp, search as forum_search, services
from network.forum.forms import EditPostForm, ReplyForm, SearchForm, ThemeForm, ThreadForm
from network.forum.models import Theme, WatchLevel
from network.forum.visibility import can_delete_post, can_edit_post, can_reply, can_see_revisions, can_start_thread
from network.inputs import query_int
from network.permissions import require

WATCH_LEVELS = {"watching": WatchLevel.WATCHING, "muted": WatchLevel.MUTED, "none": None}


def per_page() -> int:
    return current_app.config["PER_PAGE"]


def theme_or_404(slug: str) -> Theme:
    return services.theme_by_slug(slug) or abort(404)


# Themes ---------------------------------------------------------------------------------------

@bp.get("/themes")
@login_required
def themes():
    return render_template("forum/themes.html", rows=services.theme_overview(current_user),
                           archived=services.archived_themes())


@bp.get("/themes/<slug>")
@login_required
def theme(slug: str):
    theme = theme_or_404(slug)
    page = services.theme_threads_page(current_user, theme, query_int("page", 1), per_page())
    return render_template(
        "forum/theme.html", theme=theme, page=page, summaries=services.summarise(current_user, page.items),
        watch=services.theme_watch_level(current_user, theme),
    )


@bp.route("/themes/<slug>/new", methods=["GET", "POST"])
@login_required
def new_thread(slug: str):
    theme = theme_or_404(slug)
    require(can_start_thread(current_user, theme))
    cohorts = services.cohorts_for_new_thread(current_user)
    form = ThreadForm()
    form.scope.choices = [SelectChoice("network", _("The whole network"))] + [
        SelectChoice(str(c.id), _("Only %(cohort)s (its members, course leaders and administrators)", cohort=c.name))
        for c in cohorts
    ]
    if form.validate_on_submit():
        cohort = next((c for c in cohorts if str(c.id) == form.scope.data), None)
        thread = services.create_thread(current_user, theme, form.title.data, form.body.data, cohort)
        db.session.commit()
        if thread.resubmitted:
            flash(_("You sent this thread twice; it is posted once."), "info")
        return redirect(url_for("forum.thread", thread_id=thread.id))
    return render_template("forum/new_thread.html", form=form, theme=theme)


@bp.post("/themes/<slug>/watch/<level>")
@login_required
def watch_theme(slug: str, level: str):
    theme = theme_or_404(slug)
    if level not in WATCH_LEVELS:
        abort(404)
    services.set_theme_watch(current_user, theme, WATCH_LEVELS[level])
    db.session.commit()
    return redirect(url_for("forum.theme", slug=theme.slug))


# Threads --------------------------------------------------------------------------------------

@bp.route("/threads/<int:thread_id>", methods=["GET", "POST"])
@login_required
def thread(thread_id: int):
    thread = services.visible_thread(current_user, thread_id) or abort(404)
    form = ReplyForm()
    if request.method == "POST":
        require(can_reply(current_user, thread), _("This thread is locked, so no new replies can be added. "
                                                  "A course leader or an administrator can tell you why."))
        if form.validate_on_submit():
            post = services.create_reply(current_user, thread, form.body.data)
            db.session.commit()
            if post.resubmitted:
                flash(_("You sent this reply twice; it is posted once."), "info")
            return redirect(url_for("forum.thread", thread_id=thread.id, post=post.id))
    number = query_int("page")
    if request.method == "GET" and number is None:
        target = query_int("post") or services.first_unread_post_id(current_user, thread)
        if target:
            page_number = services.page_of_post(current_user, thread, target, per_page())
            return redirect(url_for("forum.thread", thread_id=thread.id, page=page_number, _anchor=f"post-{target}"))
    if request.method == "POST":  # the form had errors: show it under the newest posts
        number = services.page_of_post(current_user, thread, None, per_page())
    return _render_thread(thread, form, number or 1)


def _render_thread(thread, form: ReplyForm, number: int):
    page = db.paginate(services.thread_posts_stmt(current_user, thread), page=number, per_page=per_page(),
                       error_out=False)
    quoted = query_int("quote")
    if quoted and request.method == "GET":
        post = services.visible_post(current_user, quoted)
        if post is not None and post.thread_id == thread.id and post.is_visible:
            form.body.data = services.quote(post)
    services.mark_read(current_user, thread, page.items)
    html = render_template(
        "forum/thread.html", thread=thread, page=page, form=form,
        watch=services.thread_watch_level(current_user, thread),
    )
    db.session.commit()  # after rendering: a commit expires the loaded posts
    return html


@bp.post("/threads/<int:thread_id>/watch/<level>")
@login_required
def watch_thread(thread_id: int, level: str):
    thread = services.visible_thread(current_user, thread_id) or abort(404)
    if level not in WATCH_LEVELS:
        abort(404)
    services.set_thread_watch(current_user, thread, WATCH_LEVELS[level])
    db.session.commit()
    return redirect(url_for("forum.thread", thread_id=thread.id, page=1))


# Posts ----------------------------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = services.visible_post(current_user, post_id) or abort(404)
    require(can_edit_post(current_user, post))
    current = post.pending_body_source if post.has_pending_edit else post.body_source
    form = EditPostForm(data=None if request.method == "POST" else {"body": current})
    if form.validate_on_submit():
        held = services.author_edit(current_user, post, form.body.data)
        db.session.commit()
        flash(_("Your edit is saved and waits for a moderator's approval. Until then others see the earlier text.")
              if held else _("Your post is saved."), "success")
        return redirect(url_for("forum.thread", thread_id=post.thread_id, post=post.id))
    return render_template("forum/edit_post.html", form=form, post=post)


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete_post(post_id: int):
    post = services.visible_post(current_user, post_id) or abort(404)
    require(can_delete_post(current_user, post))
    services.delete_post(post)
    db.session.commit()
    flash(_("Your post is removed."), "success")
    return redirect(url_for("forum.thread", thread_id=post.thread_id, post=post.id))


@bp.get("/posts/<int:post_id>/revisions")
@login_required
def revisions(post_id: int):
    post = services.visible_post(current_user, post_id) or abort(404)
    require(can_see_revisions(current_user, post))
    return render_template("forum/revisions.html", post=post, revisions=services.revisions(post))


# Search ---------------------------------------------------------------------------------------

@bp.get("/search")
@login_required
def search():
    form = SearchForm(request.args, meta={"csrf": False})
    form.theme.choices = [SelectChoice("", _("All themes"))] + [
        SelectChoice(str(t.id), t.name(str(get_locale()))) for t in services.themes(include_archived=True)
    ]
    results, status = None, 200
    if form.validate():
        query = forum_search.SearchQuery(
            text=form.q.data or "", theme_id=int(form.theme.data) if form.theme.data else None,
            author=form.author.data or "", date_from=form.date_from.data, date_to=form.date_to.data,
        )
        try:
            with query_budget():
                results = forum_search.search(current_user, query, query_int("page", 1), per_page())
        except QueryTooSlow:
            status = 422
    return render_template("forum/search.html", form=form, results=results, too_slow=status == 422,
                           args=search_args()), status


def search_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "page" and v}


# Theme management -----------------------------------------------------------------------------

@bp.get("/themes/manage")
@login_required
def manage_themes():
    require(permissions.can_manage_themes(current_user))
    return render_template("forum/manage_themes.html", themes=services.themes(include_archived=True))


@bp.route("/themes/manage/add", methods=["GET", "POST"], defaults={"slug": None})
@bp.route("/themes/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_theme(slug: str | None):
    require(permissions.can_manage_themes(current_user))
    theme = theme_or_404(slug) if slug else None
    form = ThemeForm(obj=theme)
    if form.validate_on_submit():
        services.save_theme(theme, name_sv=form.name_sv.data, name_en=form.name_en.data,
                            description_sv=form.description_sv.data or "", description_en=form.description_en.data or "")
        db.session.commit()
        flash(_("The theme is saved."), "success")
        return redirect(url_for("forum.manage_themes"))
    return render_template("forum/theme_form.html", form=form, theme=theme)


def managed_theme(slug: str, value: str, allowed: tuple[str, str]) -> Theme:
    """The theme a management action names, for those who may manage themes; 404 for unknown values."""
    require(permissions.can_manage_themes(current_user))
    theme = theme_or_404(slug)
    if value not in allowed:
        abort(404)
    return theme


@bp.post("/themes/<slug>/move/<direction>")
@login_required
def move_theme(slug: str, direction: str):
    theme = managed_theme(slug, direction, ("up", "down"))
    services.move_theme(theme, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("forum.manage_themes"))


@bp.post("/themes/<slug>/archive/<state>")
@login_required
def archive_theme(slug: str, state: str):
    theme = managed_theme(slug, state, ("on", "off"))
    services.set_archived(theme, state == "on")
    db.session.commit()
    flash(_("The theme is archived.") if state == "on" else _("The theme is open again."), "success")
    return redirect(url_for("forum.manage_themes"))


@bp.app_template_filter("highlight")
def highlight(snippet: str) -> Markup:
    """A search snippet, escaped, with the matched words wrapped in <mark>."""
    escaped = str(escape(snippet))
    return Markup(escaped.replace(forum_search.MARK_START, "<mark>").replace(forum_search.MARK_END, "</mark>"))
