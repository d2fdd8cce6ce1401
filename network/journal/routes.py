"""The journal's pages. Every entry is loaded through its author: anyone else gets 404."""
import io
import secrets

from flask import abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from network import permissions
from network.extensions import db, login
from network.forum.visibility import can_reply
from network.journal import bp, services
from network.forum.services import ThreadLocked, cohorts_for_new_thread, visible_thread
from network.inputs import parse_date, query_int, query_text
from network.journal.forms import EntryForm, FilterForm, PromptForm, ShareForm
from network.journal.models import JournalPrompt, ProgrammeAim, PromptTiming
from network.permissions import require
from network.programme.models import Cohort
from network.programme.services import led_cohort_ids
from network.text import render_markdown
from network.timeutil import local_today


@bp.before_request
def members_only():
    if permissions.can_write_journal(current_user):
        return None
    if request.view_args and "entry_id" in request.view_args:
        abort(404)
    return login.unauthorized()


@bp.after_request
def never_cache(response):
    # Private pages: no shared or browser cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def entry_or_404(entry_id: int):
    return services.own_entry(current_user, entry_id) or abort(404)


FILTERS = "journal_filters"


def read_filters() -> services.Filters:
    """The member's current filters: kept on the server (encrypted), never in the cookie or the URL."""
    return services.saved_filters(current_user, session.get(FILTERS))


@bp.post("/filter")
def filter_entries():
    form = FilterForm()
    if not form.validate_on_submit():
        abort(400)
    month = parse_date(form.month.data + "-01") if form.month.data else None  # valid_month checked it
    filters = services.Filters(tag=(form.tag.data or "").strip(), event_id=form.event.data, month=month,
                               q=(form.q.data or "").strip(), theme_id=form.theme.data)
    session.setdefault(FILTERS, secrets.token_hex(16))  # only this random handle goes in the cookie
    services.save_filters(current_user, session[FILTERS], filters)
    db.session.commit()
    return redirect(url_for("journal.index"))


@bp.get("")
def index():
    filters = read_filters()
    themes = services.themes_by_id()
    page = services.journal_page(current_user, filters, query_int("page", 1),
                                 current_app.config["PER_PAGE"], themes)
    return render_template("journal/index.html", page=page, filters=filters, themes=list(themes.values()),
                           events=services.member_events(current_user), months=services.entry_months(current_user))


@bp.get("/timeline")
def timeline():
    return render_template("journal/timeline.html", groups=services.timeline(current_user))


def event_choices(form: EntryForm, events) -> None:
    form.event_id.choices = [SelectChoice(0, _("No event"))] + [
        SelectChoice(e.id, f"{e.title} ({e.cohort.name}, {format_date(e.starts_on)})") for e in events
    ]


def theme_choices(form: EntryForm, linked: list[int]) -> None:
    """Open themes; an archived theme only while the entry is linked to it (so editing never drops a link)."""
    language = str(get_locale())
    form.themes.choices = [
        SelectChoice(t.id, _("%(theme)s (archived)", theme=t.name(language)) if t.archived else t.name(language))
        for t in services.themes_by_id().values() if not t.archived or t.id in linked
    ]


@bp.route("/new", methods=["GET", "POST"])
def new():
    events = services.member_events(current_user)
    language = str(get_locale())
    nearest, prompts = services.offered_prompts(current_user, events, local_today(), language)
    form = EntryForm()
    event_choices(form, events)
    theme_choices(form, [])
    if request.method == "GET":
        form.entry_date.data = local_today()
        form.prompt.data = query_text("prompt")
        if nearest and services.is_event_prompt(form.prompt.data):
            form.event_id.data = nearest.id
    prompt_text = services.resolve_prompt(current_user, form.prompt.data, language) or ""
    if form.validate_on_submit():
        entry = services.save_entry(current_user, None, prompt=prompt_text, **entry_values(form))
        db.session.commit()
        flash(_("The draft is saved.") if entry.is_draft else _("The entry is saved."), "success")
        return redirect(url_for("journal.entry", entry_id=entry.id))
    return render_template("journal/form.html", form=form, entry=None, prompt_text=prompt_text,
                           prompts=prompts, nearest=nearest)


