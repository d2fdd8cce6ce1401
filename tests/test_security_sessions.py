"""Sessions, headers, cookies and rate limits: what an attacker tries first stays closed.

Every GET route a member can reach is swept from ``app.url_map`` (a new route is swept too),
with its URL arguments filled by real objects.
"""
import os
import re
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
import redis
from flask import url_for
from sqlalchemy import select

from network.auth import services as accounts
from network.auth.models import Role
from network.events import services as calendar_feeds
from network.extensions import db, limiter
from network.forum import services as forum
from network.notifications.services import unsubscribe_token
from network.forum.models import Post, Theme
from network.journal import services as journal
from network.journal.models import JournalFilter
from network.messages import services as messages
from network.people import services as people
from network.programme.models import EventKind, ProgrammeEvent
from conftest import PASSWORD
from helpers import page_text

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/9"


def login_with_form(client, email, password=PASSWORD, ip="192.0.2.1", **extra):
    return client.post("/login", data={"email": email, "password": password, **extra},
                       environ_base={"REMOTE_ADDR": ip})


def session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


# Headers and cookies on every route -------------------------------------------------------

@pytest.fixture
def app(make_app, request):
    """The app, with the config a test asks for: ``@pytest.mark.parametrize("app", [{...}], indirect=True)``."""
    application = make_app(**getattr(request, "param", {}))
    with application.app_context():
        yield application


HTTPS_ON = pytest.mark.parametrize("app", [{"HTTPS": True}], indirect=True)


@pytest.fixture
def world(app, admin, cohort, organisation, make_user):
    """One real object for every kind of URL argument, all reachable by ``admin``."""
    theme = Theme(slug="test-tillit", name_sv="Tillit", name_en="Trust", position=1)
    event = ProgrammeEvent(cohort=cohort, kind=EventKind.CONFERENCE, title="Konferens", place="Täby",
                           starts_on=date(2026, 5, 4), ends_on=date(2026, 5, 5))
    db.session.add_all([theme, event])
    db.session.flush()
    thread = forum.create_thread(admin, theme, "Om tillit", "Hur gör ni?")
    entry = journal.save_entry(admin, None, title="Min anteckning", body="Text", tags=[], entry_date=date(2026, 2, 1),
                               event_id=None, is_draft=False)
    people.set_avatar(admin, people.normalise_avatar(_png(), "me.png"))
    _, invitation_token = accounts.create_invitation(inviter=admin, email="ny@example.org", role=Role.PARTICIPANT,
                                                     organisation=organisation, cohort=cohort)
    feed_token = calendar_feeds.reset_feed(admin)
    private = messages.start_conversation(make_user(name="Brevvän"), admin, "Hej!")
    db.session.commit()
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id))
    return {
        "cohort_id": cohort.id, "event_id": event.id, "organisation_id": organisation.id, "user_id": admin.id,
        "entry_id": entry.id, "post_id": post_id, "thread_id": thread.id, "slug": theme.slug,
        "handle": admin.handle, "filename": "css/site.css",
        "conversation_id": private.conversation_id, "message_id": private.id,
        "token": {"auth.accept_invitation": invitation_token, "auth.reset_password": "not-a-token",
                  "notifications.unsubscribe": unsubscribe_token(admin), "events.feed": feed_token},
    }


def _png() -> bytes:
    import io

    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (300, 300), "green").save(output, "PNG")
    return output.getvalue()


def member_get_urls(app, world) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route, its arguments filled with ``world``'s objects."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            needed = rule.arguments - set(rule.defaults or {})
            values = {name: world[name][rule.endpoint] if name == "token" else world[name] for name in needed}
            urls.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return urls


def script_sources(policy: str) -> str:
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())
    return directives.get("script-src") or directives["default-src"]


@HTTPS_ON
def test_every_get_route_sends_the_security_headers_and_members_get_no_store(app, world, admin):
    client = app.test_client()
    assert login_with_form(client, admin.email, base_url="https://localhost").status_code == 302
    urls = member_get_urls(app, world)
    assert len(urls) >= 50  # the whole url map, not a sample
    for endpoint, url in urls:
        with client.get(url, base_url="https://localhost") as response:
            check_headers(endpoint, url, response)


