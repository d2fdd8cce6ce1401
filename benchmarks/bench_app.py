"""What the benchmarks share: an app on a fresh, migrated SQLite database, and one member."""
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@contextmanager
def temporary_app():
    """The app on a new SQLite database in a temporary instance folder, migrated, its context pushed."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["NETWORK_INSTANCE_PATH"] = folder
        os.environ.pop("DATABASE_URL", None)
        from flask_migrate import upgrade

        from network import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "TESTING": True})
        with app.app_context():
            upgrade()
            yield app


def make_member(db):
    """Anna Lindqvist of Upplands Väsby kommun, a participant, committed."""
    from network.auth.models import Role, User
    from network.programme.models import Organisation, OrganisationKind

    organisation = Organisation(name="Upplands Väsby kommun", kind=OrganisationKind.MUNICIPALITY, municipality="Upplands Väsby")
    user = User(email="anna@example.org", name="Anna Lindqvist", handle="anna.lindqvist", password_hash="x",
                role=Role.PARTICIPANT, organisation=organisation)
    db.session.add(user)
    db.session.commit()
    return user
