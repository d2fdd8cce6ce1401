"""The journal's pages. Every entry is loaded through its author: anyone else gets 404."""
import io
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from network import permissions
from network.extensions import db, login
from network.journal import bp, services
from network.journal.forms import EntryForm, FilterForm, PromptForm
from network.journal.models import JournalPrompt, ProgrammeAim, PromptTiming
from network.permissions import require
from network.programme.models import Cohort, MembershipRole
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
    """The member's current filters, kept in their session (never in the URL: no access log sees them)."""
    saved = session.get(FILTERS) or {}
    if saved.get("user") != current_user.id:
        return services.Filters()
    month = date.fromisoformat(saved["month"] + "-01") if saved.get("month") else None
    return services.Filters(tag=saved.get("tag", ""), event_id=saved.get("event"), month=month, q=saved.get("q", ""))


@bp.post("/filter")
def filter_entries():
    form = FilterForm()
    if not form.validate_on_submit():
        abort(400)
    session[FILTERS] = {"user": current_user.id, "q": (form.q.data or "").strip(), "tag": (form.tag.data or "").strip(),
                        "event": form.event.data, "month": form.month.data or ""}
    return redirect(url_for("journal.index"))


@bp.get("")
def index():
    filters = read_filters()
    page = services.journal_page(current_user, filters, request.args.get("page", 1, type=int),
                                 current_app.config["PER_PAGE"])
    return render_template("journal/index.html", page=page, filters=filters,
                           events=services.member_events(current_user), months=services.entry_months(current_user))


@bp.get("/timeline")
def timeline():
    return render_template("journal/timeline.html", groups=services.timeline(current_user))


def event_choices(form: EntryForm, events) -> None:
    form.event_id.choices = [SelectChoice(0, _("No event"))] + [
        SelectChoice(e.id, f"{e.title} ({e.cohort.name}, {format_date(e.starts_on)})") for e in events
    ]


@bp.route("/new", methods=["GET", "POST"])
def new():
    events = services.member_events(current_user)
    language = str(get_locale())
    nearest, prompts = services.offered_prompts(current_user, events, local_today(), language)
    form = EntryForm()
    event_choices(form, events)
    if request.method == "GET":
        form.entry_date.data = local_today()
        form.prompt.data = request.args.get("prompt", "")
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
    }


@bp.get("/<int:entry_id>")
def entry(entry_id: int):
    text = services.open_entry(entry_or_404(entry_id))
    return render_template("journal/entry.html", text=text)


@bp.route("/<int:entry_id>/edit", methods=["GET", "POST"])
def edit(entry_id: int):
    text = services.open_entry(entry_or_404(entry_id))
    if not text.readable:
        return redirect(url_for("journal.entry", entry_id=entry_id))
    entry = text.entry
    form = EntryForm(data={"title": text.title, "body": text.body, "tags": ", ".join(text.tags),
                           "entry_date": entry.entry_date, "event_id": entry.event_id or 0, "is_draft": entry.is_draft})
    event_choices(form, services.member_events(current_user))
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
    archive = services.export_zip(current_user)
    return send_file(io.BytesIO(archive), mimetype="application/zip", as_attachment=True,
                     download_name=f"dagbok-{local_today().isoformat()}.zip")


# Prompts written by course leaders ---------------------------------------------------

def managed_cohorts() -> list[Cohort]:
    """The cohorts whose prompts the current user may manage."""
    if permissions.is_admin(current_user):
        return list(db.session.scalars(db.select(Cohort).order_by(Cohort.starts_on.desc())))
    return current_user.cohorts(MembershipRole.COURSE_LEADER)


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
