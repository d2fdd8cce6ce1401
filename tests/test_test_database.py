"""The test database: every test starts from the migrated database, whatever the tests before it did."""
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text

from conftest import rolled_back, run_app_restored
from helpers import outbox
from network.auth import services as accounts
from network.auth.models import Role, User
from network.extensions import db
from network.forum.models import Theme
from network.people import services as people
from network.people.models import Visibility
from network.programme.models import Organisation, OrganisationKind

MIGRATION_THEMES = {"ungt-ledarskap", "destruktivt-ledarskap", "mangkulturellt-ledarskap", "innovationskraft"}


def engine_of(application):
    with application.app_context():
        return db.engine


def organisations() -> int:
    return db.session.scalar(select(func.count(Organisation.id)))


def test_what_a_test_commits_is_gone_when_the_next_test_starts(run_app):
    engine = engine_of(run_app)
    with rolled_back(engine), run_app.app_context():
        db.session.add(Organisation(name="Knivsta kommun", kind=OrganisationKind.MUNICIPALITY, municipality="Knivsta"))
        db.session.commit()
        db.session.rollback()  # a commit is a savepoint released: a later rollback keeps it
        assert organisations() == 1
        with engine.connect() as another:  # and no other connection ever sees it
            assert another.scalar(select(func.count(Organisation.id))) == 0
    with rolled_back(engine), run_app.app_context():
        assert organisations() == 0


def test_directory_search_rows_do_not_outlive_their_test(run_app):
    engine = engine_of(run_app)
    with rolled_back(engine), run_app.app_context():
        organisation = Organisation(name="Täby kommun", kind=OrganisationKind.MUNICIPALITY, municipality="Täby")
        db.session.add(organisation)
        db.session.flush()
        user = accounts.create_user(email="sokbar@example.org", name="Sökbar Person", password="correct horse battery",
                                    role=Role.PARTICIPANT, organisation=organisation)
        people.save_profile(user, title="", phone="", email_visibility=Visibility.NETWORK,
                            phone_visibility=Visibility.NETWORK, in_directory=True, languages="", link="", bio="",
                            areas=[], keywords=[])
        db.session.commit()
        assert db.session.scalar(text("SELECT count(*) FROM people_fts")) == 1
    with rolled_back(engine), run_app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM people_fts")) == 0


def test_every_test_has_the_themes_the_migration_seeds(app):
    assert MIGRATION_THEMES <= set(db.session.scalars(select(Theme.slug)))


@pytest.mark.committing
def test_a_test_that_commits_for_real_leaves_the_migrated_database_behind(app, migrated_state):
    db.session.execute(delete(Theme))
    db.session.commit()
    db.session.remove()
    with db.engine.connect() as another:
        assert another.scalar(select(func.count(Theme.id))) == 0  # committed for real
    db.engine.dispose()
    migrated_state.restore(db.engine)  # what the fixture does after such a test
    assert MIGRATION_THEMES <= set(db.session.scalars(select(Theme.slug)))
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_each_test_has_its_own_outbox_config_and_rate_limits(run_app, tmp_path):
    engine = engine_of(run_app)
    default_per_page = run_app.config["PER_PAGE"]
    for attempt in ("first", "second"):
        with run_app_restored(run_app, tmp_path / attempt), rolled_back(engine), run_app.app_context():
            assert Path(run_app.config["MAIL_OUTBOX_DIR"]) == tmp_path / attempt / "outbox"
            assert outbox(run_app) == []
            assert run_app.config["PER_PAGE"] == default_per_page
            run_app.config["PER_PAGE"] = 2
            client = run_app.test_client()
            answers = [client.post("/login", data={"email": "ingen@example.org", "password": "fel"}).status_code
                       for _ in range(21)]
            assert answers[0] == 200 and answers[-1] == 429  # the counters start from nothing each time


def test_an_app_built_with_other_config_shares_the_tests_data(make_app, participant):
    built = make_app(PER_PAGE=2)
    with built.app_context():
        assert db.session.get(User, participant.id).email == "participant@example.org"


def test_counted_queries_are_the_apps_not_the_tests_savepoints(app, count_queries):
    with count_queries() as statements:
        db.session.commit()
        db.session.scalar(select(func.count(Theme.id)))
    assert len(statements) == 1
