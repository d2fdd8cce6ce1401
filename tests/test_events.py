"""Events: the calendar members may attend, answers (RSVP), .ics files, the private feed, the
administration's event forms, reminders, personal data and the migration that gave events times."""
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from flask import current_app
from flask_migrate import downgrade, upgrade
from icalendar import Calendar
from sqlalchemy import func, select, text

from helpers import outbox, page_text
from network.events import personal, services
from network.events.models import CalendarToken, EventReminder, ReminderKind, Rsvp, RsvpResponse
from network.events.reminders import send_reminders
from network.extensions import db
from network.journal import services as journal
from network.notifications import services as notifications
from network.notifications.models import EmailFrequency, Notification, NotificationKind
from network.personal_data import Erasure
from network.programme.models import Cohort, EventKind, ProgrammeEvent
from network.timeutil import STOCKHOLM, local_today, stockholm_time, utcnow

SOON = local_today() + timedelta(days=10)


@pytest.fixture
def make_event(app, cohort):
    """``make_event(day=..., cohort=...)``: a stored event, 09:00-17:00 Stockholm unless times are given."""
    def make(title="Konferens 3: Täby", day=SOON, cohort=cohort, kind=EventKind.CONFERENCE, starts=time(9),
             ends=time(17), days=1, **fields):
        event = ProgrammeEvent(cohort=cohort, kind=kind, title=title, place=fields.pop("place", "Täby"),
                               starts_at=stockholm_time(day, starts),
                               ends_at=stockholm_time(day + timedelta(days=days - 1), ends), **fields)
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture
def wide_cohort(make_cohort):
    """A cohort spanning the years around today, so events near today fall within it."""
    today = local_today()
    return make_cohort(name="Växthuset Nu", starts_on=today - timedelta(days=200), ends_on=today + timedelta(days=200))


def ics(response) -> Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.get_data())


def feed_path(page: str) -> str:
    """The private feed's path in the page that showed it."""
    match = re.search(r"https?://[^/\s\"]+(/calendar/[^\s\"<]+\.ics)", page)
    assert match, "no feed address shown"
    return match.group(1)


def uid(event) -> str:
    return f"event-{event.id}@{urlsplit(current_app.config['BASE_URL']).hostname}"


def uids(calendar: Calendar) -> set[str]:
    return {str(component["UID"]) for component in calendar.walk("VEVENT")}


# The calendar page and who may attend ------------------------------------------------------------------

def test_members_see_their_cohorts_events_and_the_network_wide_ones_but_not_other_cohorts(
        client, cast, make_event, login_as):
    people = cast("participant", "outsider")
    ours = make_event(title="Konferens hos oss")
    theirs = make_event(title="Konferens hos andra", cohort=cast.cohort("other_cohort"))
    alumni = make_event(title="Alumniträff", cohort=None, kind=EventKind.ALUMNI_MEETING)
    past = make_event(title="Förra konferensen", day=local_today() - timedelta(days=30))
    login_as(client, people["participant"])
    page = page_text(client.get("/events"))
    assert "Konferens hos oss" in page and "Alumniträff" in page and "Förra konferensen" in page
    assert "Konferens hos andra" not in page
    assert page.index("Konferens hos oss") < page.index("Förra konferensen")  # upcoming before past
    for event in (ours, alumni, past):
        assert client.get(f"/events/{event.id}").status_code == 200
    assert client.get(f"/events/{theirs.id}").status_code == 404
    assert client.get(f"/events/{theirs.id}.ics").status_code == 404
    assert client.post(f"/events/{theirs.id}/rsvp", data={"response": "yes"}).status_code == 404
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


def test_the_navigation_names_the_calendar_in_both_languages(client, participant, login_as):
    login_as(client, participant)
    assert '<a href="/events">Kalender</a>' in page_text(client.get("/"))
    participant.language = "en"
    db.session.commit()
    assert '<a href="/events">Events</a>' in page_text(client.get("/"))


