"""Absurd input never breaks the site: every route, every form, every field.

Routes and forms are discovered, not listed: the integer segments come from ``app.url_map`` and
the forms from the pages each role sees, so a new route or form is covered without editing
this file. Any 5xx, a shown traceback, a stored control character in a single-line column, or
a refused submission that still changed the database fails the test.
"""
import functools
import importlib.util
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, Text, func, select, update

from conftest import log_in

import network
from network.auth import services as accounts
from network.auth.models import PasswordResetToken, Role, User
from network.auth.tokens import new_token
from network.extensions import db
from network.forum import services as forum
from network.notifications.services import unsubscribe_token
from network.forms import Form
from network.forum.models import Post, Theme, Thread
from network.journal import services as journal
from network.messages import services as messages
from network.moderation import services as moderation
from network.moderation.models import FlagReason
from network.programme.models import CohortMembership, EventKind, MembershipRole, Organisation, ProgrammeEvent
from network.setup import FEATURES
from network.timeutil import local_today, utcnow

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_BODY = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab and newline allowed

ABSURD_INTEGERS = [str(2**64), str(2**63), str(2**63 - 1), str(2**31), "-1", "9" * 5000]
ABSURD_INPUTS = {  # for every field
    "line breaks, NUL and every control character":
        "Rubrik\r\nBcc: angripare@example.org\x00" + "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)])),
    "100 kB": "x" * 100_000,
    "2^64": str(2**64),
}
ABSURD_DATES = {"year 1": "0001-01-01", "year 9999": "9999-12-31"}  # for date fields as well
ABSURD_QUERY = {"page": str(2**64), "post": str(2**64), "quote": str(2**63), "q": "a\x00b", "prompt": "cohort:" + "9" * 30}

# What a plausible value looks like for each kind of input, so one absurd field is the only problem.
PLAUSIBLE = {"email": "ny.medlem@example.org", "date": "2026-05-04", "url": "https://example.org",
             "number": "1", "tel": "08-123 45 67", "month": "2026-05"}
NOT_FUZZED = {"csrf_token", "submit"}


# The world every role's pages are crawled in -----------------------------------------------------

@pytest.fixture
def world(app, cast, cohort, organisation):
    """One of each object a route can name, and the URL values that reach them."""
    people = cast(participant="participant", leader="course_leader", admin="admin")
    participant, leader, admin = people["participant"], people["leader"], people["admin"]
    db.session.add(CohortMembership(user=admin, cohort=cohort, role=MembershipRole.PARTICIPANT))  # every route reachable
    theme = Theme(slug="test-fuzz", name_sv="Fuzztema", name_en="Fuzz theme", position=1)
    other_theme = Theme(slug="test-fuzz-annat", name_sv="Annat tema", name_en="Other theme", position=2)  # to move to
    event = ProgrammeEvent(cohort=cohort, kind=EventKind.CONFERENCE, title="Konferens", place="Täby",
                           starts_on=local_today() + timedelta(days=3), ends_on=local_today() + timedelta(days=4))
    db.session.add_all([theme, other_theme, event])
    db.session.flush()
    thread = forum.create_thread(leader, theme, "En tråd att svara i", "Första inlägget.")
    post = forum.create_reply(participant, thread, "Ett svar av deltagaren.")
    moderation.flag_post(participant, first_post(thread), FlagReason.OTHER, "Titta på detta.")
    entry = journal.save_entry(participant, None, title="Dagbok", body="Text.", tags=["ledarskap"],
                               entry_date=local_today(), event_id=event.id, is_draft=False, theme_ids=[])
    journal.add_prompt(leader, cohort_id=cohort.id, event_id=None, timing=None, aim=None,
                       text_sv="Vad lärde du dig?", text_en="")
    private = messages.start_conversation(leader, participant, "Ett privat meddelande.")
    report = messages.report(participant, private, "Olämplig ton.")
    _, invitation_token = accounts.create_invitation(inviter=admin, email="inbjuden@example.org", role=Role.PARTICIPANT,
                                                     organisation=organisation, cohort=cohort)
    reset_token, token_hash = new_token()
    db.session.add(PasswordResetToken(user=leader, token_hash=token_hash, created_at=utcnow(),
                                      expires_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    return {
        "users": {"participant": participant, "admin": admin},
        "args": {
            "organisation_id": organisation.id, "cohort_id": cohort.id, "event_id": event.id,
            "user_id": participant.id, "entry_id": entry.id, "post_id": post.id, "thread_id": thread.id,
            "slug": theme.slug, "handle": participant.handle,
            "conversation_id": private.conversation_id, "message_id": private.id, "report_id": report.id,
        },
        "tokens": {"auth.accept_invitation": invitation_token, "auth.reset_password": reset_token,
                   "notifications.unsubscribe": unsubscribe_token(participant)},
    }


def first_post(thread: Thread) -> Post:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id).order_by(Post.id))


