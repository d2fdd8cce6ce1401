"""Administration: who may manage what, and that managing works."""
from datetime import date

import pytest
from sqlalchemy import select

from helpers import link_in, outbox, page_text, page_text_without_tokens
from network.auth.models import Invitation, Role, User
from network.extensions import db
from network.programme.models import Cohort, MembershipRole, Organisation, ProgrammeEvent

@pytest.fixture
def people(cast):
    return cast(participant="participant", own_leader="course_leader", other_leader="other_leader", admin="admin")


@pytest.mark.parametrize("who,expected", [
    ("anonymous", 302), ("participant", 403), ("own_leader", 200), ("other_leader", 403), ("admin", 200),
])
def test_cohort_management_page(client, people, cohort, who, expected, login_as):
    if who != "anonymous":
        login_as(client, people[who])
    assert client.get(f"/admin/cohorts/{cohort.id}").status_code == expected


@pytest.mark.parametrize("who,expected", [("participant", 403), ("own_leader", 403), ("admin", 200)])
@pytest.mark.parametrize("path", ["/admin/organisations", "/admin/users", "/admin/organisations/new", "/admin/cohorts/new"])
def test_programme_pages_are_for_admins(client, people, who, expected, path, login_as):
    login_as(client, people[who])
    assert client.get(path).status_code == expected


@pytest.mark.parametrize("who,expected", [("participant", 403), ("own_leader", 302), ("other_leader", 403), ("admin", 302)])
def test_adding_an_event(client, people, cohort, who, expected, login_as):
    login_as(client, people[who])
    response = client.post(f"/admin/cohorts/{cohort.id}/events/new", data={
        "kind": "conference", "title": "Konferens 1", "place": "Sigtuna", "starts_on": "2026-02-05", "ends_on": "2026-02-06",
    })
    assert response.status_code == expected
    stored = db.session.scalars(select(ProgrammeEvent)).all()
    assert len(stored) == (1 if expected == 302 else 0)


def test_event_end_before_start_is_a_form_error(client, people, cohort, login_as):
    login_as(client, people["admin"])
    response = client.post(f"/admin/cohorts/{cohort.id}/events/new", data={
        "kind": "study_trip", "title": "Kreta", "place": "Platanias", "starts_on": "2026-05-20", "ends_on": "2026-05-10",
    })
    assert response.status_code == 200
    assert "Slutdatumet får inte vara före startdatumet." in page_text(response)
    assert 'value="Platanias"' in page_text(response)  # what was typed is kept


def test_admin_creates_organisation_and_duplicate_name_is_refused(client, people, login_as):
    login_as(client, people["admin"])
    data = {"name": "Omsorgshuset Norr AB", "kind": "provider", "municipality": "Upplands Väsby"}
    assert client.post("/admin/organisations/new", data=data).status_code == 302
    response = client.post("/admin/organisations/new", data={**data, "name": "omsorgshuset norr ab"})
    assert response.status_code == 200 and "finns redan" in page_text(response)
    assert len(db.session.scalars(select(Organisation).where(Organisation.kind == "provider")).all()) == 1


def test_course_leader_invites_participants_to_own_cohort_only(client, people, cohort, organisation, login_as):
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


def test_invitation_to_an_existing_member_is_refused(client, people, organisation, login_as):
    login_as(client, people["admin"])
    response = client.post("/admin/invitations", data={"email": people["participant"].email, "role": "participant",
                                                       "organisation_id": organisation.id, "cohort_id": 0, "language": "en"})
    assert response.status_code == 200 and "redan ett konto" in page_text(response)


def test_revoking_an_invitation(client, people, organisation, login_as):
    login_as(client, people["admin"])
    client.post("/admin/invitations", data={"email": "p@example.org", "role": "participant",
                                            "organisation_id": organisation.id, "cohort_id": 0, "language": "sv"})
    invitation = db.session.scalar(select(Invitation))
    assert client.post(f"/admin/invitations/{invitation.id}/revoke").status_code == 302
    assert db.session.get(Invitation, invitation.id).revoked_at is not None


def test_course_leader_invites_a_member_who_joins_on_accepting_and_can_be_removed(make_app, people, cohort, make_user, login_as):
    """Issue 9, item 3: adding an existing member goes through an invitation the member accepts."""
    newcomer = make_user(email="newcomer@example.org")
    application = make_app()
    leader, member = application.test_client(), application.test_client()
    login_as(leader, people["own_leader"])
    response = leader.post(f"/admin/cohorts/{cohort.id}/members", data={"email": "Newcomer@example.org", "role": "participant"})
    assert response.status_code == 302
    assert memberships_of(newcomer) == []  # not a member before accepting
    link = link_in(outbox(application)[-1], "/invitations/")

    assert member.get(link).status_code == 302  # log in first
    login_as(member, newcomer)
    assert "Gå med i Växthuset 2026" in page_text(member.get(link))
    assert "Gå med i Växthuset 2026" in page_text(member.get("/"))
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == newcomer.email))
    assert member.post(f"/cohort-invitations/{invitation.id}/accept").status_code == 302
    assert memberships_of(newcomer) == [(cohort.id, MembershipRole.PARTICIPANT)]
    assert member.post(f"/cohort-invitations/{invitation.id}/accept").status_code == 404  # used up

    leader.post(f"/admin/cohorts/{cohort.id}/members/{newcomer.id}/remove")
    assert memberships_of(newcomer) == []