def test_the_event_page_shows_time_in_stockholm_place_description_prompts_and_who_is_coming(
        client, cast, make_event, login_as):
    people = cast("participant", "author", "course_leader")
    # 1 July: summer time, so 09:30 in Stockholm is 07:30 UTC.
    event = make_event(day=date(local_today().year + 1, 7, 1), starts=time(9, 30), ends=time(16), address="Storgatan 1, Täby",
                       description="**Ta med** dagboken <script>alert(1)</script>")
    event.description_html = "<p><strong>Ta med</strong> dagboken</p>"
    assert event.starts_at.astimezone(UTC).hour == 7
    journal.add_prompt(people["course_leader"], cohort_id=event.cohort_id, event_id=event.id, timing=None, aim=None,
                       text_sv="Vad vill du pröva efter Täby?", text_en="")
    services.answer(people["author"], event, RsvpResponse.YES)
    db.session.commit()
    login_as(client, people["participant"])
    page = page_text(client.get(f"/events/{event.id}"))
    assert "09:30" in page and "16:00" in page and "Storgatan 1, Täby" in page
    assert "<strong>Ta med</strong>" in page and "<script>" not in page
    assert "Vad vill du pröva efter Täby?" in page
    assert "Erik Skribent" in page and "1 kommer, 0 kanske, 0 kommer inte." in page
    assert 'name="response"' in page and 'value="maybe"' in page


def test_a_description_is_sanitised_once_when_the_event_is_saved(client, admin, cohort, login_as):
    login_as(client, admin)
    client.post(f"/admin/cohorts/{cohort.id}/events/new", data={
        "kind": "conference", "title": "Konferens 2", "place": "Sigtuna", "starts_on": "2026-03-02",
        "ends_on": "2026-03-03", "description": "Program: [länk](javascript:alert(1)) <img src=x onerror=alert(1)>",
    })
    stored = db.session.scalar(select(ProgrammeEvent))
    assert 'href="javascript' not in stored.description_html and "<img" not in stored.description_html
    assert stored.description.startswith("Program:")


# Answers ------------------------------------------------------------------------------------------------

def test_a_member_answers_and_changes_their_answer_until_the_event_starts(client, participant, make_event, login_as):
    event = make_event()
    login_as(client, participant)
    assert client.post(f"/events/{event.id}/rsvp", data={"response": "yes"}).status_code == 302
    assert client.post(f"/events/{event.id}/rsvp", data={"response": "maybe"}).status_code == 302
    answers = db.session.scalars(select(Rsvp)).all()
    assert [(a.user_id, a.response) for a in answers] == [(participant.id, RsvpResponse.MAYBE)]
    assert re.search(r'<input checked[^>]*value="maybe"', page_text(client.get(f"/events/{event.id}")))


@pytest.mark.parametrize("response", ["", "perhaps", "YES"])
def test_an_answer_outside_yes_no_maybe_is_refused(client, participant, make_event, login_as, response):
    event = make_event()
    login_as(client, participant)
    assert client.post(f"/events/{event.id}/rsvp", data={"response": response}).status_code == 400
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


def test_answers_close_when_the_event_starts(client, participant, make_event, login_as):
    now = datetime.now(STOCKHOLM)
    event = make_event(day=now.date(), starts=time(0, 0), ends=time(23, 59))
    login_as(client, participant)
    page = page_text(client.get(f"/events/{event.id}"))
    assert 'name="response"' not in page and "svar är stängda" in page
    response = client.post(f"/events/{event.id}/rsvp", data={"response": "yes"}, follow_redirects=True)
    assert "svar är stängda" in page_text(response)
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


# iCalendar -----------------------------------------------------------------------------------------------

def test_an_event_ics_parses_back_with_uid_stamp_stockholm_times_title_and_place(client, participant, make_event,
                                                                                  login_as):
    event = make_event(day=date(2026, 11, 3), starts=time(10), ends=time(15, 30), days=2,
                       address="Kvarnbacken 2, Täby")
    login_as(client, participant)
    response = client.get(f"/events/{event.id}.ics")
    calendar = ics(response)
    assert "attachment" in response.headers["Content-Disposition"]
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == uid(event)
    assert vevent["DTSTAMP"].dt.tzinfo is not None
    start, end = vevent["DTSTART"], vevent["DTEND"]
    assert start.params["TZID"] == "Europe/Stockholm" and end.params["TZID"] == "Europe/Stockholm"
    assert start.dt == datetime(2026, 11, 3, 10, tzinfo=STOCKHOLM)
    assert end.dt == datetime(2026, 11, 4, 15, 30, tzinfo=STOCKHOLM)
    assert str(vevent["SUMMARY"]) == "Konferens 3: Täby"
    assert str(vevent["LOCATION"]) == "Täby, Kvarnbacken 2, Täby"
    [zone] = calendar.walk("VTIMEZONE")  # Outlook needs the zone's definition beside the TZID
    assert str(zone["TZID"]) == "Europe/Stockholm"


