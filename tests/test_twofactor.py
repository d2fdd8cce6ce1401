"""Two-factor log-in: set-up with an authenticator app, the log-in's second step, recovery codes,
turning it off, roles that must use it, and the administrators' reset."""
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from conftest import PASSWORD
from helpers import outbox, page_text
from network.extensions import db
from network.moderation.models import ActionKind, ModerationAction
from network.personal_data import ERASERS, PARTS, Erasure
from network.timeutil import utcnow
from network.twofactor.models import RecoveryCode, SecondFactor

STAFF_MUST = ("admin", "course_leader")


def set_up(client, login_as, user) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-factor log-in on for ``user`` through the pages, as they would; their app and recovery codes."""
    login_as(client, user)
    page = page_text(client.get("/account/two-factor"))
    secret = re.search(r'<code class="secret-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    app_on_phone = pyotp.TOTP(secret)
    shown = page_text(client.post("/account/two-factor", data={"code": app_on_phone.now()}))
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", shown)
    login_as(client, None)
    return app_on_phone, codes


def next_code(app_on_phone: pyotp.TOTP, steps: int = 1) -> str:
    """The code the app will show ``steps`` time steps from now (still accepted: phones' clocks drift)."""
    return app_on_phone.at(utcnow() + timedelta(seconds=30 * steps))


def password_step(client, user, **extra):
    return client.post("/login", data={"email": user.email, "password": PASSWORD, **extra})


# Setting it up ---------------------------------------------------------------------------------

def test_setup_page_draws_the_qr_code_itself_and_shows_the_key_as_text(client, login_as, participant):
    login_as(client, participant)
    response = client.get("/account/two-factor")
    page = page_text(response)
    assert response.status_code == 200
    assert "<svg" in page and "QR-kod för din autentiseringsapp" in page
    assert "<img" not in page and "data:" not in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0]
    key = re.search(r'<code class="secret-key">([A-Z2-7 ]+)</code>', page).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{4}", key)
    assert key == re.search(r'<code class="secret-key">([A-Z2-7 ]+)</code>', page_text(client.get("/account/two-factor"))).group(1)


def test_confirming_shows_ten_recovery_codes_once_and_stores_only_hashes(client, login_as, participant):
    app_on_phone, codes = set_up(client, login_as, participant)
    assert len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == participant.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == participant.id))
    assert factor.confirmed_at is not None and app_on_phone.secret not in factor.secret_sealed
    login_as(client, participant)
    page = page_text(client.get("/account/two-factor"))
    assert "Tvåstegsverifiering är på sedan" in page and "Du har 10 oanvända reservkoder." in page
    assert app_on_phone.secret not in page.replace(" ", "") and codes[0] not in page


def test_a_wrong_code_does_not_turn_it_on(client, login_as, participant):
    login_as(client, participant)
    client.get("/account/two-factor")
    response = client.post("/account/two-factor", data={"code": "000000"})
    assert "Koden stämmer inte" in page_text(response)
    assert db.session.scalar(select(SecondFactor.confirmed_at).where(SecondFactor.user_id == participant.id)) is None
    assert password_step(client, participant).headers["Location"] == "/"


# Logging in ------------------------------------------------------------------------------------

def test_log_in_asks_for_the_code_after_the_password_and_keeps_next_and_remember_me(client, login_as, participant):
    app_on_phone, _codes = set_up(client, login_as, participant)
    response = client.post("/login?next=/people", data={"email": participant.email, "password": PASSWORD,
                                                        "remember": "y"})
    assert response.headers["Location"] == "/login/two-factor"
    assert client.get("/account").status_code == 302  # not logged in yet
    assert "Öppna din autentiseringsapp" in page_text(client.get("/login/two-factor"))
    response = client.post("/login/two-factor", data={"code": next_code(app_on_phone)})
    assert response.headers["Location"] == "/people"
    assert client.get_cookie("remember_token") is not None
    assert client.get("/account").status_code == 200


def test_a_wrong_code_is_refused_and_logs_nobody_in(client, login_as, participant):
    set_up(client, login_as, participant)
    password_step(client, participant)
    response = client.post("/login/two-factor", data={"code": "123456"})
    assert response.status_code == 200 and "Koden stämmer inte, eller så har den redan använts." in page_text(response)
    assert client.get("/account").status_code == 302