def memberships_of(user) -> list:
    db.session.expire_all()
    return [(m.cohort_id, m.role) for m in db.session.get(User, user.id).memberships]


def test_a_declined_or_foreign_cohort_invitation_adds_no_one(client, people, cohort, make_user, login_as):
    newcomer, bystander = make_user(email="newcomer@example.org"), make_user(email="bystander@example.org")
    login_as(client, people["own_leader"])
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"email": newcomer.email, "role": "participant"})
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == newcomer.email))
    client.post("/logout")
    login_as(client, bystander)
    assert client.post(f"/cohort-invitations/{invitation.id}/accept").status_code == 404
    client.post("/logout")
    login_as(client, newcomer)
    assert client.post(f"/cohort-invitations/{invitation.id}/decline").status_code == 302
    assert client.post(f"/cohort-invitations/{invitation.id}/accept").status_code == 404
    assert memberships_of(newcomer) == [] and memberships_of(bystander) == []


def test_adding_a_member_answers_alike_whether_or_not_the_email_has_an_account(client, people, cohort, make_user, login_as):
    make_user(email="exists@example.org")
    login_as(client, people["own_leader"])
    answers = []
    for email in ("exists@example.org", "nobody@example.org"):
        response = client.post(f"/admin/cohorts/{cohort.id}/members", data={"email": email, "role": "participant"},
                               follow_redirects=True)
        shown = page_text_without_tokens(response)
        answers.append((response.status_code, shown.replace(email, "EMAIL")))
    assert answers[0] == answers[1]
    listed = page_text(client.get("/admin/invitations"))  # the invitation list tells no difference either
    assert "exists@example.org" in listed and "nobody@example.org" in listed
    assert len(outbox(client.application)) == 1  # only the member with an account is mailed
    for email in ("exists@example.org", "nobody@example.org"):  # the invitation form alike
        response = client.post("/admin/invitations", data={
            "email": email, "role": "participant", "organisation_id": people["participant"].organisation_id,
            "cohort_id": cohort.id, "language": "sv"}, follow_redirects=True)
        assert response.status_code == 200 and "har skickats till" in page_text(response)
        assert "redan ett konto" not in page_text(response)


def test_only_admins_change_a_members_role_in_a_cohort(client, people, cohort, login_as):
    participant = people["participant"]
    login_as(client, people["own_leader"])
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"email": participant.email, "role": "course_leader"})
    assert memberships_of(participant) == [(cohort.id, MembershipRole.PARTICIPANT)]
    client.post("/logout")
    login_as(client, people["admin"])
    response = client.post(f"/admin/cohorts/{cohort.id}/members", data={"email": participant.email,
                                                                        "role": "course_leader"})
    assert response.status_code == 302
    assert memberships_of(participant) == [(cohort.id, MembershipRole.COURSE_LEADER)]
    assert db.session.scalar(select(Invitation)) is None  # already a member: nothing to accept


@pytest.mark.parametrize("target", ["co_leader", "admin", "leader_as_participant"])
def test_course_leader_neither_removes_nor_demotes_co_leaders_or_admins(client, people, cohort, make_user, target, login_as):
    members = {
        "co_leader": make_user(Role.COURSE_LEADER, cohort=cohort),
        "admin": make_user(Role.ADMIN, cohort=cohort, membership_role=MembershipRole.PARTICIPANT),
        "leader_as_participant": make_user(Role.PARTICIPANT, cohort=cohort, membership_role=MembershipRole.COURSE_LEADER),
    }
    member = members[target]
    before = memberships_of(member)
    login_as(client, people["own_leader"])
    assert client.post(f"/admin/cohorts/{cohort.id}/members/{member.id}/remove").status_code == 403
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"email": member.email, "role": "participant"})
    assert memberships_of(member) == before
    assert db.session.scalar(select(Invitation).where(Invitation.email == member.email)) is None
    assert f"/members/{member.id}/remove" not in page_text(client.get(f"/admin/cohorts/{cohort.id}"))


def test_course_leader_cannot_make_course_leaders(client, people, cohort, make_user, login_as):
    newcomer = make_user(email="newcomer@example.org")
    login_as(client, people["own_leader"])
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"email": newcomer.email, "role": "course_leader"})
    assert db.session.get(User, newcomer.id).memberships == []


def test_admin_cannot_demote_themselves(client, people, organisation, login_as):
    admin = people["admin"]
    login_as(client, admin)
    response = client.post(f"/admin/users/{admin.id}", data={
        "name": admin.name, "role": "participant", "organisation_id": organisation.id, "status": "active"})
    assert response.status_code == 403
    assert db.session.get(User, admin.id).role == Role.ADMIN


def test_users_list_bounded_queries(client, people, make_user, count_queries, cohort, login_as):
    login_as(client, people["admin"])
    client.get("/admin/users")
    with count_queries() as few:
        client.get("/admin/users")
    for n in range(60):
        make_user(cohort=cohort)
    with count_queries() as many:
        assert client.get("/admin/users").status_code == 200
    assert len(many) == len(few)


def test_cohort_page_for_members_shows_events_and_members_only_to_its_members(client, people, cohort, make_user, login_as):
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