def test_the_private_feed_lists_exactly_the_events_the_member_may_attend_without_log_in(
        app, client, cast, make_event, login_as):
    people = cast("participant", "outsider")
    ours, alumni = make_event(title="Vår"), make_event(title="Alla", cohort=None, kind=EventKind.ALUMNI_MEETING)
    make_event(title="Deras", cohort=cast.cohort("other_cohort"))
    login_as(client, people["participant"])
    path = feed_path(page_text(client.post("/events/calendar")))
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    stored = db.session.get(CalendarToken, people["participant"].id)
    assert token not in stored.token_hash and len(stored.token_hash) == 64  # only the hash is kept

    calendar_app = app.test_client()  # no session, no cookies
    response = calendar_app.get(path)
    assert uids(ics(response)) == {uid(ours), uid(alumni)}
    assert "Set-Cookie" not in response.headers
    assert "private" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]
    assert "Set-Cookie" not in client.get(path).headers  # nor for a browser that is logged in


def test_a_reset_feed_address_answers_404_and_the_new_one_works(app, client, participant, make_event, login_as):
    make_event()
    login_as(client, participant)
    old = services.reset_feed(participant)
    db.session.commit()
    new = feed_path(page_text(client.post("/events/calendar")))
    calendar_app = app.test_client()
    refused = calendar_app.get(f"/calendar/{old}.ics")
    assert refused.status_code == 404 and "Set-Cookie" not in refused.headers
    assert calendar_app.get(new).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(CalendarToken)) == 1


def test_a_suspended_members_feed_answers_404(app, participant, make_event):
    from network.auth import services as accounts
    from network.auth.models import UserStatus

    token = services.reset_feed(participant)
    accounts.set_status(participant, UserStatus.SUSPENDED)
    db.session.commit()
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404


# Administration: event forms --------------------------------------------------------------------------

def event_form(**changes) -> dict:
    return {"kind": "conference", "title": "Konferens 4: Sollentuna", "place": "Sollentuna",
            "address": "Turebergs allé 2", "starts_on": "2026-04-13", "start_time": "10:00",
            "ends_on": "2026-04-14", "end_time": "15:00", "description": "Program följer.", **changes}


def test_an_event_is_stored_with_its_stockholm_times_address_and_creator(client, admin, cohort, login_as):
    login_as(client, admin)
    assert client.post(f"/admin/cohorts/{cohort.id}/events/new", data=event_form()).status_code == 302
    event = db.session.scalar(select(ProgrammeEvent))
    assert event.starts_at == datetime(2026, 4, 13, 8, tzinfo=UTC)  # 10:00 summer time
    assert event.local_end == datetime(2026, 4, 14, 15, tzinfo=STOCKHOLM)
    assert (event.address, event.created_by_id, event.cohort_id) == ("Turebergs allé 2", admin.id, cohort.id)


@pytest.mark.parametrize("changes, error", [
    ({"starts_on": "2025-12-01", "ends_on": "2025-12-02"}, "inom omgångens datum"),
    ({"ends_on": "2026-12-20"}, "inom omgångens datum"),
    ({"ends_on": "2026-04-13", "end_time": "09:00"}, "måste sluta efter att det börjar"),
    ({"place": "x" * 201}, "200"),
    ({"address": "x" * 301}, "300"),
])
def test_the_event_form_refuses_dates_outside_the_cohort_times_in_the_wrong_order_and_long_places(
        client, admin, cohort, login_as, changes, error):
    login_as(client, admin)
    response = client.post(f"/admin/cohorts/{cohort.id}/events/new", data=event_form(**changes))
    assert response.status_code == 200
    page = page_text(response)
    assert "error-summary" in page and error in page[page.index('class="errors"'):]
    assert db.session.scalar(select(func.count(ProgrammeEvent.id))) == 0


