"""Integrity under attack and under load: decompression bombs, concurrent submissions, key rotation.

The concurrency tests run real threads, each with its own app context and so its own
database connection, on SQLite and on PostgreSQL alike.
"""
import functools
import io
import struct
import threading
import time
import zlib
from datetime import date

import pytest
from PIL import Image, JpegImagePlugin
from sqlalchemy import func, select

from conftest import PASSWORD
from helpers import page_text
from network.auth import services as accounts
from network.auth.models import Invitation, Role, User
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, Theme, Thread
from network.journal import services as journal
from network.journal.keys import Keyring, keyring
from network.journal.models import JournalEntry
from network.people.models import Avatar


# Avatars --------------------------------------------------------------------------------------

@functools.cache  # the 40 MP bomb takes seconds to build: build each once per run
def png_bomb(width: int, height: int) -> bytes:
    """A real, fully decodable PNG of ``width`` x ``height`` black pixels: tiny on disk, huge in memory."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * width)
    rows_at_once = max(1, 1_000_000 // len(row))  # a megabyte per call, not one call per row
    parts = [compressor.compress(row * min(rows_at_once, height - done)) for done in range(0, height, rows_at_once)]
    body = b"".join(parts) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def upload(client, data: bytes, filename: str):
    boundary = "vaxthuset-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/profile/avatar", data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("width,height", [(1, 40_000_000), (1, 16_000_001), (4001, 4000), (8001, 10)])
def test_avatar_over_16_megapixels_or_8000_pixels_a_side_is_refused_before_decoding(client, participant, width, height, login_as):
    bomb = png_bomb(width, height)
    assert len(bomb) < 200_000  # what an attacker uploads
    login_as(client, participant.get_id())
    started = time.perf_counter()
    response = upload(client, bomb, "me.png")
    assert time.perf_counter() - started < 1.0  # the header alone decides (the 40 MP bomb used to take 8 s)
    assert response.status_code == 400
    assert "Bilden har för många bildpunkter: högst 16 megapixlar och 8000 bildpunkter per sida." in page_text(response)
    assert db.session.get(Avatar, participant.id) is None


def test_the_refusal_is_in_the_members_language(client, participant, login_as):
    participant.language = "en"
    db.session.commit()
    login_as(client, participant.get_id())
    response = upload(client, png_bomb(1, 40_000_000), "me.png")
    assert response.status_code == 400
    assert "The picture has too many pixels: at most 16 megapixels and 8000 pixels per side." in page_text(response)


def test_a_16_megapixel_picture_is_still_accepted(client, participant, login_as):
    login_as(client, participant.get_id())
    assert upload(client, png_bomb(4000, 4000), "me.png").status_code == 302
    stored = Image.open(io.BytesIO(db.session.get(Avatar, participant.id).image))
    assert stored.size == (256, 256)


def test_a_large_jpeg_is_decoded_at_reduced_scale(client, participant, monkeypatch, login_as):
    photo = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 30, 30)).save(photo, "JPEG")
    decoded_sizes = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def load(image):
        decoded_sizes.append(image.size)
        return real_load(image)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", load)
    login_as(client, participant.get_id())
    assert upload(client, photo.getvalue(), "me.jpg").status_code == 302
    assert decoded_sizes and max(max(size) for size in decoded_sizes) <= 1000  # 1/4 scale, never 12 MP


# Concurrent submissions --------------------------------------------------------------------

def at_once(app, count: int, request) -> list:
    """Run ``request(client)`` in ``count`` threads released together; their responses."""
    barrier = threading.Barrier(count)
    responses = [None] * count

    def worker(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        responses[n] = request(client)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.fixture
def discussion(app, participant, course_leader):
    theme = Theme(slug="test-tillit", name_sv="Tillit", name_en="Trust", position=1)
    db.session.add(theme)
    db.session.flush()
    thread = forum.create_thread(course_leader, theme, "Om tillit", "Hur gör ni?")
    db.session.commit()
    return theme, thread


@pytest.mark.committing
def test_eight_identical_replies_at_once_store_one(app, participant, discussion, login_as):
    _, thread = discussion
    identity, thread_id = participant.get_id(), thread.id

    def reply(client):
        login_as(client, identity)
        response = client.post(f"/threads/{thread_id}", data={"body": "Samma svar"})
        return response.status_code, response.location, page_text(client.get(response.location, follow_redirects=True))

    responses = at_once(app, 8, reply)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Post.id)).where(Post.author_id == participant.id)) == 1
    assert {status for status, _, _ in responses} == {302}
    assert len({location for _, location, _ in responses}) == 1  # every submitter lands on the one reply
    told = [body for _, _, body in responses if "Du skickade svaret två gånger; det är publicerat en gång." in body]
    assert len(told) == 7


@pytest.mark.committing
def test_identical_new_threads_at_once_open_one(app, participant, discussion, login_as):
    theme, _ = discussion
    identity, slug = participant.get_id(), theme.slug

    def open_thread(client):
        login_as(client, identity)
        return client.post(f"/themes/{slug}/new", data={"title": "Dubbel", "body": "Klick", "scope": "network"})

    responses = at_once(app, 4, open_thread)
    db.session.expire_all()
    assert [r.status_code for r in responses] == [302] * 4
    assert db.session.scalar(select(func.count(Thread.id)).where(Thread.title == "Dubbel")) == 1


@pytest.mark.committing
def test_eight_members_replying_to_one_thread_at_once_are_all_stored_and_counted(
        app, discussion, make_user, cohort, login_as):
    _, thread = discussion
    thread_id = thread.id
    identities = [make_user(cohort=cohort).get_id() for _ in range(8)]

    def reply(client):
        identity = identities.pop()
        login_as(client, identity)
        return client.post(f"/threads/{thread_id}", data={"body": f"Mitt svar ({identity})"}).status_code

    statuses = at_once(app, 8, reply)
    db.session.expire_all()
    assert statuses == [302] * 8
    assert db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread_id)) == 9
    assert db.session.get(Thread, thread_id).post_count == 9


@pytest.mark.committing
def test_four_members_opening_threads_in_one_theme_at_once_are_all_stored_and_counted(
        app, discussion, make_user, cohort, login_as):
    theme, _ = discussion
    slug, theme_id = theme.slug, theme.id
    identities = [make_user(cohort=cohort).get_id() for _ in range(4)]

    def open_thread(client):
        identity = identities.pop()
        login_as(client, identity)
        return client.post(f"/themes/{slug}/new", data={"title": f"Tråd {identity}", "body": "Hej", "scope": "network"})

    assert [r.status_code for r in at_once(app, 4, open_thread)] == [302] * 4
    db.session.expire_all()
    assert db.session.get(Theme, theme_id).thread_count == 5


@pytest.mark.committing
def test_one_invitation_accepted_twice_at_once_makes_one_account(app, admin, organisation, monkeypatch):
    _, token = accounts.create_invitation(inviter=admin, email="ny@example.org", role=Role.PARTICIPANT,
                                          organisation=organisation, cohort=None)
    db.session.commit()
    real_create_user = accounts.create_user

    def slow_create_user(**values):  # widen the gap between checking the invitation and using it up
        time.sleep(0.3)
        return real_create_user(**values)

    monkeypatch.setattr(accounts, "create_user", slow_create_user)

    def accept(client):
        return client.post(f"/invitations/{token}", data={"name": "Nils Nyman", "password": PASSWORD,
                                                          "password_confirm": PASSWORD, "language": "sv"})

    responses = at_once(app, 4, accept)
    db.session.expire_all()
    assert sorted(r.status_code for r in responses) == [302, 410, 410, 410]
    for loser in (r for r in responses if r.status_code == 410):
        assert "Inbjudan har redan använts." in page_text(loser)
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "ny@example.org")) == 1
    assert db.session.scalar(select(Invitation.accepted_at)) is not None


# Key rotation --------------------------------------------------------------------------------

def test_rotation_never_overwrites_an_edit_saved_meanwhile(app, runner, participant, monkeypatch):
    entry = journal.save_entry(participant, None, title="Före", body="gammal text", tags=[], entry_date=date(2026, 2, 1),
                               event_id=None, is_draft=False)
    db.session.commit()
    real_decrypt = Keyring.decrypt
    edited = []

    def edit_while_rotating(ring, kid, nonce, ciphertext, entry_id, author_id):
        plaintext = real_decrypt(ring, kid, nonce, ciphertext, entry_id, author_id)
        if not edited:  # the author saves, in another request, between the rotation's read and write
            with app.app_context():
                journal.save_entry(db.session.get(User, participant.id), db.session.get(JournalEntry, entry_id),
                                   title="Efter", body="ny text", tags=[], entry_date=date(2026, 2, 1),
                                   event_id=None, is_draft=False)
                db.session.commit()
            edited.append(entry_id)
        return plaintext

    monkeypatch.setattr(Keyring, "decrypt", edit_while_rotating)
    result = runner.invoke(args=["journal", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert edited == [entry.id]
    db.session.expire_all()
    stored = db.session.get(JournalEntry, entry.id)
    opened = journal.open_entry(stored)
    assert (opened.title, opened.body) == ("Efter", "ny text")
    assert stored.key_id == keyring().current