def entry_values(form: EntryForm) -> dict:
    return {
        "title": form.title.data, "body": form.body.data, "tags": services.parse_tags(form.tags.data),
        "entry_date": form.entry_date.data, "event_id": form.event_id.data or None, "is_draft": form.is_draft.data,
        "theme_ids": list(dict.fromkeys(form.themes.data or [])),
    }


@bp.get("/<int:entry_id>")
def entry(entry_id: int):
    text = services.open_entry(entry_or_404(entry_id))
    services.attach_themes([text])
    return render_template("journal/entry.html", text=text)


@bp.route("/<int:entry_id>/edit", methods=["GET", "POST"])
def edit(entry_id: int):
    text = services.open_entry(entry_or_404(entry_id))
    if not text.readable:
        return redirect(url_for("journal.entry", entry_id=entry_id))
    entry = text.entry
    form = EntryForm(data={"title": text.title, "body": text.body, "tags": ", ".join(text.tags),
                           "entry_date": entry.entry_date, "event_id": entry.event_id or 0, "is_draft": entry.is_draft,
                           "themes": text.theme_ids})
    event_choices(form, services.member_events(current_user))
    theme_choices(form, text.theme_ids)
    if form.validate_on_submit():
        services.save_entry(current_user, entry, prompt=text.prompt, **entry_values(form))
        db.session.commit()
        flash(_("The entry is saved."), "success")
        return redirect(url_for("journal.entry", entry_id=entry.id))
    return render_template("journal/form.html", form=form, entry=entry, prompt_text=text.prompt, prompts=[], nearest=None)


@bp.route("/<int:entry_id>/delete", methods=["GET", "POST"])
def delete(entry_id: int):
    text = services.open_entry(entry_or_404(entry_id))
    if request.method == "GET":
        return render_template("journal/delete.html", text=text)
    services.delete_entry(text.entry)
    db.session.commit()
    flash(_("The entry is deleted."), "success")
    return redirect(url_for("journal.index"))


@bp.get("/export")
def export():
    archive = services.export_zip(current_user, str(get_locale()))
    return send_file(io.BytesIO(archive), mimetype="application/zip", as_attachment=True,
                     download_name=f"dagbok-{local_today().isoformat()}.zip")


# Sharing an excerpt in the forum -----------------------------------------------------------
# Two steps without JavaScript: the form posts to itself for a preview; the preview's hidden
# form posts again with ``confirmed``. The excerpt only ever travels in POST bodies (never in
# a URL) and is never logged.

def share_form(text: services.EntryText) -> tuple[ShareForm, list]:
    """The share form with its choices; on a first visit prefilled with the entry's text and first open theme."""
    language = str(get_locale())
    themes, threads = services.share_themes(current_user), services.share_threads(current_user)
    form = ShareForm()
    form.theme.choices = [SelectChoice(t.id, t.name(language)) for t in themes]
    form.scope.choices = [SelectChoice("network", _("The whole network"))] + [
        SelectChoice(str(c.id), _("Only %(cohort)s (its members, course leaders and administrators)", cohort=c.name))
        for c in cohorts_for_new_thread(current_user)
    ]
    form.thread.choices = [SelectChoice(0, _("Choose a thread"))] + [
        SelectChoice(t.id, f"{t.theme.name(language)}: {t.title}") for t in threads
    ]
    if request.method == "GET":
        form.excerpt.data = text.body
        form.theme.data = next((i for i in text.theme_ids if i in {t.id for t in themes}), None)
    return form, themes


def locked_message() -> str:
    return _("This thread is locked, so no new replies can be added. A course leader or an administrator can tell you why.")