def test_a_code_is_accepted_once_within_its_window(client, login_as, participant):
    app_on_phone, _codes = set_up(client, login_as, participant)
    code = next_code(app_on_phone)
    password_step(client, participant)
    assert client.post("/login/two-factor", data={"code": code}).status_code == 302
    client.post("/logout")
    password_step(client, participant)
    response = client.post("/login/two-factor", data={"code": code})
    assert "redan använts" in page_text(response)
    # An older code than the one used is refused too: the one from the set-up.
    assert client.post("/login/two-factor", data={"code": app_on_phone.now()}).status_code == 200
    assert client.get("/account").status_code == 302


def test_a_recovery_code_logs_in_once(client, login_as, participant):
    _app, codes = set_up(client, login_as, participant)
    password_step(client, participant)
    assert client.post("/login/two-factor", data={"code": codes[3].upper()}).status_code == 302
    client.post("/logout")
    password_step(client, participant)
    assert client.post("/login/two-factor", data={"code": codes[3]}).status_code == 200
    assert client.post("/login/two-factor", data={"code": codes[4].replace("-", "")}).status_code == 302


def test_code_attempts_are_rate_limited_per_account(client, login_as, participant):
    app_on_phone, _codes = set_up(client, login_as, participant)
    password_step(client, participant)
    for _ in range(5):
        assert client.post("/login/two-factor", data={"code": "000000"}).status_code == 200
    response = client.post("/login/two-factor", data={"code": next_code(app_on_phone)})
    assert response.status_code == 429 and "För många försök" in page_text(response)
    assert client.get("/account").status_code == 302


def test_wrong_codes_are_capped_per_day_as_well_as_per_five_minutes(app, make_app, login_as, participant):
    assert "per day" in app.config["TWO_FACTOR_LIMIT_PER_ACCOUNT"]
    client = make_app(TWO_FACTOR_LIMIT_PER_ACCOUNT="100 per 5 minutes;3 per day").test_client()
    app_on_phone, _codes = set_up(client, login_as, participant)
    password_step(client, participant)
    for _ in range(3):
        assert client.post("/login/two-factor", data={"code": "000000"}).status_code == 200
    assert client.post("/login/two-factor", data={"code": next_code(app_on_phone)}).status_code == 429


def test_code_attempts_are_rate_limited_per_address(make_app, login_as, cast):
    app = make_app(TWO_FACTOR_LIMIT_PER_IP="3 per 5 minutes")
    client = app.test_client()
    members = cast("participant", "author")
    for member in members.values():
        set_up(client, login_as, member)
    password_step(client, members["participant"])
    for _ in range(2):
        client.post("/login/two-factor", data={"code": "000000"})
    password_step(client, members["author"])  # another account, the same address
    client.post("/login/two-factor", data={"code": "000000"})
    assert client.post("/login/two-factor", data={"code": "000000"}).status_code == 429


def test_the_code_step_expires(app, client, login_as, participant):
    set_up(client, login_as, participant)
    app.config["TWO_FACTOR_PENDING_MAX_AGE"] = timedelta(seconds=-1)
    password_step(client, participant)
    response = client.post("/login/two-factor", data={"code": "000000"})
    assert response.headers["Location"] == "/login"
    assert "Logga in igen" in page_text(client.get("/login"))


def test_the_code_step_without_a_correct_password_leads_to_the_log_in(client, participant):
    client.post("/login", data={"email": participant.email, "password": "wrong guess 1"})
    assert client.get("/login/two-factor").headers["Location"] == "/login"


def test_a_password_change_meanwhile_ends_the_waiting_log_in(client, login_as, participant):
    from network.auth import services as accounts

    app_on_phone, _codes = set_up(client, login_as, participant)
    password_step(client, participant)
    accounts.set_password(participant, "a brand new long password")
    db.session.commit()
    assert client.post("/login/two-factor", data={"code": next_code(app_on_phone)}).headers["Location"] == "/login"


def test_members_without_two_factor_log_in_with_the_password_alone(client, participant):
    assert password_step(client, participant).headers["Location"] == "/"
    assert client.get("/account").status_code == 200


# Roles that must use it --------------------------------------------------------------------------

@pytest.fixture
def required(app):
    app.config["REQUIRE_2FA_ROLES"] = STAFF_MUST


