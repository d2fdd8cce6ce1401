"""Accounts: invitations, log-in, log-out, revocable sessions, password rules and reset."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import PASSWORD
from helpers import link_in, outbox, page_text
from network.auth import services as accounts
from network.auth.models import Invitation, Role, User, UserStatus
from network.extensions import db
from network.timeutil import utcnow


def invite(inviter, organisation, cohort=None, email="new.person@example.org", role=Role.PARTICIPANT):
    invitation, token = accounts.create_invitation(
        inviter=inviter, email=email, role=role, organisation=organisation, cohort=cohort
    )
    db.session.commit()
    return invitation, token


def accept(client, token, name="Nils Nyman", password="a long and quiet morning"):
    return client.post(
        f"/invitations/{token}",
        data={"name": name, "password": password, "password_confirm": password, "language": "sv"},
    )


# Invitations ----------------------------------------------------------------------

def test_invitation_accept_login_logout(client, auth, admin, organisation, cohort):
    response = client.post(
        "/admin/invitations",
        data={"email": "Nils.Nyman@Example.org", "role": "participant", "organisation_id": organisation.id,
              "cohort_id": cohort.id, "language": "sv"},
    )  # logged out: redirected to log in, nothing sent
    assert response.status_code == 302 and outbox(client.application) == []

    auth.login(admin.email)
    response = client.post(
        "/admin/invitations",
        data={"email": "Nils.Nyman@Example.org", "role": "participant", "organisation_id": organisation.id,
              "cohort_id": cohort.id, "language": "sv"},
    )
    assert response.status_code == 302
    [message] = outbox(client.application)
    assert message["To"] == "nils.nyman@example.org"
    path = link_in(message, "/invitations/")
    stored = db.session.scalar(select(Invitation))
    assert path.split("/")[-1] not in (stored.token_hash,)  # only the hash is stored
    auth.logout()

    assert "Nils.Nyman@Example.org".lower() in page_text(client.get(path))
    response = accept(client, path.split("/")[-1])
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "nils.nyman@example.org"))
    assert user.name == "Nils Nyman" and user.role == Role.PARTICIPANT
    assert [c.name for c in user.cohorts()] == [cohort.name]
    assert "Nils Nyman" in page_text(client.get("/"))  # logged in straight away

    auth.logout()
    assert client.get("/account").status_code == 302
    assert auth.login("nils.nyman@example.org", "a long and quiet morning").status_code == 302
    assert client.get("/account").status_code == 200


def test_used_invitation_is_refused(client, admin, organisation):
    _, token = invite(admin, organisation)
    assert accept(client, token).status_code == 302
    client.post("/logout")
    response = accept(client, token, name="Someone Else")
    assert response.status_code == 410
    assert "redan" in page_text(response)  # "has been used already", in Swedish
    assert db.session.scalar(select(User).where(User.name == "Someone Else")) is None


def test_expired_invitation_is_refused(client, admin, organisation):
    invitation, token = invite(admin, organisation)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.get(f"/invitations/{token}")
    assert response.status_code == 410
    assert accept(client, token).status_code == 410
    assert db.session.scalar(select(User).where(User.email == invitation.email)) is None


def test_forged_invitation_link_gets_a_clear_404(client):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "inbjudningslänken" in page_text(response).lower() or "inbjudan" in page_text(response).lower()


def test_new_invitation_replaces_the_older_one(client, admin, organisation):
    _, first = invite(admin, organisation)
    _, second = invite(admin, organisation)
    assert client.get(f"/invitations/{first}").status_code == 410
    assert client.get(f"/invitations/{second}").status_code == 200


def test_invitation_expiry_is_configurable(make_app, admin, organisation):
    application = make_app(INVITATION_MAX_AGE=timedelta(days=2))
    with application.app_context():
        invitation, _ = invite(None, db.session.merge(organisation))
        assert timedelta(days=1, hours=23) < invitation.expires_at - utcnow() <= timedelta(days=2)


def test_accepting_keeps_the_form_on_a_weak_password(client, admin, organisation):
    _, token = invite(admin, organisation)
    response = accept(client, token, password="password")
    assert response.status_code == 200
    assert "Nils Nyman" in page_text(response)  # the name typed is kept
    assert "vanligt" in page_text(response)  # "too common"


# Log-in ----------------------------------------------------------------------------

def test_failed_login_says_the_same_whether_or_not_the_email_exists(client, participant):
    wrong_password = page_text(client.post("/login", data={"email": participant.email, "password": "nope nope nope"}))
    no_account = page_text(client.post("/login", data={"email": "nobody@example.org", "password": "nope nope nope"}))
    message = "E-postadressen eller lösenordet är fel."
    assert message in wrong_password and message in no_account


def test_login_is_rate_limited_per_account(client, participant):
    for _ in range(5):
        assert client.post("/login", data={"email": participant.email, "password": "wrong guess 1"}).status_code == 200
    response = client.post("/login", data={"email": participant.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "För många försök" in page_text(response)


def test_login_is_rate_limited_per_ip(make_app):
    client = make_app(LOGIN_LIMIT_PER_IP="3 per minute").test_client()
    for n in range(3):
        client.post("/login", data={"email": f"someone{n}@example.org", "password": "wrong guess"})
    assert client.post("/login", data={"email": "other@example.org", "password": "x"}).status_code == 429


def test_rate_limit_can_be_switched_off(make_app, participant):
    client = make_app(RATELIMIT_ENABLED=False).test_client()
    for _ in range(8):
        client.post("/login", data={"email": participant.email, "password": "wrong guess 1"})
    assert client.post("/login", data={"email": participant.email, "password": PASSWORD}).status_code == 302


def test_suspended_member_cannot_log_in(client, auth, participant):
    accounts.set_status(participant, UserStatus.SUSPENDED)
    db.session.commit()
    response = auth.login(participant.email)
    assert response.status_code == 200
    assert "avstängt" in page_text(response)


def test_next_redirect_stays_on_this_site(client, participant):
    response = client.post("/login?next=/account", data={"email": participant.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"
    client.post("/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}", data={"email": participant.email, "password": PASSWORD})
        assert response.headers["Location"] == "/"
        client.post("/logout")


def test_logout_needs_post(client, auth, participant):
    auth.login(participant.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


# Revocable sessions --------------------------------------------------------------------

def copy_cookies(source, target):
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


@pytest.mark.parametrize("remember", [False, True])
def test_cookie_copied_before_logout_is_refused_afterwards(app, participant, remember):
    original = app.test_client()
    original.post("/login", data={"email": participant.email, "password": PASSWORD, "remember": "y" if remember else ""})
    thief = app.test_client()
    copy_cookies(original, thief)
    assert thief.get("/account").status_code == 200
    original.post("/logout")
    assert thief.get("/account").status_code == 302


def test_remember_cookie_alone_is_refused_after_logout(app, participant):
    original = app.test_client()
    original.post("/login", data={"email": participant.email, "password": PASSWORD, "remember": "y"})
    remember = original.get_cookie("remember_token")
    assert remember is not None
    thief = app.test_client()
    thief.set_cookie("remember_token", remember.value)
    assert thief.get("/account").status_code == 200
    original.post("/logout")
    fresh_thief = app.test_client()
    fresh_thief.set_cookie("remember_token", remember.value)
    assert fresh_thief.get("/account").status_code == 302


def test_cookie_copied_before_password_change_is_refused_afterwards(app, participant):
    original = app.test_client()
    original.post("/login", data={"email": participant.email, "password": PASSWORD})
    thief = app.test_client()
    copy_cookies(original, thief)
    response = original.post("/account/password", data={
        "pw-current_password": PASSWORD, "pw-password": "a brand new passphrase", "pw-password_confirm": "a brand new passphrase",
    })
    assert response.status_code == 302
    assert original.get("/account").status_code == 200  # this device stays logged in
    assert thief.get("/account").status_code == 302


def test_cookie_copied_before_suspension_is_refused_afterwards(app, participant, admin, organisation):
    original = app.test_client()
    original.post("/login", data={"email": participant.email, "password": PASSWORD, "remember": "y"})
    thief = app.test_client()
    copy_cookies(original, thief)
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    response = admin_client.post(f"/admin/users/{participant.id}", data={
        "name": participant.name, "role": "participant", "organisation_id": organisation.id, "status": "suspended",
    })
    assert response.status_code == 302
    assert original.get("/account").status_code == 302
    assert thief.get("/account").status_code == 302


# Passwords ---------------------------------------------------------------------------

def test_passwords_are_hashed_with_argon2id(participant):
    assert participant.password_hash.startswith("$argon2id$")
    assert PASSWORD not in participant.password_hash


@pytest.mark.parametrize("password,ok", [
    ("short", False),
    ("12345678", False),        # on the common list
    ("Lösenord123", False),     # Swedish common list, any case
    ("eight ch", True),
    ("x" * 64 + " long phrase", True),
    ("x" * 129, False),
])
def test_password_rules(client, admin, organisation, password, ok):
    _, token = invite(admin, organisation)
    response = accept(client, token, password=password)
    assert (response.status_code == 302) is ok


def test_password_reset_by_email_link(client, auth, participant):
    response = client.post("/password-reset", data={"email": participant.email})
    assert response.status_code == 302
    [message] = outbox(client.application)
    path = link_in(message, "/password-reset/")
    response = client.post(path, data={"password": "spring in sigtuna", "password_confirm": "spring in sigtuna"})
    assert response.status_code == 302
    assert auth.login(participant.email, "spring in sigtuna").status_code == 302
    client.post("/logout")
    assert client.get(path).status_code == 404  # single use


def test_password_reset_link_expires_after_an_hour(client, participant):
    client.post("/password-reset", data={"email": participant.email})
    path = link_in(outbox(client.application)[0], "/password-reset/")
    token = accounts.reset_token(path.split("/")[-1])
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 404


def test_password_reset_for_unknown_email_looks_the_same_and_sends_nothing(client, participant):
    known = client.post("/password-reset", data={"email": participant.email}, follow_redirects=True)
    unknown = client.post("/password-reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    flash = re.compile(r'<p class="flash[^"]*">(.*?)</p>')
    assert flash.findall(page_text(known)) == flash.findall(page_text(unknown)) != []
    assert len(outbox(client.application)) == 1


def test_password_reset_is_rate_limited(client, participant):
    for _ in range(3):
        client.post("/password-reset", data={"email": participant.email})
    assert client.post("/password-reset", data={"email": participant.email}).status_code == 429
    assert len(outbox(client.application)) == 3


# Account settings -------------------------------------------------------------------------

def test_account_settings_change_name_and_language(client, auth, participant):
    auth.login(participant.email)
    response = client.post("/account", data={"name": "Anna L", "email": participant.email, "language": "en"})
    assert response.status_code == 302
    assert 'lang="en"' in page_text(client.get("/account"))
    assert db.session.get(User, participant.id).name == "Anna L"


def test_changing_email_needs_the_current_password(client, auth, participant, make_user):
    other = make_user(email="taken@example.org")
    auth.login(participant.email)
    response = client.post("/account", data={"name": "Anna", "email": "new@example.org", "language": "sv"})
    assert response.status_code == 200 and db.session.get(User, participant.id).email == participant.email
    response = client.post("/account", data={"name": "Anna", "email": other.email, "language": "sv", "current_password": PASSWORD})
    assert response.status_code == 200
    response = client.post("/account", data={"name": "Anna", "email": "New@Example.org", "language": "sv", "current_password": PASSWORD})
    assert response.status_code == 302
    assert db.session.get(User, participant.id).email == "new@example.org"


def test_wrong_current_password_does_not_change_password(client, auth, participant):
    auth.login(participant.email)
    response = client.post("/account/password", data={
        "pw-current_password": "not my password", "pw-password": "a brand new passphrase", "pw-password_confirm": "a brand new passphrase",
    })
    assert response.status_code == 400
    client.post("/logout")
    assert auth.login(participant.email).status_code == 302


def test_alumnus_is_derived_from_ended_cohorts(make_user, make_cohort):
    from datetime import date

    old = make_cohort(name="Växthuset 2013", starts_on=date(2013, 1, 21), ends_on=date(2013, 12, 13))
    alumnus = make_user(cohort=old)
    assert alumnus.is_alumnus(date(2026, 11, 27))
    assert not alumnus.is_alumnus(date(2013, 6, 1))
    leader = make_user(Role.COURSE_LEADER, cohort=old)
    assert not leader.is_alumnus(date(2026, 11, 27))


def test_handles_are_derived_from_names_and_unique(make_user):
    first = make_user(name="Anna Lindqvist")
    second = make_user(name="Anna  Lindqvist")
    third = make_user(name="Åsa Öberg-Ek")
    assert (first.handle, second.handle, third.handle) == ("anna.lindqvist", "anna.lindqvist2", "asa.oberg.ek")
