"""Housekeeping the architecture review asked for: the factory writes no files, the demo stays current,
one directory form, one slug rule, translations that ship with the package."""
import gettext
import importlib.util
import os
import re
import stat
from pathlib import Path

from datetime import date

import pytest
from sqlalchemy import select

from conftest import BASE_CONFIG, PASSWORD
from helpers import page_text
from network import create_app
from network.demo import current_cohort_spec
from network.extensions import db
from network.forum import services as forum
from network.journal.keys import keyring
from network.people import services as people
from network.people.models import Area, Visibility
from network.programme.models import Cohort, MembershipRole, OrganisationKind
from network.text import slug
from network.timeutil import local_today

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def fresh_app(app, tmp_path, monkeypatch, **config):
    """A second app on the test database with an instance folder of its own."""
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(tmp_path / "fresh-instance"))
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **config})


def invoke(application, *args):
    """Run a `flask` command against ``application`` (not the test's own app, whose context is pushed)."""
    with application.app_context():
        return application.test_cli_runner().invoke(args=list(args))


# The journal key: written by `flask prepare`, `flask journal create-key` or the first use, never at start --

def test_starting_the_app_writes_no_journal_key_the_journals_first_use_does(app, tmp_path, monkeypatch):
    fresh = fresh_app(app, tmp_path, monkeypatch)
    key_file = Path(fresh.instance_path) / "journal.key"
    assert not key_file.exists()
    with fresh.app_context():
        ring = keyring()
        assert keyring() is ring  # created once
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert ring.path == key_file and len(ring.keys) == 1
    assert not [p for p in key_file.parent.iterdir() if p.name.startswith(".journal.key")]  # no temporary left


def test_journal_create_key_makes_the_key_file_once(app, tmp_path, monkeypatch):
    fresh = fresh_app(app, tmp_path, monkeypatch)
    key_file = Path(fresh.instance_path) / "journal.key"
    result = invoke(fresh, "journal", "create-key")
    assert result.exit_code == 0, result.output
    assert "Journal key created" in result.output and str(key_file) in result.output
    written = key_file.read_text()
    again = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    result = invoke(again, "journal", "create-key")
    assert result.exit_code == 0 and "Journal key file present" in result.output
    assert key_file.read_text() == written


def test_prepare_creates_the_journal_key(tmp_path, monkeypatch):
    monkeypatch.setenv("NETWORK_INSTANCE_PATH", str(tmp_path / "prepared"))
    fresh = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prepared.db'}"})
    assert not (tmp_path / "prepared" / "journal.key").exists()
    result = invoke(fresh, "prepare")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(tmp_path / "prepared" / "journal.key").st_mode) == 0o600


# One slug rule for theme addresses, members' handles and export file names -------------------------------

@pytest.mark.parametrize("text,options,expected", [
    ("Mångkulturellt ledarskap", {}, "mangkulturellt-ledarskap"),
    ("Anna-Karin Öberg", {"separator": ".", "fallback": "member"}, "anna.karin.oberg"),
    ("  Éloïse   D'Arcy ", {"separator": "."}, "eloise.d.arcy"),
    ("Inför konferensen i Täby!", {"max_length": 20}, "infor-konferensen-i"),  # cut, no dangling hyphen
    ("!!! ???", {"fallback": "tema"}, "tema"),
    ("Ωμέγα 2026", {}, "2026"),  # letters without an ASCII form drop out
])
def test_slug_makes_lower_case_ascii_words(text, options, expected):
    assert slug(text, **options) == expected


def test_a_new_theme_and_a_new_member_get_addresses_from_their_swedish_names(app, make_user):
    assert make_user(name="Åsa Öhrström").handle == "asa.ohrstrom"
    theme = forum.save_theme(None, name_sv="Mångkulturellt ledarskap i förskolan", name_en="Multicultural leadership",
                             description_sv="", description_en="")
    db.session.commit()
    assert theme.slug == "mangkulturellt-ledarskap-i-forskolan"


# The directory reads its search through a GET form -------------------------------------------------------

