"""`flask seed-demo`: a realistic, idempotent demo network for development and tests."""
import importlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from network.auth.models import Role, User
from network.auth.passwords import hash_password
from network.auth.services import unique_handle
from network.extensions import db
from network.journal.keys import keyring
from network.timeutil import local_today
from network.programme.models import (
    Cohort,
    CohortMembership,
    EventKind,
    MembershipRole,
    Organisation,
    OrganisationKind,
    ProgrammeEvent,
)

DEMO_PASSWORD = "vaxthuset-demo"
DEMO_DOMAIN = "vaxthuset.example"

MUNICIPALITIES = ["Upplands Väsby", "Sigtuna", "Sollentuna", "Vallentuna", "Täby", "Knivsta"]
PROVIDERS = [
    ("Omsorgshuset Norr AB", "Upplands Väsby"),
    ("Vårdkraft Mälardalen AB", "Sollentuna"),
    ("Förskolan Lärkan AB", "Täby"),
    ("Stiftelsen Gröna Gården", "Vallentuna"),
    ("Skolkompaniet Arlanda AB", "Sigtuna"),
    ("Hemtjänst i Knivsta AB", "Knivsta"),
]
PARTNERS = [("Ledarskapsakademin Uppland", "Uppsala")]

FIRST_NAMES = [
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sara", "Per",
    "Lena", "Mikael", "Kristina", "Fredrik", "Elin", "Jonas", "Sofia", "Mats", "Emma", "Peter",
    "Ida", "Magnus", "Linnea", "Henrik", "Malin", "Ahmed", "Fatima", "Ali", "Leyla", "Goran",
    "Aino", "Juha", "Marta", "Daniel", "Hanna", "Oskar", "Amira", "Nils", "Helena", "Tobias",
]
LAST_NAMES = [
    "Lindqvist", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Berg", "Lund", "Holm", "Sandberg",
    "Öberg", "Åström", "Hassan", "Yilmaz", "Korhonen", "Novak", "Ekström", "Wallin",
]

COHORTS = [
    # name, starts, ends, participants, conferences (place, start), study trips (title, place, start, days)
    (
        "Växthuset 2013", date(2013, 1, 21), date(2013, 12, 13), 40,
        [("Sigtuna", date(2013, 2, 7)), ("Knivsta", date(2013, 4, 11)), ("Vallentuna", date(2013, 6, 13)),
         ("Täby", date(2013, 9, 12)), ("Upplands Väsby", date(2013, 11, 28))],
        [("Studieresa till Kreta", "Platanias, Kreta", date(2013, 5, 20), 5),
         ("Studieresa till södra Indien", "Södra Indien", date(2013, 10, 21), 10)],
    ),
]

# The running cohort, in days from its first Monday: the programme's year, conferences on Thursdays.
CURRENT_COHORT_DAYS_RUN = 130  # days into its year on the day of seeding: past the first trip, before conference 3
CURRENT_COHORT = (
    326, 14,
    [("Sollentuna", 17), ("Sigtuna", 87), ("Täby", 143), ("Knivsta", 241), ("Upplands Väsby", 318)],
    [("Studieresa till Kreta", "Platanias, Kreta", 119, 5), ("Studieresa till södra Indien", "Södra Indien", 273, 10)],
)


def current_cohort_spec(today: date) -> tuple:
    """A cohort running on ``today``, about four months in: its first events past, the rest to come."""
    days, participants, conferences, trips = CURRENT_COHORT
    starts = today - timedelta(days=CURRENT_COHORT_DAYS_RUN)
    starts -= timedelta(days=starts.weekday())  # a Monday
    return (
        f"Växthuset {starts.year}", starts, starts + timedelta(days=days), participants,
        [(place, starts + timedelta(days=offset)) for place, offset in conferences],
        [(title, place, starts + timedelta(days=offset), length) for title, place, offset, length in trips],
    )


def cohort_specs(today: date) -> list[tuple]:
    """The demo's cohorts: the first one (2013) and one running now, so the demo never goes stale."""
    return [*COHORTS, current_cohort_spec(today)]


