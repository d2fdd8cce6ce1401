"""Benchmark: search, the themes page and theme pages at the network's real size (issue 15).

Not part of the test suite. Two steps:

  build   a data set of 5,000 members, 20,000 threads and 200,000 posts (texts from a small
          vocabulary, so "ledarskap" is in most posts and "budget", "rekrytering" in many) into
          a database of its own, with bulk inserts, then migrates down to 0005 and up again so
          later revisions backfill what they add (the stored counts of 0008).
  migrate brings a data set built by older code (e.g. --code /work/main) to the newest revision.
  measure serves the app with gunicorn -w 2, logs a member in, and prints for each request of
          the issue's table the time of one request (median of a few) and, with wrk -t2 -c8,
          requests per second with p50 and p95 latency.

  .venv/bin/python benchmarks/search_scale.py build --db sqlite:////tmp/search-bench/bench.db
  .venv/bin/python benchmarks/search_scale.py measure --db sqlite:////tmp/search-bench/bench.db
  (PostgreSQL: createdb -h 127.0.0.1 -U postgres search_bench; --db postgresql://postgres@127.0.0.1/search_bench)

--code DIR runs another checkout's code (e.g. /work/main for the figures before a change);
--instance DIR is the instance folder (default: beside a SQLite file, else /tmp/search-bench).
Never point --db at instance/network.db.
"""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path

MEMBERS, THREADS, POSTS = 5000, 20_000, 200_000
PASSWORD = "bänk-lösenord-2026"
COMMON = {"ledarskap": 0.8, "budget": 0.5, "rekrytering": 0.4}
FILLER = ("tillit personal arbetsmiljö samverkan utförare invånare kundorientering förändring grupp "
          "medarbetare konferens studieresa reflektion nätverk vana tankemönster mål uppföljning "
          "sjukskrivning dialog förtroende kommun verksamhet chef samtal återkoppling planering "
          "omsorg skola socialtjänst digitalisering kompetens utveckling").split()
RARE = "kvantfysik"  # in one post of 10,000
BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("build", "migrate", "measure"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--code", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--instance")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per row")
    parser.add_argument("--slow", type=float, default=5.0, help="skip wrk for rows whose one request took longer")
    parser.add_argument("--timeout", type=float, default=60.0, help="one request gives up after this")
    parser.add_argument("--scale", type=float, default=1.0, help="build a smaller data set (e.g. 0.01 to try)")
    args = parser.parse_args()
    if "instance/network.db" in args.db:
        sys.exit("Refusing to use the app's own database.")
    global MEMBERS, THREADS, POSTS
    MEMBERS, THREADS, POSTS = (max(int(n * args.scale), 20) for n in (MEMBERS, THREADS, POSTS))
    args.instance = args.instance or _default_instance(args.db)
    Path(args.instance).mkdir(parents=True, exist_ok=True)
    os.environ["NETWORK_INSTANCE_PATH"] = args.instance
    sys.path.insert(0, args.code)
    {"build": build, "migrate": migrate, "measure": measure}[args.step](args)


def _default_instance(url: str) -> str:
    if url.startswith("sqlite:///"):
        return str(Path(url.removeprefix("sqlite:///")).parent / "instance")
    return "/tmp/search-bench/instance"


# Building the data set ------------------------------------------------------------------------

def build(args) -> None:
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from network import create_app
    from network.extensions import db

    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        started = time.perf_counter()
        upgrade()
        insert_data_set(db)
        print(f"inserted in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        downgrade(revision="0005")  # and up again: later revisions backfill what they add from the rows
        upgrade()
        print(f"migrated down to 0005 and up again in {time.perf_counter() - started:.0f} s")
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))


def migrate(args) -> None:
    from flask_migrate import upgrade

    from network import create_app

    with create_app({"SQLALCHEMY_DATABASE_URI": args.db}).app_context():
        started = time.perf_counter()
        upgrade()
        print(f"migrated to the newest revision in {time.perf_counter() - started:.0f} s")


