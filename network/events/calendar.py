"""iCalendar (RFC 5545) files of events, built with the ``icalendar`` package: one event's .ics and
a member's feed. Times carry TZID=Europe/Stockholm with its VTIMEZONE, which Outlook needs."""
from collections.abc import Iterable
from datetime import date, datetime

from flask import current_app
from icalendar import Calendar, Event, Timezone

from network.labels import label
from network.programme.models import ProgrammeEvent
from network.timeutil import local_today, utcnow
from network.urls import base_host, mail_url

PRODUCT_ID = "-//Växthuset Network//Events//SV"


def uid(event: ProgrammeEvent) -> str:
    """The event's lasting identity in calendars: the same in its .ics and in every feed."""
    return f"event-{event.id}@{base_host(current_app.config['BASE_URL'])}"


def location(event: ProgrammeEvent) -> str:
    """Place and address on one line."""
    return ", ".join(part for part in (event.place, event.address) if part)


def vevent(event: ProgrammeEvent, stamp: datetime) -> Event:
    """One VEVENT: UID, DTSTAMP, Stockholm start and end, title, place and the event's page."""
    component = Event()
    component.add("uid", uid(event))
    component.add("dtstamp", stamp)
    component.add("dtstart", event.local_start)
    component.add("dtend", event.local_end)
    component.add("summary", event.title)
    component.add("location", location(event))
    component.add("categories", [str(label(event.kind))])
    component.add("description", event.description)
    component.add("url", mail_url("events.event", event_id=event.id))
    return component


def calendar(events: Iterable[ProgrammeEvent], name: str) -> bytes:
    """A VCALENDAR holding these events, with the Stockholm time zone they refer to."""
    events = list(events)
    stamp = utcnow()
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Stockholm")
    cal.add_component(stockholm_zone(events))
    for event in events:
        cal.add_component(vevent(event, stamp))
    return cal.to_ical()


def stockholm_zone(events: list[ProgrammeEvent]) -> Timezone:
    """The VTIMEZONE for Europe/Stockholm, its transitions spanning the events' years."""
    years = [e.local_start.year for e in events] or [local_today().year]
    return Timezone.from_tzid("Europe/Stockholm", first_date=date(min(years) - 1, 1, 1),
                              last_date=date(max(years) + 2, 1, 1))