def email_for(name: str, taken: set[str]) -> str:
    """firstname.lastname@<demo domain>, ASCII only, numbered when taken."""
    base = name.lower().replace(" ", ".")
    for src, dst in (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e")):
        base = base.replace(src, dst)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return f"{candidate}@{DEMO_DOMAIN}"


def build_organisations() -> list[Organisation]:
    """The demo organisations, reusing any that exist already under the same name."""
    wanted = [(f"{m} kommun", OrganisationKind.MUNICIPALITY, m) for m in MUNICIPALITIES]
    wanted += [(n, OrganisationKind.PROVIDER, m) for n, m in PROVIDERS]
    wanted += [(n, OrganisationKind.PARTNER, m) for n, m in PARTNERS]
    existing = {o.name: o for o in db.session.scalars(select(Organisation))}
    orgs = [existing.get(name) or Organisation(name=name, kind=kind, municipality=m) for name, kind, m in wanted]
    db.session.add_all(orgs)
    return orgs


def build_cohort(spec) -> Cohort:
    name, starts, ends, _, conferences, trips = spec
    cohort = Cohort(name=name, starts_on=starts, ends_on=ends, description="")
    for number, (place, day) in enumerate(conferences, start=1):
        cohort.events.append(ProgrammeEvent(
            kind=EventKind.CONFERENCE, title=f"Konferens {number}: {place}", place=place,
            starts_on=day, ends_on=day + timedelta(days=1),
        ))
    for title, place, day, days in trips:
        cohort.events.append(ProgrammeEvent(
            kind=EventKind.STUDY_TRIP, title=title, place=place, starts_on=day, ends_on=day + timedelta(days=days - 1),
        ))
    db.session.add(cohort)
    return cohort


@dataclass
class DemoData:
    """What the core seed created, handed to each feature's seeder."""

    organisations: list[Organisation]
    cohorts: list[Cohort]
    users: list[User] = field(default_factory=list)


# Each feature may add demo content: a module with `seed(rng, data: DemoData)`.
FEATURE_SEEDERS: tuple[str, ...] = (
    "network.people.demo",
    "network.forum.demo",
    "network.journal.demo",
    "network.moderation.demo",
    "network.events.demo",
)


def seed_features(rng: random.Random, data: DemoData) -> None:
    """Run every feature's demo seeder, in order."""
    for module_name in FEATURE_SEEDERS:
        importlib.import_module(module_name).seed(rng, data)
        db.session.flush()


def seed(rng: random.Random, extra_members: int = 0) -> list[tuple[str, str]]:
    """Create the demo network; returns (what, email) of the log-ins worth printing."""
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: hashing thousands would take minutes
    orgs = build_organisations()
    specs = cohort_specs(local_today())
    cohorts = [build_cohort(spec) for spec in specs]
    taken: set[str] = set()

    handles: set[str] = set()

    def person(name: str, role: Role, org: Organisation) -> User:
        user = User(email=email_for(name, taken), name=name, handle=unique_handle(name, handles),
                    password_hash=password_hash, role=role, organisation=org)
        db.session.add(user)
        created.append(user)
        return user

    created: list[User] = []
    admin = person("Birgitta Admin", Role.ADMIN, orgs[0])
    leaders = [person("Karin Ledare", Role.COURSE_LEADER, orgs[-1]), person("Jonas Coach", Role.COURSE_LEADER, orgs[-1])]
    names = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
    rng.shuffle(names)
    logins = [("admin", admin.email)] + [("course leader", u.email) for u in leaders]
    for cohort, spec in zip(cohorts, specs):
        for leader in leaders:
            cohort.memberships.append(CohortMembership(user=leader, role=MembershipRole.COURSE_LEADER))
        for index in range(spec[3]):
            user = person(names.pop(), Role.PARTICIPANT, orgs[index % (len(orgs) - 1)])
            cohort.memberships.append(CohortMembership(user=user, role=MembershipRole.PARTICIPANT))
            if index == 0:
                logins.append((f"participant, {cohort.name}", user.email))
    created += seed_extra_members(rng, extra_members, orgs, cohorts[0], password_hash, taken, handles)
    db.session.flush()
    seed_features(rng, DemoData(organisations=orgs, cohorts=cohorts, users=list(created)))
    return logins


def seed_extra_members(
    rng, count: int, orgs, cohort, password_hash: str, taken: set[str], handles: set[str]
) -> list[User]:
    """Add ``count`` more alumni (for load and query-count tests) to a past cohort."""
    users = []
    for index in range(count):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        user = User(email=email_for(name, taken), name=name, handle=unique_handle(name, handles), password_hash=password_hash,
                    role=Role.PARTICIPANT, organisation=orgs[index % len(orgs)])
        db.session.add(user)
        cohort.memberships.append(CohortMembership(user=user, role=MembershipRole.PARTICIPANT))
        users.append(user)
    return users


def existing_logins() -> list[tuple[str, str]]:
    """The staff demo accounts, when the demo data is present."""
    stmt = (
        select(User.role, User.email)
        .where(User.email.like(f"%@{DEMO_DOMAIN}"), User.role != Role.PARTICIPANT)
        .order_by(User.role, User.email)
    )
    return [(role.value.replace("_", " "), email) for role, email in db.session.execute(stmt)]


def is_seeded() -> bool:
    """True when the demo data (its first cohort) is present."""
    return db.session.scalar(select(Cohort.id).where(Cohort.name == COHORTS[0][0])) is not None


def database_is_empty() -> bool:
    """True when no account exists yet."""
    return db.session.scalar(select(User.id).limit(1)) is None


@click.command("prepare")
@with_appcontext
def prepare_command():
    """Apply migrations, make sure the journal has its key, then seed the demo network into an empty database.

    What `make run` does before serving. The key is made here rather than when the app starts, so
    the factory writes nothing and the key exists (to be backed up) before anyone writes an entry.
    """
    upgrade()
    keyring()
    seed_demo(extra_members=0, if_empty=True)


@click.command("seed-demo")
@click.option("--extra-members", default=0, show_default=True, help="Add this many more alumni (large data sets).")
@click.option("--if-empty", is_flag=True, help="Only seed a database that has no accounts yet.")
@with_appcontext
def seed_demo_command(extra_members: int, if_empty: bool):
    """Fill the database with the demo network (idempotent: a second run changes nothing)."""
    seed_demo(extra_members, if_empty)


def seed_demo(extra_members: int, if_empty: bool) -> None:
    """Seed unless the demo data (or, with ``if_empty``, any account) exists; print the log-ins."""
    if is_seeded() or (if_empty and not database_is_empty()):
        click.echo("Demo data present already; nothing changed.")
        logins = existing_logins()
    else:
        logins = seed(random.Random(2013), extra_members)
        db.session.commit()
        click.echo("Demo network created.")
    if logins:
        click.echo(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
    for what, email in logins:
        click.echo(f"  {what:<32} {email}")
