"""Every user-facing string has a Swedish translation; the English catalog is complete too."""
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def extracted_messages(tmp_path_factory) -> set:
    """Every message id the code and templates use, extracted as `make extract-messages` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "--no-location", str(ROOT)],
        check=True, capture_output=True, cwd=ROOT,
    )
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def catalog(locale: str) -> dict:
    with (ROOT / f"network/translations/{locale}/LC_MESSAGES/messages.po").open("rb") as handle:
        return {message.id: message for message in read_po(handle) if message.id}


def test_swedish_catalog_translates_every_string(extracted_messages):
    wanted = extracted_messages
    swedish = catalog("sv")
    missing = sorted(str(m) for m in wanted if m not in swedish)
    untranslated = sorted(
        str(m) for m in wanted
        if m in swedish and (not all(swedish[m].string) if isinstance(m, tuple) else not swedish[m].string)
    )
    fuzzy = sorted(str(m) for m in wanted if m in swedish and swedish[m].fuzzy)
    assert (missing, untranslated, fuzzy) == ([], [], [])


def test_english_catalog_covers_every_string(extracted_messages):
    wanted = extracted_messages
    english = catalog("en")  # read once, not once per message
    assert sorted(str(m) for m in wanted if m not in english) == []


def test_start_page_in_both_languages(client):
    assert "Hoppa till innehållet" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"language": "en"})
    assert "Skip to content" in client.get("/").get_data(as_text=True)
