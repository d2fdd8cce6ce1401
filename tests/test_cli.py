"""The command line: create-user, invite and seed-demo."""
from sqlalchemy import func, select

from helpers import link_in, outbox
from network.auth.models import Role, User
from network.extensions import db
from network.programme.models import Cohort, CohortMembership, MembershipRole, ProgrammeEvent


def test_create_user_reads_the_password_from_piped_input(runner, organisation, cohort, client):
    result = runner.invoke(args=[
        "create-user", "--email", "Leader@Example.org", "--name", "Karin Ledare", "--role", "course-leader",
        "--organisation", organisation.name, "--cohort", cohort.name,
    ], input="midsummer in knivsta\nmidsummer in knivsta\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "leader@example.org"))
    assert user.role == Role.COURSE_LEADER
    assert [(m.cohort.name, m.role) for m in user.memberships] == [(cohort.name, MembershipRole.COURSE_LEADER)]
    assert client.post("/login", data={"email": "leader@example.org", "password": "midsummer in knivsta"}).status_code == 302


def test_create_user_refuses_unknown_organisation_and_cohort(runner, organisation):
    result = runner.invoke(args=["create-user", "--email", "a@example.org", "--name", "A", "--organisation", "Nowhere AB"],
                           input="midsummer in knivsta\n")
    assert result.exit_code != 0 and "No organisation is named 'Nowhere AB'" in result.output
    result = runner.invoke(args=["create-user", "--email", "a@example.org", "--name", "A", "--organisation",
                                 organisation.name, "--cohort", "Växthuset 1999"], input="midsummer in knivsta\n")
    assert result.exit_code != 0 and "No cohort is named" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_user_refuses_mismatched_or_common_passwords(runner, organisation):
    base = ["create-user", "--email", "a@example.org", "--name", "A", "--organisation", organisation.name]
    assert "do not match" in runner.invoke(args=base, input="midsummer in knivsta\nsomething else\n").output
    assert "too common" in runner.invoke(args=base, input="password1\npassword1\n").output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_invite_sends_a_working_link(runner, organisation, cohort, client):
    result = runner.invoke(args=["invite", "--email", "new@example.org", "--organisation", organisation.name,
                                 "--cohort", cohort.name])
    assert result.exit_code == 0, result.output
    path = link_in(outbox(client.application)[0], "/invitations/")
    assert path in result.output
    assert client.get(path).status_code == 200


def test_seed_demo_builds_the_programme_and_is_idempotent(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "vaxthuset-demo" in result.output and "admin" in result.output

    def counts():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (User, Cohort, CohortMembership, ProgrammeEvent))

    first = counts()
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Växthuset 2013"))
    participants = [m for m in cohort.memberships if m.role == MembershipRole.PARTICIPANT]
    leaders = [m for m in cohort.memberships if m.role == MembershipRole.COURSE_LEADER]
    assert len(participants) == 40 and len(leaders) == 2
    kinds = sorted(e.kind.value for e in cohort.events)
    assert kinds == ["conference"] * 5 + ["study_trip"] * 2
    assert any("Platanias" in e.place for e in cohort.events) and any("Indien" in e.place for e in cohort.events)
    orgs = {m.user.organisation for m in participants}
    assert any(o.name == "Upplands Väsby kommun" for o in orgs)
    assert sum(o.kind.value == "municipality" for o in orgs) >= 6 and sum(o.kind.value == "provider" for o in orgs) >= 6
    assert db.session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN)) == 1

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert counts() == first


def test_seed_demo_logins_work(runner, client):
    runner.invoke(args=["seed-demo"])
    response = client.post("/login", data={"email": "birgitta.admin@vaxthuset.example", "password": "vaxthuset-demo"})
    assert response.status_code == 302


def test_seed_demo_can_build_a_large_data_set(runner):
    result = runner.invoke(args=["seed-demo", "--extra-members", "300"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(User.id))) >= 350


def test_prepare_migrates_and_seeds_only_an_empty_database(runner, make_user):
    make_user(email="someone@example.org")
    result = runner.invoke(args=["prepare"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Cohort.id))) == 0  # an account exists: not seeded
    db.session.execute(CohortMembership.__table__.delete())
    db.session.execute(User.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["prepare"])
    assert result.exit_code == 0 and "vaxthuset-demo" in result.output
    assert db.session.scalar(select(func.count(User.id))) > 40