def test_editing_an_event_keeps_its_times_in_the_form(client, admin, make_event, login_as):
    event = make_event(starts=time(13, 15), ends=time(18))
    login_as(client, admin)
    page = page_text(client.get(f"/admin/events/{event.id}/edit"))
    assert 'value="13:15"' in page and 'value="18:00"' in page


def test_course_leaders_create_network_wide_alumni_events_and_manage_only_their_own(
        client, cast, login_as):
    people = cast("course_leader", "other_leader", "outsider")
    login_as(client, people["course_leader"])
    response = client.post("/admin/events/new", data=event_form(kind="alumni_meeting", title="Alumnimiddag",
                                                                starts_on="2031-05-05", ends_on="2031-05-05",
                                                                start_time="17:00", end_time="21:00"))
    assert response.status_code == 302
    event = db.session.scalar(select(ProgrammeEvent))
    assert (event.cohort_id, event.kind, event.created_by_id) == (None, EventKind.ALUMNI_MEETING,
                                                                   people["course_leader"].id)
    login_as(client, people["outsider"])  # everyone may attend a network-wide event
    assert client.get(f"/events/{event.id}").status_code == 200
    login_as(client, people["other_leader"])
    assert client.get(f"/admin/events/{event.id}/edit").status_code == 403


def test_a_network_wide_event_is_of_the_network_wide_kind(client, admin, login_as):
    login_as(client, admin)
    response = client.post("/admin/events/new", data=event_form(kind="conference"))
    assert response.status_code == 200 and "error-summary" in page_text(response)
    assert db.session.scalar(select(func.count(ProgrammeEvent.id))) == 0


def test_deleting_an_event_asks_first_and_deletes_on_the_confirming_post(client, admin, make_event, login_as):
    event = make_event()
    login_as(client, admin)
    page = page_text(client.get(f"/admin/events/{event.id}/delete"))
    assert "Radera ”Konferens 3: Täby”?" in page and 'method="post"' in page
    assert db.session.get(ProgrammeEvent, event.id) is not None
    assert client.post(f"/admin/events/{event.id}/delete").status_code == 302
    assert db.session.get(ProgrammeEvent, event.id) is None


# Profiles link events ------------------------------------------------------------------------------------

def test_a_profile_links_the_events_the_viewer_may_attend(client, cast, make_event, login_as):
    from network.people import services as people_services
    from network.people.models import Visibility

    people = cast("participant", "author", "outsider")
    for user in (people["participant"], people["author"]):
        people_services.save_profile(user, in_directory=True, title="", phone="", email_visibility=Visibility.NETWORK,
                                     phone_visibility=Visibility.PRIVATE, languages="", link="", bio="", areas=[],
                                     keywords=[])
    held = make_event(day=date(2026, 2, 2))
    db.session.commit()
    login_as(client, people["participant"])
    assert f'href="/events/{held.id}"' in page_text(client.get(f"/people/{people['author'].handle}"))
    login_as(client, people["outsider"])
    page = page_text(client.get(f"/people/{people['author'].handle}"))
    assert "Konferens 3: Täby" in page and f'href="/events/{held.id}"' not in page


# Query counts --------------------------------------------------------------------------------------------

def test_the_calendar_and_event_pages_cost_the_same_with_many_events_and_answers(
        client, participant, cohort, make_user, make_event, login_as, count_queries):
    def counted(path):
        client.get(path)  # warm: activity stamp, session
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    login_as(client, participant)
    first = make_event()
    services.answer(participant, first, RsvpResponse.YES)
    db.session.commit()
    few = counted("/events"), counted(f"/events/{first.id}")
    for n in range(12):
        event = make_event(title=f"Konferens {n}", day=SOON + timedelta(days=n + 1))
        services.answer(participant, event, RsvpResponse.MAYBE)
    for _ in range(15):
        services.answer(make_user(cohort=cohort), first, RsvpResponse.YES)
    db.session.commit()
    assert (counted("/events"), counted(f"/events/{first.id}")) == few


# Reminders -----------------------------------------------------------------------------------------------

