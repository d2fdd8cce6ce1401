"""Administration: who may manage what, and that managing works."""
from datetime import date

import pytest
from sqlalchemy import select

from conftest import PASSWORD
from helpers import outbox, page_text
from network.auth.models import Invitation, Role, User
from network.extensions import db
from network.programme.models import Cohort, MembershipRole, Organisation, ProgrammeEvent


@pytest.fixture
def people(make_user, make_cohort, cohort):
    other_cohort = make_cohort(name="Växthuset 2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 1))
    return {
        "participant": make_user(Role.PARTICIPANT, cohort=cohort),
        "own_leader": make_user(Role.COURSE_LEADER, cohort=cohort),
        "other_leader": make_user(Role.COURSE_LEADER, cohort=other_cohort),
        "admin": make_user(Role.ADMIN),
    }


def login_as(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


@pytest.mark.parametrize("who,expected", [
    ("anonymous", 302), ("participant", 403), ("own_leader", 200), ("other_leader", 403), ("admin", 200),
])
def test_cohort_management_page(client, people, cohort, who, expected):
    if who != "anonymous":
        login_as(client, people[who])
    assert client.get(f"/admin/cohorts/{cohort.id}").status_code == expected


@pytest.mark.parametrize("who,expected", [("participant", 403), ("own_leader", 403), ("admin", 200)])
@pytest.mark.parametrize("path", ["/admin/organisations", "/admin/users", "/admin/organisations/new", "/admin/cohorts/new"])
def test_programme_pages_are_for_admins(client, people, who, expected, path):
    login_as(client, people[who])
    assert client.get(path).status_code == expected


@pytest.mark.parametrize("who,expected", [("participant", 403), ("own_leader", 302), ("other_leader", 403), ("admin", 302)])
def test_adding_an_event(client, people, cohort, who, expected):
    login_as(client, people[who])
    response = client.post(f"/admin/cohorts/{cohort.id}/events/new", data={
        "kind": "conference", "title": "Konferens 1", "place": "Sigtuna", "starts_on": "2026-02-05", "ends_on": "2026-02-06",
    })
    assert response.status_code == expected
    stored = db.session.scalars(select(ProgrammeEvent)).all()
    assert len(stored) == (1 if expected == 302 else 0)


def test_event_end_before_start_is_a_form_error(client, people, cohort):
    login_as(client, people["admin"])
    response = client.post(f"/admin/cohorts/{cohort.id}/events/new", data={
        "kind": "study_trip", "title": "Kreta", "place": "Platanias", "starts_on": "2026-05-20", "ends_on": "2026-05-10",
    })
    assert response.status_code == 200
    assert "Slutdatumet får inte vara före startdatumet." in page_text(response)
    assert 'value="Platanias"' in page_text(response)  # what was typed is kept


def test_admin_creates_organisation_and_duplicate_name_is_refused(client, people):
    login_as(client, people["admin"])
    data = {"name": "Omsorgshuset Norr AB", "kind": "provider", "municipality": "Upplands Väsby"}
    assert client.post("/admin/organisations/new", data=data).status_code == 302
    response = client.post("/admin/organisations/new", data={**data, "name": "omsorgshuset norr ab"})
    assert response.status_code == 200 and "finns redan" in page_text(response)
    assert len(db.session.scalars(select(Organisation).where(Organisation.kind == "provider")).all()) == 1


def test_course_leader_invites_participants_to_own_cohort_only(client, people, cohort, organisation):
    login_as(client, people["own_leader"])
    ok = client.post("/admin/invitations", data={"email": "p@example.org", "role": "participant",
                                                 "organisation_id": organisation.id, "cohort_id": cohort.id, "language": "sv"})
    assert ok.status_code == 302
    other = db.session.scalar(select(Cohort).where(Cohort.name == "Växthuset 2025"))
    refused = client.post("/admin/invitations", data={"email": "q@example.org", "role": "participant",
                                                      "organisation_id": organisation.id, "cohort_id": other.id, "language": "sv"})
    assert refused.status_code == 200  # not a valid choice for this leader
    admin_invite = client.post("/admin/invitations", data={"email": "r@example.org", "role": "admin",
                                                           "organisation_id": organisation.id, "cohort_id": cohort.id, "language": "sv"})
    assert admin_invite.status_code == 200
    assert [i.email for i in db.session.scalars(select(Invitation))] == ["p@example.org"]
    assert len(outbox(client.application)) == 1


def test_invitation_to_an_existing_member_is_refused(client, people, organisation):
    login_as(client, people["admin"])
    response = client.post("/admin/invitations", data={"email": people["participant"].email, "role": "participant",
                                                       "organisation_id": organisation.id, "cohort_id": 0, "language": "en"})
    assert response.status_code == 200 and "redan ett konto" in page_text(response)


def test_revoking_an_invitation(client, people, organisation):
    login_as(client, people["admin"])
    client.post("/admin/invitations", data={"email": "p@example.org", "role": "participant",
                                            "organisation_id": organisation.id, "cohort_id": 0, "language": "sv"})
    invitation = db.session.scalar(select(Invitation))
    assert client.post(f"/admin/invitations/{invitation.id}/revoke").status_code == 302
    assert db.session.get(Invitation, invitation.id).revoked_at is not None


def test_course_leader_adds_and_removes_members(client, people, cohort, make_user):
    newcomer = make_user(email="newcomer@example.org")
    login_as(client, people["own_leader"])
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"email": "Newcomer@example.org", "role": "participant"})
    assert cohort.id in [m.cohort_id for m in db.session.get(User, newcomer.id).memberships]
    client.post(f"/admin/cohorts/{cohort.id}/members/{newcomer.id}/remove")
    assert db.session.get(User, newcomer.id).memberships == []


def test_course_leader_cannot_make_course_leaders(client, people, cohort, make_user):
    newcomer = make_user(email="newcomer@example.org")
    login_as(client, people["own_leader"])
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"email": newcomer.email, "role": "course_leader"})
    assert db.session.get(User, newcomer.id).memberships == []


def test_admin_cannot_demote_themselves(client, people, organisation):
    admin = people["admin"]
    login_as(client, admin)
    response = client.post(f"/admin/users/{admin.id}", data={
        "name": admin.name, "role": "participant", "organisation_id": organisation.id, "status": "active"})
    assert response.status_code == 403
    assert db.session.get(User, admin.id).role == Role.ADMIN


def test_users_list_bounded_queries(client, people, make_user, count_queries, cohort):
    login_as(client, people["admin"])
    client.get("/admin/users")
    with count_queries() as few:
        client.get("/admin/users")
    for n in range(60):
        make_user(cohort=cohort)
    with count_queries() as many:
        assert client.get("/admin/users").status_code == 200
    assert len(many) == len(few)


def test_cohort_page_for_members_shows_events_and_members_only_to_its_members(client, people, cohort, make_user):
    cohort_member = people["participant"]
    outsider = make_user()
    db.session.add(ProgrammeEvent(cohort=cohort, kind="study_trip", title="Studieresa till Kreta", place="Platanias",
                                  starts_on=date(2026, 5, 18), ends_on=date(2026, 5, 22)))
    db.session.commit()
    login_as(client, outsider)
    body = page_text(client.get(f"/cohorts/{cohort.id}"))
    assert "Platanias" in body and cohort_member.name not in body
    client.post("/logout")
    login_as(client, cohort_member)
    assert people["own_leader"].name in page_text(client.get(f"/cohorts/{cohort.id}"))
