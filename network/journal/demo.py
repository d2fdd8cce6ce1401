"""Demo journal entries and a course leader's prompts (`flask seed-demo`)."""
from datetime import timedelta

from network.auth.models import Role
from network.extensions import db
from network.forum.demo import themes_by_slug
from network.journal import services
from network.text import render_markdown
from network.journal.models import JournalEntry, JournalPrompt, ProgrammeAim, PromptTiming

ENTRIES = [
    ("Inför första konferensen", "Jag är nyfiken men också lite orolig. Hur mycket ska jag berätta om hur det "
     "egentligen ser ut i min verksamhet?\n\n- Vill lära mig mer om **kundorientering**\n- Vill träffa chefer från privata utförare",
     ["förväntningar", "konferens"], -3, []),
    ("Efter konferensen", "Samtalet med chefen från Omsorgshuset Norr fick mig att tänka om kring hur vi tar emot "
     "nya brukare. Vi konkurrerar, men vi har samma invånare.", ["samverkan", "utförare"], 2, ["innovationskraft"]),
    ("Min grupp och sjukskrivningarna", "Två i gruppen är sjukskrivna och resten bär en tung last. "
     "Jag behöver prata med HR om *bemanningen* innan sommaren.", ["personal", "arbetsmiljö"], 20,
     ["destruktivt-ledarskap"]),
    ("Ett invant tankemönster", "Jag säger ofta \"så har vi alltid gjort\" utan att märka det. "
     "Nästa arbetsplatsträff ska jag be gruppen utmana mig.", ["tankemönster"], 35,
     ["ungt-ledarskap", "innovationskraft"]),
]

LEADER_PROMPTS = [
    ("Vad vill du fråga de andra cheferna om under nästa konferens?",
     "What do you want to ask the other managers at the next conference?", PromptTiming.BEFORE, ProgrammeAim.MANAGER_NETWORK),
    ("Vilken vana i din verksamhet såg du med nya ögon under resan?",
     "Which habit in your organisation did you see with new eyes during the trip?", PromptTiming.AFTER, ProgrammeAim.HABITUAL_THINKING),
]


def seed(rng, data) -> None:
    """A few entries (some linked to discussion themes) for the first participants of each cohort, the course
    leader's prompts."""
    leader = next(u for u in data.users if u.role == Role.COURSE_LEADER)
    themes = themes_by_slug()
    for cohort in data.cohorts:
        first_event = cohort.events[0]
        trip = next(e for e in cohort.events if e.kind.value == "study_trip")
        for (text_sv, text_en, timing, aim), event in zip(LEADER_PROMPTS, (first_event, trip)):
            db.session.add(JournalPrompt(cohort=cohort, event=event, timing=timing, aim=aim, text_sv=text_sv,
                                         text_en=text_en, author_id=leader.id))
        writers = [m.user for m in cohort.memberships if m.user.role == Role.PARTICIPANT][:3]
        for user in writers:
            for title, body, tags, offset, slugs in ENTRIES:
                entry = JournalEntry(author_id=user.id, entry_date=first_event.starts_on + timedelta(days=offset),
                                     event_id=first_event.id if offset < 10 else None, is_draft=rng.random() < 0.1,
                                     key_id="", nonce=b"", ciphertext=b"")
                db.session.add(entry)
                db.session.flush()
                services.seal(entry, {"title": title, "body": body, "html": render_markdown(body), "tags": tags,
                                      "prompt": "", "themes": [themes[slug].id for slug in slugs if slug in themes]})