# Discovering pages and forms -----------------------------------------------------------------------

SEGMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def fill(rule: str, values: dict[str, str]) -> str:
    """The rule's path with each ``<converter:name>`` replaced by ``values[name]``."""
    return SEGMENT.sub(lambda m: str(values[m.group(2)]), rule)


def pages(app, world) -> list[str]:
    """The path of every page (GET route) that the world can fill in."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        values = {**world["args"], "token": world["tokens"].get(rule.endpoint, "")}
        missing = set(rule.arguments) - set(values) - set(rule.defaults or {})
        assert not missing, f"{rule.rule}: give the world a value for {missing}"
        found.append(fill(rule.rule, values))
    return found


@dataclass
class FoundForm:
    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> plausible value
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type / textarea / select

    @property
    def fuzzable(self) -> list[str]:
        return [name for name, kind in self.kinds.items() if name not in NOT_FUZZED and kind != "file"]

    def key(self) -> tuple:
        return self.method, urlsplit(self.action).path, tuple(sorted(self.kinds))


class FormParser(HTMLParser):
    """Collects each <form>: method, action, and a plausible value for every named field."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self.form, self.select, self.textarea = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = FoundForm(a.get("method", "get").upper(), a.get("action") or self.page)
            self.forms.append(self.form)
        elif self.form is None or "name" not in a:
            if tag == "option" and self.select and (self.select not in self.form.fields or "selected" in a):
                self.form.fields[self.select] = a.get("value", "")
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "reset", "image"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a or a["name"] not in self.form.fields:
                    self.form.fields[a["name"]] = a.get("value", "on")
            else:
                self.form.fields[a["name"]] = a.get("value") or PLAUSIBLE.get(kind, "Ett rimligt värde")
            self.form.kinds.setdefault(a["name"], kind)
        elif tag == "textarea":
            self.textarea = a["name"]
            self.form.kinds[a["name"]], self.form.fields[a["name"]] = "textarea", ""
        elif tag == "select":
            self.select = a["name"]
            self.form.kinds[a["name"]] = "select"

    def handle_data(self, data):
        if self.textarea:
            self.form.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea":
            name, self.textarea = self.textarea, None
            self.form.fields[name] = self.form.fields[name].strip() or "En rimlig brödtext."
        elif tag == "select":
            self.select = None


def crawl(app, world) -> tuple[list[tuple[str, FoundForm]], list[str]]:
    """Every distinct form on the pages each role sees (first role to see it wins), and problems met."""
    client, forms, seen, problems = app.test_client(), [], set(), []
    for role in ("anonymous", "participant", "admin"):
        log_in(client, world["users"].get(role))
        for path in pages(app, world):
            response = client.get(path)
            problems += check(response, f"{role} GET {path}")
            problems += check(client.get(path, query_string=ABSURD_QUERY), f"{role} GET {path} absurd query")
            if response.status_code != 200 or not response.mimetype == "text/html":
                continue
            parser = FormParser(path)
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                if form.fuzzable and form.key() not in seen:
                    seen.add(form.key())
                    forms.append((role, form))
    return forms, problems


# Checking a response and the database ----------------------------------------------------------------

def check(response, what: str) -> list[str]:
    """What is wrong with this response: a server error or a traceback shown."""
    body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
    problems = []
    if response.status_code >= 500:
        problems.append(f"{response.status_code} on {what}")
    if "Traceback (most recent call last)" in body:
        problems.append(f"traceback shown on {what}")
    return problems


def row_counts() -> tuple[int, ...]:
    """How many rows each table holds, in one query."""
    db.session.rollback()  # read the committed state, not this session's cache
    return tuple(db.session.execute(row_counts_statement()).one())


@functools.cache  # built once: it is run before and after every submission
def row_counts_statement():
    tables = db.metadata.sorted_tables
    return select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))