def test_reminders_go_the_day_before_to_those_coming_and_the_answers_to_course_leaders_once(
        app, cast, make_event, make_user, cohort):
    people = cast("participant", "author", "course_leader")
    undecided = make_user(cohort=cohort)
    now = utcnow()
    tomorrow = make_event(title="I morgon")
    tomorrow.starts_at, tomorrow.ends_at = now + timedelta(hours=20), now + timedelta(hours=28)
    next_week = make_event(title="Nästa vecka")
    next_week.starts_at, next_week.ends_at = now + timedelta(days=5), now + timedelta(days=6)
    services.answer(people["participant"], tomorrow, RsvpResponse.YES)
    services.answer(people["author"], tomorrow, RsvpResponse.NO)
    services.answer(undecided, next_week, RsvpResponse.YES)
    db.session.commit()

    assert send_reminders(now) == 3
    assert send_reminders(now + timedelta(minutes=10)) == 0  # once per member, event and kind
    sent = {(r.user_id, r.event_id, r.kind) for r in db.session.scalars(select(EventReminder))}
    leader = people["course_leader"].id
    assert sent == {(people["participant"].id, tomorrow.id, ReminderKind.DAY_BEFORE),
                    (leader, tomorrow.id, ReminderKind.SUMMARY_DAY),
                    (leader, next_week.id, ReminderKind.SUMMARY_WEEK)}  # next week's yes waits for its day
    kinds = {(n.user_id, n.event_id, n.kind, n.message) for n in db.session.scalars(select(Notification))}
    assert (people["participant"].id, tomorrow.id, NotificationKind.EVENT_REMINDER, "") in kinds
    assert (leader, tomorrow.id, NotificationKind.RSVP_SUMMARY, "1 kommer, 0 kanske, 1 kommer inte.") in kinds
    assert (leader, next_week.id, NotificationKind.RSVP_SUMMARY, "1 kommer, 0 kanske, 0 kommer inte.") in kinds
    assert not any(user == people["author"].id for user, *_ in kinds)  # said no: no reminder


def test_a_reminder_follows_the_members_email_preference_and_leads_to_the_event(
        app, client, participant, make_event, login_as):
    notifications.set_email_frequency(participant, EmailFrequency.IMMEDIATE)
    event = make_event(title="Studieresa till Kreta")
    event.starts_at, event.ends_at = utcnow() + timedelta(hours=12), utcnow() + timedelta(days=3)
    services.answer(participant, event, RsvpResponse.YES)
    db.session.commit()
    send_reminders(utcnow())
    db.session.commit()
    [mail] = outbox(app)
    assert mail["To"] == participant.email and "Studieresa till Kreta" in mail["Subject"]
    assert f"/events/{event.id}" in mail.get_content()
    login_as(client, participant)
    page = page_text(client.get("/notifications"))
    assert "Påminnelse: ”Studieresa till Kreta”" in page and f'href="/events/{event.id}"' in page


def test_members_who_want_no_email_get_the_reminder_only_in_the_app(app, participant, make_event):
    notifications.set_email_frequency(participant, EmailFrequency.NONE)
    event = make_event()
    event.starts_at, event.ends_at = utcnow() + timedelta(hours=12), utcnow() + timedelta(days=1)
    services.answer(participant, event, RsvpResponse.YES)
    db.session.commit()
    send_reminders(utcnow())
    db.session.commit()
    assert outbox(app) == []
    assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_the_remind_command_reports_what_it_sent(runner, participant, make_event):
    event = make_event()
    event.starts_at, event.ends_at = utcnow() + timedelta(hours=3), utcnow() + timedelta(hours=9)
    services.answer(participant, event, RsvpResponse.YES)
    db.session.commit()
    assert "Sent 1 reminder(s)." in runner.invoke(args=["events", "remind"]).output
    assert "Sent 0 reminder(s)." in runner.invoke(args=["events", "remind"]).output


# Personal data -------------------------------------------------------------------------------------------

def test_the_events_tables_are_declared_for_export_and_erasure(app):
    from network.personal_data import ERASERS, PARTS

    tables = {"rsvp", "calendar_token", "event_reminder", "programme_event"}
    assert tables <= set(PARTS["events"].tables) and tables <= set(ERASERS["events"].tables)


def test_the_export_part_holds_the_members_answers_and_that_a_feed_exists_never_its_token(cast, make_event):
    people = cast("participant", "author")
    event = make_event()
    services.answer(people["participant"], event, RsvpResponse.MAYBE)
    services.answer(people["author"], event, RsvpResponse.YES)
    token = services.reset_feed(people["participant"])
    db.session.commit()
    records = list(personal.export_events(people["participant"]))
    assert [(r["record"], r.get("response")) for r in records] == [("answer", "maybe"), ("calendar_feed", None)]
    assert token not in repr(records) and db.session.get(CalendarToken, people["participant"].id).token_hash not in repr(records)


