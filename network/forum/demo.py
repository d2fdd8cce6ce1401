"""Demo discussions: threads and replies in the programme's themes, one of them for a cohort only."""
import random
from datetime import timedelta

from sqlalchemy import select

from network.auth.models import Role
from network.extensions import db
from network.forum import services
from network.forum.models import Post, Theme, Thread
from network.timeutil import utcnow

# slug, title, opening post, replies; "{cohort}" threads are for the current cohort only.
DISCUSSIONS = [
    ("ungt-ledarskap", "Att bli chef över sina före detta kollegor",
     "Jag blev enhetschef i hemtjänsten i våras, i samma grupp där jag själv arbetade i fem år. "
     "Hur har ni hittat balansen mellan att vara **kollega** och att vara **chef**?",
     ["Det som hjälpte mig var att tidigt prata öppet om rollbytet på en arbetsplatsträff.",
      "Bra fråga! Jag tog hjälp av min egen chef för att sätta ramarna de första månaderna.",
      "Vi pratade om detta på konferensen i Sigtuna – tipset om att boka enskilda samtal med alla var guld."]),
    ("ungt-ledarskap", "Unga medarbetare och feedback",
     "Våra nyanställda under 25 vill ha återkoppling mycket oftare än vi är vana vid. Hur gör ni i praktiken?",
     ["Korta avstämningar varje vecka i stället för två medarbetarsamtal om året.",
      "Vi har testat en enkel digital pulsmätning, men samtalet går inte att ersätta."]),
    ("destruktivt-ledarskap", "Tidiga tecken på en destruktiv arbetsmiljö",
     "Efter föreläsningen om destruktivt ledarskap funderar jag på vilka tidiga tecken vi som chefer ska se upp med.",
     ["Tystnad på möten. När ingen längre säger emot är det ofta för sent.",
      "Hög sjukfrånvaro i en grupp som tidigare mått bra är en varningssignal för mig.",
      "Jag tänker också på oss själva: hur märker vi att *vi* är en del av problemet?"]),
    ("mangkulturellt-ledarskap", "Språkstöd för medarbetare i äldreomsorgen",
     "Hos oss talar medarbetarna över tjugo språk. Vilka satsningar på svenska på arbetstiden har fungerat hos er?",
     ["Språkombud på varje enhet har gjort stor skillnad hos oss.",
      "Vi samarbetar med vuxenutbildningen i kommunen, det finns mer stöd att få än man tror."]),
    ("innovationskraft", "Idéer från studieresan till Indien",
     "Vad tar ni med er hem från studieresan? Jag fastnade för hur snabbt de testade idéer i liten skala.",
     ["Samma sak! Vi ska prova en \"testvecka\" för nya arbetssätt i förskolan i vår.",
      "Att våga visa något ofärdigt för invånarna – det vill jag bli bättre på."]),
    ("innovationskraft", "{cohort}: förberedelser inför konferens 3",
     "Inför konferensen i Täby: skriv gärna vilka utmaningar ni vill ta upp i gruppen.",
     ["Jag vill prata om samverkan mellan kommunen och privata utförare.",
      "Rekryteringen av sjuksköterskor – den frågan brinner hos oss just nu."]),
]


def themes_by_slug() -> dict[str, Theme]:
    """The programme's themes by slug (migration 0003 seeds them)."""
    return {theme.slug: theme for theme in db.session.scalars(select(Theme))}


def seed(rng: random.Random, data) -> None:
    """Add demo discussions (once: seed-demo runs feature seeders only on an unseeded database)."""
    if db.session.scalar(select(Post.id).limit(1)) is not None:
        return
    themes = themes_by_slug()
    current = data.cohorts[-1]
    members = [m.user for m in current.memberships if m.user.role == Role.PARTICIPANT]
    alumni = [m.user for m in data.cohorts[0].memberships if m.user.role == Role.PARTICIPANT][:40]
    start = utcnow() - timedelta(days=40)
    for number, (slug, title, opening, replies) in enumerate(DISCUSSIONS):
        cohort_only = "{cohort}" in title
        people = members if cohort_only else members + alumni
        author = rng.choice(people)
        thread = services.create_thread(author, themes[slug], title.format(cohort=current.name), opening,
                                        current if cohort_only else None)
        moment = start + timedelta(days=number * 6, hours=rng.randint(7, 16))
        _backdate(thread.id, moment)
        for text in replies:
            moment += timedelta(hours=rng.randint(2, 30))
            if rng.random() < 0.3:
                text = f"@{author.handle} {text}"
            post = services.create_reply(rng.choice(people), thread, text)
            post.created_at = moment
            thread.last_activity_at = moment


def _backdate(thread_id: int, moment) -> None:
    thread = db.session.get(Thread, thread_id)
    thread.created_at = thread.last_activity_at = moment
    for post in db.session.scalars(select(Post).where(Post.thread_id == thread_id)):
        post.created_at = moment