def test_staff_without_two_factor_see_only_its_setup(required, client, login_as, course_leader):
    login_as(client, course_leader)
    for path in ("/", "/themes", "/account", "/admin/"):
        assert client.get(path).headers["Location"] == "/account/two-factor", path
    page = page_text(client.get("/account/two-factor"))
    assert "Din roll kräver tvåstegsverifiering" in page
    with client.get("/static/css/site.css") as stylesheet:
        assert stylesheet.status_code == 200
    assert client.post("/logout").headers["Location"] == "/login"


def test_staff_logging_in_with_the_password_alone_land_on_the_setup(required, client, admin):
    assert password_step(client, admin).headers["Location"] == "/"
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/account/two-factor"
    assert "Din roll kräver tvåstegsverifiering. Ställ in den för att fortsätta." in page_text(response)


def test_staff_reach_every_page_once_it_is_set_up(required, client, login_as, admin):
    app_on_phone, _codes = set_up(client, login_as, admin)
    password_step(client, admin)
    client.post("/login/two-factor", data={"code": next_code(app_on_phone)})
    assert client.get("/admin/").status_code == 200


def test_participants_are_not_required(required, client, login_as, participant):
    login_as(client, participant)
    assert client.get("/themes").status_code == 200


def test_the_requirement_costs_participants_no_query(app, client, login_as, participant, count_queries):
    login_as(client, participant)
    client.get("/themes")
    with count_queries() as without:
        client.get("/themes")
    app.config["REQUIRE_2FA_ROLES"] = STAFF_MUST
    with count_queries() as with_requirement:
        client.get("/themes")
    assert len(with_requirement) == len(without)


def test_required_roles_cannot_turn_it_off(required, client, login_as, course_leader):
    app_on_phone, _codes = set_up(client, login_as, course_leader)
    login_as(client, course_leader)
    response = client.post("/account/two-factor/disable",
                           data={"password": PASSWORD, "code": next_code(app_on_phone)})
    assert response.status_code == 403 and "kan inte stängas av" in page_text(response)
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == course_leader.id)) is not None


# Turning it off and new recovery codes -----------------------------------------------------------

def test_turning_it_off_needs_the_password_and_a_current_code(client, login_as, participant):
    app_on_phone, _codes = set_up(client, login_as, participant)
    login_as(client, participant)
    wrong_password = client.post("/account/two-factor/disable", data={"password": "wrong guess 1",
                                                                      "code": next_code(app_on_phone)})
    assert wrong_password.status_code == 400 and "Det nuvarande lösenordet är fel." in page_text(wrong_password)
    wrong_code = client.post("/account/two-factor/disable", data={"password": PASSWORD, "code": "000000"})
    assert wrong_code.status_code == 400
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == participant.id)) is not None
    done = client.post("/account/two-factor/disable", data={"password": PASSWORD, "code": next_code(app_on_phone)})
    assert done.headers["Location"] == "/account"
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == participant.id)) is None
    assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == participant.id)).all() == []
    client.post("/logout")
    assert password_step(client, participant).headers["Location"] == "/"


def test_new_recovery_codes_need_the_password_and_replace_the_old(client, login_as, participant):
    _app, old_codes = set_up(client, login_as, participant)
    login_as(client, participant)
    assert client.post("/account/two-factor/recovery-codes", data={"password": "wrong guess 1"}).status_code == 400
    page = page_text(client.post("/account/two-factor/recovery-codes", data={"password": PASSWORD}))
    new_codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    login_as(client, None)
    password_step(client, participant)
    assert client.post("/login/two-factor", data={"code": old_codes[0]}).status_code == 200
    assert client.post("/login/two-factor", data={"code": new_codes[0]}).status_code == 302


# The administrators' reset -----------------------------------------------------------------------