def share_target(form: ShareForm, themes: list) -> dict | None:
    """Where the excerpt goes, checked against what the member may do; None after adding a form error."""
    if form.target.data == "reply":
        thread = visible_thread(current_user, form.thread.data)
        if thread is None:
            form.thread.errors.append(_("Choose a thread you can see."))
        elif not can_reply(current_user, thread):
            form.thread.errors.append(locked_message())
        else:
            return {"thread": thread}
        return None
    theme = next((t for t in themes if t.id == form.theme.data), None)
    if theme is None:
        form.theme.errors.append(_("Choose an open theme."))
        return None
    cohort = next((c for c in cohorts_for_new_thread(current_user) if str(c.id) == form.scope.data), None)
    if form.scope.data != "network" and cohort is None:
        form.scope.errors.append(_("Choose who may read the thread."))
        return None
    return {"theme": theme, "title": form.title.data.strip(), "cohort": cohort}


@bp.route("/<int:entry_id>/share", methods=["GET", "POST"])
def share(entry_id: int):
    text = services.open_entry(entry_or_404(entry_id))
    if not text.readable:
        return redirect(url_for("journal.entry", entry_id=entry_id))
    form, themes = share_form(text)
    target = share_target(form, themes) if form.validate_on_submit() else None
    if target is not None and form.confirmed.data == "1":
        try:
            post = services.share_excerpt(current_user, form.excerpt.data, **target)
        except ThreadLocked:  # locked between the preview and the confirmation
            form.thread.errors.append(locked_message())
            target = None
        else:
            db.session.commit()
            flash(_("The passage is published in the forum. Your journal entry is unchanged and still private."), "success")
            return redirect(url_for("forum.thread", thread_id=post.thread_id, post=post.id))
    preview = render_markdown(form.excerpt.data) if target is not None else None
    form.confirmed.data = ""  # the visible form always asks for a (new) preview
    return render_template("journal/share.html", text=text, form=form, target=target, preview=preview)


# Prompts written by course leaders ---------------------------------------------------

def managed_cohorts() -> list[Cohort]:
    """The cohorts whose prompts the current user may manage."""
    if permissions.is_admin(current_user):
        return list(db.session.scalars(db.select(Cohort).order_by(Cohort.starts_on.desc())))
    led = led_cohort_ids(current_user)
    return [c for c in current_user.cohorts() if c.id in led]


def prompt_form(cohorts: list[Cohort]) -> PromptForm:
    form = PromptForm()
    form.cohort_id.choices = [SelectChoice(c.id, c.name) for c in cohorts]
    form.event_id.choices = [SelectChoice(0, _("No event"))] + [
        SelectChoice(e.id, f"{e.title} ({c.name})") for c in cohorts for e in c.events
    ]
    return form


@bp.route("/prompts", methods=["GET", "POST"])
def prompts():
    cohorts = managed_cohorts()
    require(bool(cohorts))
    form = prompt_form(cohorts)
    if form.validate_on_submit():
        cohort = next(c for c in cohorts if c.id == form.cohort_id.data)
        event_ids = {e.id for e in cohort.events}
        if form.event_id.data and form.event_id.data not in event_ids:
            form.event_id.errors.append(_("Choose an event of the chosen cohort."))
        else:
            services.add_prompt(
                current_user, cohort_id=cohort.id, event_id=form.event_id.data or None,
                timing=PromptTiming(form.timing.data) if form.timing.data else None,
                aim=ProgrammeAim(form.aim.data) if form.aim.data else None,
                text_sv=form.text_sv.data.strip(), text_en=(form.text_en.data or "").strip(),
            )
            db.session.commit()
            flash(_("The reflection prompt is saved."), "success")
            return redirect(url_for("journal.prompts"))
    return render_template("journal/prompts.html", form=form,
                           prompts=services.cohort_prompts([c.id for c in cohorts]))


@bp.post("/prompts/<int:prompt_id>/delete")
def delete_prompt(prompt_id: int):
    prompt = db.get_or_404(JournalPrompt, prompt_id)
    require(permissions.can_manage_prompts(current_user, prompt.cohort))
    db.session.delete(prompt)
    db.session.commit()
    flash(_("The reflection prompt is removed."), "success")
    return redirect(url_for("journal.prompts"))
