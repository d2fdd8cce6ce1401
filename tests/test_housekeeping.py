"""Housekeeping the architecture review asked for: the factory writes no files, the demo stays current,
one directory form, one slug rule, translations that ship with the package."""
import os
import stat
from pathlib import Path

from network import create_app
from network.journal.keys import keyring

from conftest import BASE_CONFIG


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