def test_the_eraser_removes_answers_feed_and_reminders_and_keeps_created_events_without_the_creator(
        cast, make_event):
    people = cast("course_leader", "author")
    leader = people["course_leader"]
    event = make_event(created_by_id=leader.id)
    services.answer(leader, event, RsvpResponse.YES)
    services.answer(people["author"], event, RsvpResponse.YES)
    services.reset_feed(leader)
    db.session.add(EventReminder(event_id=event.id, user_id=leader.id, kind=ReminderKind.SUMMARY_WEEK))
    db.session.flush()
    personal.erase_events(Erasure(user=leader, delete_posts=False))
    assert [r.user_id for r in db.session.scalars(select(Rsvp))] == [people["author"].id]
    assert db.session.get(CalendarToken, leader.id) is None
    assert db.session.scalar(select(func.count(EventReminder.id))) == 0
    assert db.session.get(ProgrammeEvent, event.id).created_by_id is None


# The demo ------------------------------------------------------------------------------------------------

def test_seed_demo_gives_the_running_cohort_upcoming_events_and_the_network_an_alumni_meeting(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    now, today = utcnow(), local_today()
    running = db.session.scalar(select(Cohort).where(Cohort.starts_on <= today, Cohort.ends_on >= today))
    upcoming = [e for e in running.events if e.starts_at > now]
    assert upcoming and all(e.address for e in upcoming)
    assert db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.event_id.in_([e.id for e in upcoming]))) > 0
    [alumni] = db.session.scalars(select(ProgrammeEvent).where(ProgrammeEvent.cohort_id.is_(None))).all()
    assert alumni.kind == EventKind.ALUMNI_MEETING and alumni.starts_at > now


# The migration -------------------------------------------------------------------------------------------

@pytest.mark.committing
def test_the_migration_gives_old_events_09_to_17_stockholm_and_keeps_the_journals_links(app, cohort, cast):
    leader = cast("course_leader")["course_leader"]
    event = ProgrammeEvent(cohort=cohort, kind=EventKind.STUDY_TRIP, title="Kreta", place="Platanias",
                           starts_on=date(2026, 5, 18), ends_on=date(2026, 5, 22))
    db.session.add(event)
    db.session.flush()
    prompt = journal.add_prompt(leader, cohort_id=cohort.id, event_id=event.id, timing=None, aim=None,
                                text_sv="Vad såg du?", text_en="")
    entry = journal.save_entry(leader, None, title="Kreta", body="Text.", tags=[], entry_date=date(2026, 5, 20),
                               event_id=event.id, is_draft=False)
    db.session.commit()
    event_id, prompt_id, entry_id = event.id, prompt.id, entry.id
    db.session.remove()

    downgrade(revision="0012")
    with db.engine.begin() as connection:
        row = connection.execute(text("SELECT starts_on, ends_on FROM programme_event WHERE id = :id"),
                                 {"id": event_id}).one()
        assert [str(day) for day in row] == ["2026-05-18", "2026-05-22"]
    upgrade()
    event = db.session.get(ProgrammeEvent, event_id)
    assert (event.local_start, event.local_end) == (datetime(2026, 5, 18, 9, tzinfo=STOCKHOLM),
                                                    datetime(2026, 5, 22, 17, tzinfo=STOCKHOLM))
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT event_id FROM journal_prompt WHERE id = :id"),
                                  {"id": prompt_id}).scalar() == event_id
        assert connection.execute(text("SELECT event_id FROM journal_entry WHERE id = :id"),
                                  {"id": entry_id}).scalar() == event_id


def test_the_home_page_lists_the_coming_network_wide_events_beside_the_cohorts(client, participant, make_event,
                                                                               login_as):
    alumni = make_event(title="Alumniträff i Täby", cohort=None, kind=EventKind.ALUMNI_MEETING)
    login_as(client, participant)
    page = page_text(client.get("/"))
    assert f'href="/events/{alumni.id}"' in page and "hela nätverket" in page