def test_admin_resets_a_members_second_factor_audit_logged_sessions_ended_mail_sent(app, client, login_as, cast):
    people = cast("admin", "participant")
    admin, member = people["admin"], people["participant"]
    member_client = app.test_client()
    app_on_phone, _codes = set_up(member_client, login_as, member)
    password_step(member_client, member)
    member_client.post("/login/two-factor", data={"code": next_code(app_on_phone)})
    login_as(client, admin)
    assert "Återställ tvåstegsverifiering" in page_text(client.get(f"/admin/users/{member.id}"))

    unexplained = client.post(f"/admin/users/{member.id}/two-factor/reset", data={"two-factor-reason": ""})
    assert unexplained.status_code == 302
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == member.id)) is not None

    client.post(f"/admin/users/{member.id}/two-factor/reset", data={"two-factor-reason": "Tappade telefonen"})
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == member.id)) is None
    entry = db.session.scalar(select(ModerationAction).where(ModerationAction.member_id == member.id))
    assert (entry.action, entry.moderator_id, entry.reason) == (ActionKind.RESET_SECOND_FACTOR, admin.id,
                                                                "Tappade telefonen")
    assert "Återställde en medlems tvåstegsverifiering" in page_text(client.get("/moderation/log"))
    assert member_client.get("/account").status_code == 302  # logged out everywhere
    [mail] = [m for m in outbox(app) if m["To"] == member.email]
    assert mail["Subject"] == "Din tvåstegsverifiering har återställts"
    assert password_step(member_client, member).headers["Location"] == "/"


# Personal data -------------------------------------------------------------------------------------

def test_the_export_says_it_is_on_and_since_when_never_the_secret(client, login_as, participant):
    app_on_phone, codes = set_up(client, login_as, participant)
    [row] = list(PARTS["two_factor"].export(participant))
    assert row["enabled"] is True and row["set_up_at"] and row["recovery_codes_left"] == 10
    assert app_on_phone.secret not in repr(row) and codes[0] not in repr(row)
    factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == participant.id))
    assert factor.secret_sealed not in repr(row)


def test_erasure_deletes_the_secret_and_the_codes(client, login_as, participant):
    set_up(client, login_as, participant)
    ERASERS["two_factor"].erase(Erasure(user=participant, delete_posts=False))
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == participant.id)) is None
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == participant.id)) is None


def test_the_command_line_resets_when_no_administrator_can(app, runner, client, login_as, admin):
    set_up(client, login_as, admin)
    result = runner.invoke(args=["two-factor", "reset", admin.email, "--reason", "Sista administratören"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == admin.id)) is None
    entry = db.session.scalar(select(ModerationAction).where(ModerationAction.member_id == admin.id))
    assert (entry.action, entry.moderator_id) == (ActionKind.RESET_SECOND_FACTOR, None)
    assert runner.invoke(args=["two-factor", "reset", admin.email, "--reason", "Igen"]).exit_code != 0


def test_the_code_step_keeps_the_visitors_language(client, login_as, participant):
    set_up(client, login_as, participant)
    client.post("/language", data={"language": "en"})
    password_step(client, participant)
    assert "Open your authenticator app" in page_text(client.get("/login/two-factor"))


def test_the_settings_page_runs_a_fixed_number_of_queries(client, login_as, participant, count_queries):
    set_up(client, login_as, participant)
    login_as(client, participant)
    client.get("/account/two-factor")
    with count_queries() as queries:
        assert client.get("/account/two-factor").status_code == 200
    assert len(queries) == 4, queries  # the member, their factor, the count of codes left, the unread badge


@pytest.mark.parametrize("setting", ['["course_leader"]', "course_leader", "admin, course_leader"])
def test_required_roles_read_from_the_environment(make_app, monkeypatch, login_as, course_leader, participant, setting):
    monkeypatch.setenv("NETWORK_REQUIRE_2FA_ROLES", setting)
    app = make_app()
    app.config.from_prefixed_env("NETWORK")  # the environment as the only layer above the defaults
    client = app.test_client()
    login_as(client, participant)
    assert client.get("/themes").status_code == 200
    login_as(client, course_leader)
    assert client.get("/themes").headers["Location"] == "/account/two-factor"


def test_a_secret_sealed_under_another_key_fails_closed(make_app, client, login_as, participant, caplog):
    app_on_phone, codes = set_up(client, login_as, participant)
    other = make_app(SECRET_KEY="another-secret-key").test_client()
    password_step(other, participant)
    assert other.post("/login/two-factor", data={"code": next_code(app_on_phone)}).status_code == 200
    assert "cannot be read" in caplog.text
    assert other.post("/login/two-factor", data={"code": codes[0]}).status_code == 302  # recovery codes still work
