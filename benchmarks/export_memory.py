"""Benchmark: peak memory of the account export (/account/export) for a member with 10,000 posts.

Run: .venv/bin/python benchmarks/export_memory.py [--posts 10000] [--entries 200]
Creates a temporary SQLite database, writes one member's posts (about 600 characters each, a
tenth of them edited once) and encrypted journal entries, then measures with tracemalloc the
peak of Python allocations while
  streamed   the export is written piece by piece and each piece dropped (what the response does),
  in memory  every part's rows are first gathered in lists and the ZIP built in a BytesIO
             (what the journal's own export does, at this scale).
Prints both peaks and the archive's size.
"""
import argparse
import io
import json
import random
import time
import tracemalloc
import zipfile
from datetime import date, timedelta

from bench_app import make_member, temporary_app

WORDS = ("ledarskap tillit budget personal arbetsmiljö samverkan utförare invånare kundorientering "
         "förändring grupp medarbetare konferens studieresa reflektion nätverk vana tankemönster").split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=200)
    args = parser.parse_args()
    with temporary_app() as app:
        from network.auth.models import User
        from network.extensions import db
        user_id = populate(db, args.posts, args.entries)
        for name, export in (("streamed", streamed), ("in memory", in_memory)):
            with app.test_request_context():
                db.session.remove()  # a fresh session, as each request has
                user = db.session.get(User, user_id)
                peak, size, seconds = measure(lambda: export(user))
            print(f"{name:<10} peak {peak / 2**20:7.1f} MiB  archive {size / 2**20:6.1f} MiB  {seconds:5.1f} s")


def populate(db, posts: int, entries: int) -> int:
    from network.forum.models import Post, PostRevision, Theme, Thread
    from network.journal import services as journal
    from network.timeutil import utcnow

    rng = random.Random(2013)
    user = make_member(db)
    theme = db.session.scalars(db.select(Theme)).first()
    threads = [Thread(theme_id=theme.id, author_id=user.id, title=f"Tråd {n}") for n in range(100)]
    db.session.add_all(threads)
    db.session.flush()
    now = utcnow()
    for n in range(posts):
        body = " ".join(rng.choices(WORDS, k=60))
        post = Post(thread_id=threads[n % 100].id, author_id=user.id, body_source=body, body_html=f"<p>{body}</p>",
                    created_at=now)
        if n % 10 == 0:
            post.revisions.append(PostRevision(editor_id=user.id, body_source=body[:200], body_html="<p></p>"))
        db.session.add(post)
    for n in range(entries):
        journal.save_entry(user, None, title=f"Anteckning {n}", body=" ".join(rng.choices(WORDS, k=200)),
                           tags=rng.sample(WORDS, 2), entry_date=date(2026, 1, 1) + timedelta(days=n % 300),
                           event_id=None, is_draft=False)
    db.session.commit()
    print(f"one member with {posts} posts ({posts // 10} edited) and {entries} journal entries")
    return user.id


def measure(run) -> tuple[int, int, float]:
    tracemalloc.start()
    started = time.perf_counter()
    size = run()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size, seconds


def streamed(user) -> int:
    from network.auth.export import account_archive

    return sum(len(piece) for piece in account_archive(user))


def in_memory(user) -> int:
    from network.auth.export import json_value, readme
    from network.personal_data import PARTS

    parts = list(PARTS.values())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", readme(user, parts))
        for part in parts:
            rows = list(part.export(user))
            archive.writestr(f"{part.name}.json", json.dumps(rows, ensure_ascii=False, indent=2, default=json_value))
            if part.readable is not None:
                archive.writestr(f"{part.name}.md", "".join(part.readable(user)))
            for name, data in part.files(user) if part.files is not None else ():
                archive.writestr(f"files/{name}", data)
    return len(buffer.getvalue())


if __name__ == "__main__":
    main()