def insert_data_set(db) -> None:
    from sqlalchemy import insert, select

    from network.auth.models import Role, User
    from network.auth.passwords import hash_password
    from network.forum.models import Post, ReadState, Theme, Thread
    from network.people.models import Profile
    from network.programme.models import Cohort, CohortMembership, MembershipRole, Organisation, OrganisationKind

    rng = random.Random(15)
    now = datetime.now(timezone.utc)
    organisations = [{"name": f"Kommun {n}", "kind": OrganisationKind.MUNICIPALITY, "municipality": f"Ort {n}"}
                     for n in range(200)]
    db.session.execute(insert(Organisation), organisations)
    cohorts = [{"name": f"Växthuset {2010 + n}", "starts_on": date(2010 + n, 1, 15), "ends_on": date(2010 + n, 12, 1)}
               for n in range(20)]
    db.session.execute(insert(Cohort), cohorts)
    organisation_ids = list(db.session.scalars(select(Organisation.id)))
    cohort_ids = list(db.session.scalars(select(Cohort.id)))
    password_hash = hash_password(PASSWORD)
    users = [{"email": f"medlem{n}@example.org", "name": f"Medlem {n} {rng.choice(FILLER).title()}",
              "handle": f"medlem{n}", "password_hash": password_hash,
              "role": Role.ADMIN if n == 1 else Role.PARTICIPANT, "organisation_id": rng.choice(organisation_ids)}
             for n in range(MEMBERS)]
    db.session.execute(insert(User), users)
    user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
    db.session.execute(insert(CohortMembership), [
        {"user_id": uid, "cohort_id": rng.choice(cohort_ids), "role": MembershipRole.PARTICIPANT} for uid in user_ids
    ])
    db.session.execute(insert(Profile), [
        {"user_id": uid, "title": rng.choice(("Enhetschef", "Verksamhetschef", "Rektor")), "in_directory": True,
         "bio_source": _words(rng, 20), "bio_html": ""} for uid in user_ids
    ])
    db.session.commit()  # the database's triggers index the profiles
    theme_ids = list(db.session.scalars(select(Theme.id)))
    threads = []
    for n in range(THREADS):
        created = now - timedelta(minutes=(THREADS - n) * 30)
        threads.append({"theme_id": theme_ids[n % len(theme_ids)], "author_id": rng.choice(user_ids),
                        "cohort_id": rng.choice(cohort_ids) if n % 10 == 0 else None,
                        "title": f"{_words(rng, 5).capitalize()} {n}", "created_at": created,
                        "last_activity_at": created})
    for start in range(0, THREADS, BATCH):
        db.session.execute(insert(Thread), threads[start:start + BATCH])
    thread_ids = list(db.session.scalars(select(Thread.id).order_by(Thread.id)))
    per_thread = POSTS // THREADS
    rows = []
    for index, thread_id in enumerate(thread_ids):
        created = threads[index]["created_at"]
        for k in range(per_thread):
            body = _post_text(rng)
            rows.append({"thread_id": thread_id, "author_id": rng.choice(user_ids), "opening": k == 0,
                         "body_source": body, "body_html": f"<p>{body}</p>", "created_at": created + timedelta(minutes=k)})
        if len(rows) >= BATCH:
            db.session.execute(insert(Post), rows)
            rows = []
    if rows:
        db.session.execute(insert(Post), rows)
    member = db.session.scalar(select(User.id).where(User.handle == "medlem0"))
    db.session.execute(insert(ReadState), [
        {"user_id": member, "thread_id": thread_id, "last_read_post_id": 0} for thread_id in thread_ids[-2000:]
    ])
    db.session.commit()


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(FILLER, k=count))


def _post_text(rng: random.Random) -> str:
    words = rng.choices(FILLER, k=rng.randint(20, 40))
    words += [word for word, share in COMMON.items() if rng.random() < share]
    if rng.random() < 1 / 10_000:
        words.append(RARE)
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


# Measuring --------------------------------------------------------------------------------------

def measure(args) -> None:
    server = _serve(args)
    try:
        cookie = _log_in(args.port)
        base = f"http://127.0.0.1:{args.port}"
        slug, thread = _targets(base, cookie, args.timeout)
        rows = [
            ("/search?q=ledarskap", "/search?q=ledarskap"),
            ("/search?q=budget+rekrytering", "/search?q=budget+rekrytering"),
            ("/search?q=<rare word>", f"/search?q={RARE}"),
            ("/people?q=chef", "/people?q=enhetschef"),
            ("/themes", "/themes"),
            ("a theme page", f"/themes/{slug}"),
            ("page 40 of a theme", f"/themes/{slug}?page=40"),
            ("a thread page", f"/threads/{thread}?page=1"),
            ("the start page", "/"),
        ]
        print(f"load before: {_load()}")
        print("| request | one request | under 8 clients |\n|---|---|---|")
        for name, path in rows:
            single, status = _one_request(base + path, cookie, args.timeout)
            if single is None:
                print(f"| `{name}` | > {args.timeout:.0f} s (gave up) | skipped |")
                continue
            if single > args.slow:
                under_load = f"skipped (one request takes {single:.1f} s)"
            else:
                under_load = _wrk(base + path, cookie, args.duration)
            print(f"| `{name}` | {_ms(single)} ({status}) | {under_load} |", flush=True)
        print(f"load after: {_load()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _serve(args) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": args.db, "NETWORK_INSTANCE_PATH": args.instance, "NETWORK_HTTPS": "false",
           "NETWORK_RATELIMIT_ENABLED": "false", "PYTHONPATH": args.code}
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    server = subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{args.port}", "--timeout", "30",
                               "--log-level", "warning", "wsgi:app"], cwd=args.code, env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.port}/login", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not start")


def _log_in(port: int) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": "medlem0@example.org", "password": PASSWORD})
    opener.open(f"http://127.0.0.1:{port}/login", data=form.encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _get(url: str, cookie: str, timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _targets(base: str, cookie: str, timeout: float) -> tuple[str, int]:
    _status, page = _get(base + "/themes", cookie, timeout)
    slug = re.search(r'href="/themes/([a-z0-9-]+)"', page).group(1)
    _status, page = _get(f"{base}/themes/{slug}", cookie, timeout)
    return slug, int(re.search(r'href="/threads/(\d+)"', page).group(1))


def _one_request(url: str, cookie: str, timeout: float) -> tuple[float | None, int]:
    timings, status = [], 0
    for attempt in range(5):
        started = time.perf_counter()
        try:
            status, _body = _get(url, cookie, timeout)
        except TimeoutError:
            return None, 0
        timings.append(time.perf_counter() - started)
        if timings[-1] > 5:  # one slow request says enough
            break
    return statistics.median(timings), status


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), summary.errors.timeout + summary.errors.status))
end
"""


def _wrk(url: str, cookie: str, duration: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    output = subprocess.run(["wrk", "-t2", "-c8", f"-d{duration}s", "--timeout", "30s", "-s", script.name,
                             "-H", f"Cookie: {cookie}", url], capture_output=True, text=True).stdout
    os.unlink(script.name)
    found = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if not found:
        return "wrk failed"
    requests, micros, p50, p95, errors = map(int, found.groups())
    text = f"{requests / (micros / 1e6):.0f} req/s, p50 {p50 / 1000:.0f} ms, p95 {p95 / 1000:.0f} ms"
    return text + (f", {errors} errors" if errors else "")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _load() -> str:
    return json.dumps(os.getloadavg())


if __name__ == "__main__":
    main()
