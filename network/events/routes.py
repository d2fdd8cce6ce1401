"""Members' event pages, answers (RSVP), .ics files and the private calendar feed."""
from flask import Response, abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.events import bp, calendar, services
from network.events.forms import RsvpForm
from network.events.models import RsvpResponse
from network.extensions import db
from network.journal import services as journal
from network.timeutil import utcnow
from network.urls import mail_url


@bp.get("/events")
@login_required
def index():
    return _index_page()


@bp.post("/events/calendar")
@login_required
def reset_feed():
    """A new private calendar address; shown on this one answer only (only its hash is kept)."""
    token = services.reset_feed(current_user)
    db.session.commit()
    return _index_page(feed_url=mail_url("events.feed", token=token))


def _index_page(feed_url: str | None = None):
    upcoming, past = services.upcoming_and_past(current_user, utcnow())
    mine = services.my_answers(current_user, [e.id for e in upcoming])
    return render_template("events/index.html", upcoming=upcoming, past=past, mine=mine, feed_url=feed_url,
                           has_feed=services.has_feed(current_user))


@bp.get("/events/<int:event_id>")
@login_required
def event(event_id: int):
    found = services.event_for(current_user, event_id) or abort(404)
    rsvps = services.answers(found)
    mine = next((r.response for r in rsvps if r.user_id == current_user.id), None)
    form = RsvpForm(formdata=None, response=mine.value if mine else None)
    return render_template(
        "events/event.html", event=found, rsvps=rsvps, counts=services.counts(rsvps), mine=mine, form=form,
        open_for_answers=not found.has_started(utcnow()),
        prompts=journal.event_prompts(found, current_user.language), RsvpResponse=RsvpResponse,
    )


@bp.post("/events/<int:event_id>/rsvp")
@login_required
def rsvp(event_id: int):
    found = services.event_for(current_user, event_id) or abort(404)
    if found.has_started(utcnow()):
        flash(_("The event has started: answers are closed."), "error")
        return redirect(url_for("events.event", event_id=found.id))
    form = RsvpForm()
    if not form.validate_on_submit():
        abort(400)
    services.answer(current_user, found, RsvpResponse(form.response.data))
    db.session.commit()
    flash(_("Your answer is saved."), "success")
    return redirect(url_for("events.event", event_id=found.id))


@bp.get("/events/<int:event_id>.ics")
@login_required
def event_ics(event_id: int):
    found = services.event_for(current_user, event_id) or abort(404)
    response = calendar_response([found], found.title)
    response.headers["Content-Disposition"] = f'attachment; filename="event-{found.id}.ics"'
    return response


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The member's private feed for calendar apps: no log-in, no cookie; the token is the key."""
    g.sessionless = True  # calendar apps keep no cookies: no activity stamp in a browser's session either
    owner = services.feed_owner(token)
    if owner is None:  # a plain answer: the error page would start a session for its forms' CSRF token
        return Response("Not found\n", status=404, mimetype="text/plain")
    with force_locale(owner.language):
        name = _("Växthuset Network: events")
    response = calendar_response(db.session.scalars(services.attendable_stmt(owner)), name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def calendar_response(events, name: str):
    """These events as an iCalendar answer."""
    return make_response(calendar.calendar(events, name), {"Content-Type": "text/calendar; charset=utf-8"})