def stored_controls() -> list[str]:
    """Every stored text value holding a control character its column may not hold."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String):
                continue
            pattern = CONTROL_IN_BODY if isinstance(column.type, Text) else CONTROL
            for value in db.session.scalars(select(column).where(column.is_not(None))):
                if isinstance(value, str) and pattern.search(value):
                    found.append(f"{table.name}.{column.name} = {value[:40]!r}")
    return found


def submit(client, form: FoundForm, values: dict[str, str]):
    if form.method == "GET":
        return client.get(form.action, query_string=values)
    # Follow the redirect: what was stored must also show without error on the next page.
    return client.post(form.action, data=values, follow_redirects=True)


def refused(form: FoundForm, response) -> bool:
    """Did the site refuse the submission (an error page, or the form shown again)?"""
    shown_again = form.method == "POST" and response.status_code == 200 and not response.history
    return response.status_code >= 400 or shown_again


def fuzz_once(client, role: str, form: FoundForm, values: dict[str, str], label: str) -> list[str]:
    """Submit ``values``; what went wrong, including a refused submission that changed the database."""
    before = row_counts() if form.method == "POST" else None
    response = submit(client, form, values)
    problems = check(response, f"{role} {form.method} {form.action} {label}")
    if before is not None and refused(form, response) and row_counts() != before:
        problems.append(f"refused {form.method} {form.action} {label} ({response.status_code}) changed the database")
    return problems


def destructive_last(item: tuple[str, FoundForm]) -> tuple:
    """Fuzz forms that delete or log out after the others, so they take nothing away from them."""
    role, form = item
    return any(word in form.action for word in ("delete", "remove", "revoke", "logout")), role != "participant"


def fuzz_forms(app, world, forms, values_for) -> tuple[list[str], int]:
    """Submit each form with each set of values from ``values_for(form)``; problems and the count sent."""
    clients = {role: app.test_client() for role in ("anonymous", "participant", "admin")}
    for role, client in clients.items():
        log_in(client, world["users"].get(role))
    problems, sent = [], 0
    for role, form in sorted(forms, key=destructive_last):
        for label, values in values_for(form):
            problems += fuzz_once(clients[role], role, form, values, label)
            sent += 1
    return problems, sent


# The tests ---------------------------------------------------------------------------------------------

def test_every_integer_segment_past_the_id_range_is_404(app, world, login_as):
    """2^64, 2^63, -1 and friends in any ``<int:...>`` segment: 404 before any view or query runs."""
    client, tried, problems = app.test_client(), 0, []
    login_as(client, world["users"]["admin"])
    for rule in app.url_map.iter_rules():
        ints = [m.group(2) for m in SEGMENT.finditer(rule.rule) if m.group(1) == "int"]
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        for name in ints:
            for absurd in ABSURD_INTEGERS:
                values = {**{k: "x" for k in rule.arguments}, **world["args"], name: absurd}
                response = client.open(fill(rule.rule, values), method=method)
                tried += 1
                if response.status_code != 404:
                    problems.append(f"{method} {rule.rule} {name}={absurd[:20]}: {response.status_code}")
    assert tried >= 25 * len(ABSURD_INTEGERS)
    assert problems == []


def test_control_characters_in_any_path_segment_are_404(app, world, login_as):
    """A NUL or line break in a slug, handle, token or action is no page, never a database error."""
    client, problems = app.test_client(), []
    login_as(client, world["users"]["admin"])
    for rule in app.url_map.iter_rules():
        words = [m.group(2) for m in SEGMENT.finditer(rule.rule) if m.group(1) in (None, "string")]
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        for name in words:
            for absurd in ("a%00b", "a%0D%0Ab", "%C2%85"):
                values = {**world["args"], **{k: "1" for k in rule.arguments if k not in world["args"]}, name: absurd}
                response = client.open(fill(rule.rule, values), method=method)
                if response.status_code != 404:
                    problems.append(f"{method} {rule.rule} {name}={absurd}: {response.status_code}")
    assert problems == []


def test_every_field_of_every_form_survives_absurd_input(app, world):
    """CR/LF, NUL, every control character, 100 kB and 2^64 in each field in turn; year 1 and 9999 in dates."""
    forms, problems = crawl(app, world)
    fields = sum(len(form.fuzzable) for _, form in forms)

    def one_field_at_a_time(form):
        for name in form.fuzzable:
            inputs = {**ABSURD_INPUTS, **ABSURD_DATES} if form.kinds[name] == "date" else ABSURD_INPUTS
            for label, absurd in inputs.items():
                yield f"{name}={label}", {**form.fields, name: absurd}

    found, sent = fuzz_forms(app, world, forms, one_field_at_a_time)
    print(f"\n{len(forms)} forms, {fields} fields: {sent} submissions")
    assert len(forms) >= 25 and sent >= fields * len(ABSURD_INPUTS)
    assert problems + found + stored_controls() == []


def test_single_line_fields_store_a_title_with_line_breaks_as_one_line(client, world, login_as):
    """The defect that broke mail: a thread title with CR/LF is stored on one line, NUL removed; the body
    keeps its lines (CRLF as LF) and tabs but loses NUL and the other controls."""
    login_as(client, world["users"]["participant"])
    response = client.post(f"/themes/{world['args']['slug']}/new", data={
        "title": "Rubrik\r\nBcc: angripare@example.org\x00", "body": "Rad ett\r\n\tRad två\x00\x07\x85", "scope": "network"})
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread).order_by(Thread.id.desc()))
    assert thread.title == "Rubrik Bcc: angripare@example.org"
    assert first_post(thread).body_source == "Rad ett\n\tRad två"


@pytest.mark.parametrize("path", ["/search?date_from=0001-01-01&date_to=9999-12-31&q=ledarskap",
                                  "/moderation/log?date_from=0001-01-01&date_to=9999-12-31"])
def test_extreme_dates_in_filters_are_a_form_error(client, world, path, login_as):
    login_as(client, world["users"]["admin"])
    response = client.get(path)
    assert response.status_code == 200
    assert "Ange ett datum mellan åren 1900 och 2199." in response.get_data(as_text=True)


def test_absurd_journal_month_is_refused_and_the_journal_still_opens(client, world, login_as):
    login_as(client, world["users"]["participant"])
    assert client.post("/journal/filter", data={"month": "0000-01", "event": str(2**64)}).status_code == 400
    assert client.get("/journal").status_code == 200


# Property-based: whatever text a member types --------------------------------------------------------

# Text drawn mostly from the characters that break things, mixed with ordinary letters.
NASTY_CHARACTERS = [*map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)]), "\u2028", "\u2029", "\ufeff", "a", "å", " "]
ANY_TEXT = st.one_of(  # the first is what a form's first example gets: the worst input we know
    st.sampled_from([*ABSURD_INPUTS.values(), *ABSURD_DATES.values(), *ABSURD_INTEGERS]),
    st.text(alphabet=st.sampled_from(NASTY_CHARACTERS), min_size=1, max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(str),
    st.text(max_size=60),  # any code point but surrogates
)


def test_hypothesis_fuzzing_of_every_form(app, world, login_as):
    """Generated values in one or two fields of every form (the others plausible, so the form can be
    accepted): no 5xx, no traceback, no stray write, no control character stored."""
    forms, problems = crawl(app, world)
    clients = {role: app.test_client() for role in ("anonymous", "participant", "admin")}
    for role, client in clients.items():
        login_as(client, world["users"].get(role))
    sent = []

    for role, form in sorted(forms, key=destructive_last):
        @settings(max_examples=5, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(st.dictionaries(st.sampled_from(form.fuzzable), ANY_TEXT, min_size=1, max_size=2))
        def submission_is_handled(generated):
            sent.append(form.action)
            problems.extend(fuzz_once(clients[role], role, form, {**form.fields, **generated}, repr(generated)[:200]))

        submission_is_handled()
    print(f"\nhypothesis: {len(forms)} forms, {len(sent)} generated submissions")
    assert problems + stored_controls() == []


# The data migration -----------------------------------------------------------------------------------

def migration(name: str):
    path = Path(network.__file__).parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.committing
def test_migration_cleans_titles_and_names_stored_before(world, make_org):
    """Rows stored with line breaks become one line; a unique name whose clean form is taken stays."""
    thread_id, participant = world["args"]["thread_id"], world["users"]["participant"]
    make_org(name="Täby kommun")
    dirty = make_org(name="Täby kommun\r\n")
    db.session.execute(update(Thread).where(Thread.id == thread_id).values(title="Rubrik\r\nBcc: x@example.org\x07"))
    db.session.execute(update(User).where(User.id == participant.id).values(name="Anna\tDeltagare\x1b"))
    db.session.commit()
    changed = migration("0009_clean_single_line_text").clean_rows(db.session.connection())
    db.session.commit()
    assert changed == 2
    assert db.session.get(Thread, thread_id).title == "Rubrik Bcc: x@example.org"
    assert db.session.get(User, participant.id).name == "Anna Deltagare"
    assert db.session.get(Organisation, dirty.id).name == "Täby kommun\r\n"


def test_every_form_cleans_its_input_through_the_base_form():
    """A form written tomorrow gets the cleaning too: every form class derives from ``network.forms.Form``."""
    for feature in FEATURES:
        if (Path(network.__file__).parent / feature / "forms.py").exists():
            importlib.import_module(f"network.{feature}.forms")
    forms, pending = [], list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        forms.append(form)
        pending += form.__subclasses__()
    outside = [f"{f.__module__}.{f.__name__}" for f in forms if f.__module__.startswith("network.")
               and not issubclass(f, Form)]
    assert len(forms) >= 30 and outside == []
