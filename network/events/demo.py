"""Demo events: addresses and programmes for the running cohort's events, answers from its
participants, and an upcoming alumni meeting for the whole network."""
import random
from datetime import time, timedelta

from network.auth.models import Role
from network.events.models import Rsvp, RsvpResponse
from network.extensions import db
from network.programme.models import EventKind, ProgrammeEvent
from network.text import render_markdown
from network.timeutil import local_today, stockholm_time, utcnow

PROGRAMME = ("**Dag 1** 09:00 samling och kaffe, 10:00 föreläsning, 13:00 grupparbete.\n\n"
             "**Dag 2** 08:30 reflektion i basgrupper, 15:00 avslutning.\n\n"
             "Ta med din reflektionsdagbok.")
ALUMNI = ("Alumner från alla omgångar träffas över en enkel middag. Kort samtal om "
          "*innovationskraft* med två tidigare deltagare, sedan mingel.")


def seed(rng: random.Random, data) -> None:
    """Details and answers for the running cohort's events; one network-wide alumni meeting to come."""
    today = local_today()
    running = [c for c in data.cohorts if c.starts_on <= today <= c.ends_on]
    admin = next((u for u in data.users if u.role == Role.ADMIN), None)
    for cohort in running:
        participants = [m.user for m in cohort.memberships if m.user.role == Role.PARTICIPANT]
        for event in cohort.events:
            event.address = f"Konferensgården, {event.place}" if event.kind == EventKind.CONFERENCE else event.place
            event.description = PROGRAMME if event.kind == EventKind.CONFERENCE else ""
            event.description_html = render_markdown(event.description)
            if event.starts_at > utcnow():
                answer_some(rng, event, participants)
    day = today + timedelta(days=24)
    db.session.add(ProgrammeEvent(
        cohort=None, kind=EventKind.ALUMNI_MEETING, title="Alumniträff: Växthuset genom åren",
        place="Upplands Väsby", address="Kulturhuset, Dragonvägen 86, Upplands Väsby",
        description=ALUMNI, description_html=render_markdown(ALUMNI),
        starts_at=stockholm_time(day, time(17, 0)), ends_at=stockholm_time(day, time(20, 30)),
        created_by_id=admin.id if admin else None,
    ))


def answer_some(rng: random.Random, event: ProgrammeEvent, participants) -> None:
    """About two thirds of the participants answer, most of them yes."""
    for user in participants:
        if rng.random() < 0.66:
            response = rng.choices(list(RsvpResponse), weights=(7, 2, 1))[0]
            db.session.add(Rsvp(event=event, user=user, response=response))