def check_headers(endpoint: str, url: str, response) -> None:
    """The headers every response carries, and the cache rule for a member's pages."""
    assert response.status_code < 500, url
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in script_sources(policy) and "frame-ancestors 'none'" in policy, url
    assert headers["X-Content-Type-Options"] == "nosniff", url
    assert headers["Referrer-Policy"] == "same-origin", url
    assert headers["Strict-Transport-Security"].startswith("max-age="), url
    if endpoint == "static":
        return  # the site's stylesheet is the same for everyone
    cache = headers["Cache-Control"]
    assert "private" in cache or "no-store" in cache, url
    if endpoint != "people.avatar":  # versioned picture: cached privately on purpose
        assert "no-store" in cache, url


def test_anonymous_pages_are_not_marked_private(client):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


@HTTPS_ON
def test_cookies_are_secure_and_httponly_when_https_is_on(app, participant):
    client = app.test_client()
    response = login_with_form(client, participant.email, remember="y", base_url="https://localhost")
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= set(cookies)
    for cookie in cookies.values():
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


# Log-in and log-out ----------------------------------------------------------------------

def form_token(client, path="/login") -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text(client.get(path))).group(1)


@pytest.mark.parametrize("app", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_log_in_starts_a_new_session(client, participant):
    old_token = form_token(client)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    old_cookie = client.get_cookie("session").value
    response = client.post("/login", data={"email": participant.email, "password": PASSWORD, "csrf_token": old_token})
    assert response.status_code == 302
    fresh = session_of(client)
    assert "planted" not in fresh and fresh.get("csrf_token") is None  # the old CSRF secret is gone
    # The form token from before the log-in no longer works in the logged-in session ...
    assert client.post("/language", data={"language": "en", "csrf_token": old_token}).status_code == 400
    assert client.post("/language", data={"language": "en", "csrf_token": form_token(client, "/account")}).status_code == 302
    # ... and the cookie from before the log-in is not logged in.
    stale = client.application.test_client()
    stale.set_cookie("session", old_cookie)
    assert stale.get("/account").status_code == 302


def test_log_out_clears_the_whole_session(client, auth, participant):
    assert auth.login(participant.email).status_code == 302
    with client.session_transaction() as session:
        session["journal_filters"] = "handle"
    logged_in_cookie = client.get_cookie("session").value
    auth.logout()
    assert set(session_of(client)) <= {"_flashes", "language"}
    assert client.get("/account").status_code == 302
    replay = client.application.test_client()
    replay.set_cookie("session", logged_in_cookie)
    assert replay.get("/account").status_code == 302  # the old cookie no longer logs anyone in


def test_journal_filter_words_never_go_in_the_cookie(client, auth, participant):
    journal.save_entry(participant, None, title="Om tillit", body="text", tags=[], entry_date=date(2026, 2, 1),
                       event_id=None, is_draft=False)
    db.session.commit()
    auth.login(participant.email)
    client.post("/journal/filter", data={"q": "hemligt sökord", "tag": "kollega"})
    cookie = client.get_cookie("session").value
    session = session_of(client)
    assert "hemligt" not in repr(session) and "kollega" not in repr(session)
    assert "hemligt" not in cookie and "aGVtbGlndC" not in cookie  # nor base64-encoded
    stored = db.session.scalar(select(JournalFilter))
    assert b"hemligt" not in stored.ciphertext  # kept on the server, encrypted
    assert 'value="hemligt sökord"' in page_text(client.get("/journal"))  # and still applied
    auth.logout()
    auth.login(participant.email)
    assert "hemligt sökord" not in page_text(client.get("/journal"))  # a new session starts unfiltered


# The account page -------------------------------------------------------------------------

def test_email_change_checks_the_password_before_telling_an_address_is_taken(client, auth, participant, make_user):
    taken = make_user(email="taken@example.org")
    auth.login(participant.email)
    response = client.post("/account", data={"name": participant.name, "email": taken.email, "language": "sv",
                                             "current_password": "not my password"})
    body = page_text(response)
    assert "Ange ditt nuvarande lösenord" in body and "använder redan" not in body
    response = client.post("/account", data={"name": participant.name, "email": taken.email, "language": "sv",
                                             "current_password": PASSWORD})
    assert "Ett annat konto använder redan den här e-postadressen." in page_text(response)


def test_every_check_of_the_current_password_is_throttled(make_app, participant):
    app = make_app(PASSWORD_CHECK_LIMIT="3 per hour")
    client = app.test_client()
    login_with_form(client, participant.email)
    change = {"pw-current_password": "guess", "pw-password": "a new long password", "pw-password_confirm": "a new long password"}
    email = {"name": participant.name, "email": "new@example.org", "language": "sv", "current_password": "guess"}
    assert client.post("/account/password", data=change).status_code == 400
    assert client.post("/account", data=email).status_code == 200
    assert client.post("/account/password", data=change).status_code == 400
    assert client.post("/account", data=email).status_code == 429
    refused = client.post("/account/password", data={**change, "pw-current_password": PASSWORD})
    assert refused.status_code == 429 and "För många försök" in page_text(refused)


# Log-in limits ----------------------------------------------------------------------------

def test_guessing_from_one_address_does_not_lock_the_owner_out(client, participant):
    for _ in range(5):
        assert login_with_form(client, participant.email, "wrong guess", ip="203.0.113.9").status_code == 200
    assert login_with_form(client, participant.email, ip="203.0.113.9").status_code == 429  # the guesser stops
    assert login_with_form(client, participant.email, ip="198.51.100.7").status_code == 302  # the owner gets in


def test_account_wide_ceiling_slows_guessing_from_many_addresses(make_app, participant):
    client = make_app(LOGIN_LIMIT_PER_ACCOUNT="8 per hour").test_client()
    for n in range(8):
        assert login_with_form(client, participant.email, "wrong", ip=f"203.0.113.{n // 2}").status_code == 200
    assert login_with_form(client, participant.email, "wrong", ip="203.0.113.200").status_code == 429


WORKER = """
import sys
from network import create_app
from tests.conftest import BASE_CONFIG
app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "RATELIMIT_STORAGE_URI": sys.argv[2],
                  "RATELIMIT_KEY_PREFIX": sys.argv[3]})
client = app.test_client()
statuses = [client.post("/login", data={"email": sys.argv[4], "password": "wrong guess"},
                        environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code for _ in range(int(sys.argv[5]))]
print(" ".join(map(str, statuses)))
"""


@pytest.fixture
def redis_prefix():
    """A key prefix of this test run alone; its keys are removed afterwards."""
    prefix = f"test-sec-{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


def other_worker(app, storage: str, prefix: str, email: str, attempts: int) -> list[int]:
    """Failed log-ins made by a second app instance in another process (another gunicorn worker)."""
    result = subprocess.run(
        [sys.executable, "-c", WORKER, app.config["SQLALCHEMY_DATABASE_URI"], storage, prefix, email, str(attempts)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NETWORK_INSTANCE_PATH": app.instance_path},
    )
    assert result.returncode == 0, result.stderr
    return [int(status) for status in result.stdout.split()]


@pytest.mark.committing
@pytest.mark.parametrize("storage,shared", [(REDIS_URL, True), ("memory://", False)])
def test_limits_hold_across_two_workers_sharing_redis(make_app, participant, redis_prefix, monkeypatch,
                                                     storage, shared):
    monkeypatch.setattr(limiter, "_key_prefix", "")  # Flask-Limiter keeps the first app's prefix; restored after
    app = make_app(RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=redis_prefix)
    with app.app_context():
        db.session.commit()
    assert other_worker(app, storage, redis_prefix, participant.email, 3) == [200, 200, 200]
    client = app.test_client()
    statuses = [login_with_form(client, participant.email, "wrong guess", ip="203.0.113.5").status_code
                for _ in range(3)]
    # Five failures per account and address: shared counters stop the sixth, whichever worker gets it.
    assert statuses == ([200, 200, 429] if shared else [200, 200, 200])


def test_warns_at_start_when_gunicorn_workers_count_limits_apart(make_app, monkeypatch, caplog):
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/23.0.0")
    monkeypatch.setattr(sys, "argv", ["gunicorn", "--workers", "2", "wsgi:app"])
    make_app(RATELIMIT_STORAGE_URI="memory://")
    assert "Rate limits are counted per worker: 2 gunicorn workers" in caplog.text
    caplog.clear()
    make_app(RATELIMIT_STORAGE_URI=REDIS_URL)
    monkeypatch.setattr(sys, "argv", ["gunicorn", "wsgi:app"])
    make_app(RATELIMIT_STORAGE_URI="memory://")
    assert "counted per worker" not in caplog.text
