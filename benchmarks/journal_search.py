"""Benchmark: searching one author's 2,000 encrypted journal entries (decrypted in memory).

Run: .venv/bin/python benchmarks/journal_search.py [--entries 2000] [--runs 30]
Creates a temporary SQLite database and instance folder, writes the entries through the
same service the app uses (so every row is AES-GCM encrypted), then times searches that
fetch, decrypt and match every entry and then load the first page of hits, as the
journal's search page does (rendering excluded). Prints medians.
"""
import argparse
import random
import statistics
import time
from datetime import date, timedelta

from bench_app import make_member, temporary_app

WORDS = ("ledarskap tillit budget personal arbetsmiljö samverkan utförare invånare kundorientering "
         "förändring grupp medarbetare konferens studieresa reflektion nätverk vana tankemönster "
         "mål uppföljning rekrytering sjukskrivning dialog förtroende").split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with temporary_app():
        from network.extensions import db
        user = make_member(db)
        write_entries(db, user, args.entries)
        report(db, user, args.runs, args.entries)


def write_entries(db, user, count: int) -> None:
    from network.journal import services

    rng = random.Random(2013)
    started = time.perf_counter()
    for n in range(count):
        body = "\n\n".join(" ".join(rng.choices(WORDS, k=40)) for _ in range(5))  # about 1,800 characters
        services.save_entry(user, None, title=f"Anteckning {n}: {rng.choice(WORDS)}", body=body,
                            tags=rng.sample(WORDS, 3), entry_date=date(2026, 1, 1) + timedelta(days=n % 330),
                            event_id=None, is_draft=False)
    db.session.commit()
    print(f"wrote {count} encrypted entries in {time.perf_counter() - started:.1f} s")


def report(db, user, runs: int, count: int) -> None:
    from network.journal import services

    cases = {"one word": services.Filters(q="tillit"), "two words": services.Filters(q="budget dialog"),
             "no match": services.Filters(q="finnsinte"), "tag": services.Filters(tag="nätverk")}
    for name, filters in cases.items():
        timings, hits = [], 0
        for _ in range(runs):
            db.session.expire_all()  # fetch and decrypt every row each time, as a request would
            started = time.perf_counter()
            page = services.journal_page(user, filters, 1, 25, services.themes_by_id())  # what the search page does
            hits = page.total
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        print(f"search {name:<10} over {count} entries: median {statistics.median(timings):6.1f} ms, "
              f"min {timings[0]:6.1f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:6.1f} ms, {hits} hits")


if __name__ == "__main__":
    main()