@pytest.fixture
def listed(make_user, make_org):
    """Five listed members: three at a provider, two at the default municipality."""
    provider = make_org(name="Vårdkraft Mälardalen AB", kind=OrganisationKind.PROVIDER, municipality="Sollentuna")
    members = [make_user(name=f"Provider Person {n}", organisation_=provider) for n in range(3)]
    members += [make_user(name=f"Kommun Person {n}") for n in range(2)]
    for member in members:
        people.save_profile(member, title="Chef", phone="", email_visibility=Visibility.NETWORK,
                            phone_visibility=Visibility.NETWORK, in_directory=True, languages="", link="",
                            bio="", areas=[Area.HR], keywords=[])
    db.session.commit()
    return {"members": members, "provider": provider}


def test_the_directory_form_keeps_chosen_filters_and_names_the_ones_that_match_nothing(client, listed):
    client.post("/login", data={"email": listed["members"][0].email, "password": PASSWORD})
    response = client.get(f"/people?kind=provider&area=astrology&organisation={2**64}&sort=name&q={'x' * 300}")
    assert response.status_code == 200
    body = page_text(response)
    assert "ignorerades: Organisation, Ansvarsområde." in body
    assert '<option selected value="provider">' in body and '<option selected value="name">' in body
    search_box = re.search(r'<input[^>]*name="q"[^>]*>', body).group(0)
    assert f'value="{"x" * 200}"' in search_box  # the search text is cut, not refused
    body = page_text(client.get("/people?kind=provider&sort=name"))
    assert "3 personer" in body and "ignorerades" not in body
    assert body.index("Provider Person 0") < body.index("Provider Person 1") < body.index("Provider Person 2")


def test_a_page_past_the_end_shows_the_last_page_without_reading_twice(app, client, listed, count_queries):
    app.config["PER_PAGE"] = 2
    client.post("/login", data={"email": listed["members"][0].email, "password": PASSWORD})
    client.get("/people?sort=name&page=3")  # warm up (the visit stamps activity)
    with count_queries() as last_page:
        assert "Provider Person 2" in page_text(client.get("/people?sort=name&page=3"))
    with count_queries() as past_the_end:
        body = page_text(client.get("/people?sort=name&page=99"))
    assert "Provider Person 2" in body and "Provider Person 1" not in body
    assert len(past_the_end) == len(last_page)
    assert sum("count(*)" in s.lower() for s in past_the_end) == 1


# Translations ship with the package ------------------------------------------------------------------------

def test_the_package_build_compiles_every_catalog(tmp_path):
    spec = importlib.util.spec_from_file_location("build_hook", PROJECT_ROOT / "setup.py")
    build_hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_hook)  # defines the hook; setup() runs only as a script
    written = build_hook.compile_catalogs(PROJECT_ROOT, tmp_path)
    folder = tmp_path / "network" / "translations"
    assert sorted(written) == [folder / "en/LC_MESSAGES/messages.mo", folder / "sv/LC_MESSAGES/messages.mo"]
    with (folder / "sv/LC_MESSAGES/messages.mo").open("rb") as compiled:
        swedish = gettext.GNUTranslations(compiled)
    assert swedish.gettext("Log in") == "Logga in"
    assert swedish.gettext("Please log in to see this page.") == "Logga in för att se sidan."


# The demo keeps a cohort running ----------------------------------------------------------------------------

def test_seed_demo_has_a_cohort_running_today_with_events_behind_and_ahead(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    today = local_today()
    running = db.session.scalars(select(Cohort).where(Cohort.starts_on <= today, Cohort.ends_on >= today)).all()
    assert len(running) == 1
    events = running[0].events
    assert any(e.ends_on < today for e in events) and any(e.starts_on > today for e in events)
    assert running[0].starts_on.weekday() == 0 and all(e.starts_on.weekday() in (0, 3) for e in events)
    members = [m for m in running[0].memberships if m.role == MembershipRole.PARTICIPANT]
    assert len(members) == 14


def test_the_running_demo_cohort_follows_the_calendar():
    for today in (date(2026, 12, 1), date(2031, 3, 15), date(2040, 8, 31)):
        name, starts, ends, _, conferences, trips = current_cohort_spec(today)
        assert starts <= today <= ends and name == f"Växthuset {starts.year}"
        days = sorted(day for _, day in conferences) + sorted(day for _, _, day, _ in trips)
        assert min(days) < today < max(days)
