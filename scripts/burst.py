"""Nothing lost under load: many members reply to one thread at once through gunicorn; count what is stored.

    .venv/bin/python scripts/burst.py                       # SQLite, 4 workers, 50 clients x 100 replies
    .venv/bin/python scripts/burst.py --db postgresql://postgres@127.0.0.1/burst
    .venv/bin/python scripts/burst.py --kill-worker         # SIGKILL one gunicorn worker mid-burst
    make burst [DB=postgresql://...] [KILL=1]

A script, not a test: it measures. It prepares a fresh network in a temporary instance folder
(`flask prepare`: migrations, journal key, demo data), adds the burst's members and one thread,
starts `gunicorn --workers 4` with the production configuration (CSRF on), logs every client in
through the log-in form and sends each reply with the form's CSRF token and a text of its own
(the forum folds identical replies sent within a minute into one). Then it counts the stored
replies by their texts and reports sent / acknowledged / stored / duplicated / lost / errors,
latency percentiles, and the "database is locked" lines in gunicorn's log.

A client whose request dies with its worker (a connection error) counts as an error and sends the
same text once more, as a person pressing the button again would; the forum's double-submit guard
(same author, same thread, same text within a minute) must then store it once.

PostgreSQL: the named database is dropped and created afresh, so its name must start with "burst".
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "burst-password-not-for-real-use"
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
SESSION_COOKIE = re.compile(r"\bsession=([^;]+)")


# Preparing the network ----------------------------------------------------------------------------

def prepare_members(count: int) -> None:
    """Run inside the app's environment: ``count`` members and one thread; prints their ids as JSON."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from network import create_app
    from network.auth import services as accounts
    from network.auth.models import Role
    from network.extensions import db
    from network.forum import services as forum
    from network.forum.models import Theme
    from network.programme.models import Organisation

    app = create_app()
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).order_by(Organisation.id).limit(1))
        theme = db.session.scalar(select(Theme).where(Theme.requires_approval.is_(False)).order_by(Theme.id).limit(1))
        members = [accounts.create_user(email=f"burst{n:02d}@example.org", name=f"Burst Member {n:02d}",
                                        password=PASSWORD, role=Role.PARTICIPANT, organisation=organisation)
                   for n in range(count)]
        leader = accounts.create_user(email="burst-leader@example.org", name="Burst Leader", password=PASSWORD,
                                      role=Role.COURSE_LEADER, organisation=organisation)
        thread = forum.create_thread(leader, theme, "Burst: alla svarar samtidigt", "Svara här, alla på en gång.")
        db.session.commit()
        print(json.dumps({"thread_id": thread.id, "emails": [m.email for m in members]}))


def flask(env: dict, *arguments: str) -> str:
    result = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *arguments], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"flask {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout


def fresh_postgresql(url: str) -> None:
    """Drop and create the burst's PostgreSQL database (its name must start with "burst")."""
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    if not (target.database or "").startswith("burst"):
        sys.exit("The PostgreSQL database is dropped and created afresh: its name must start with 'burst'.")
    server = create_engine(target.set(drivername="postgresql+psycopg", database="postgres"),
                           isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The clients -------------------------------------------------------------------------------------

@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    sent: int = 0
    acknowledged: list[str] = field(default_factory=list)  # texts answered with a redirect to the thread
    retried: int = 0
    acknowledged_on_retry: int = 0
    errors: Counter = field(default_factory=Counter)  # "HTTP 500", "connection error", ...
    latencies: list[float] = field(default_factory=list)  # seconds, acknowledged replies
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One member's browser: a session cookie and the reply form's CSRF token."""

    def __init__(self, port: int, email: str):
        self.port, self.email, self.cookie, self.token = port, email, "", ""

    def request(self, method: str, path: str, form: dict | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": f"session={self.cookie}"} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        connection.close()
        cookie = SESSION_COOKIE.search(response.getheader("Set-Cookie") or "")
        if cookie:
            self.cookie = cookie.group(1)
        return response

    def log_in(self, thread_id: int) -> None:
        token = CSRF.search(self.request("GET", "/login").text).group(1)
        answer = self.request("POST", "/login", {"email": self.email, "password": PASSWORD, "csrf_token": token})
        if answer.status != 302:
            raise RuntimeError(f"log-in of {self.email} answered {answer.status}")
        self.token = CSRF.search(self.request("GET", f"/threads/{thread_id}?page=1").text).group(1)

    def reply(self, thread_id: int, text: str) -> tuple[str, float]:
        """("ack" | "HTTP <status>" | "connection error", seconds)."""
        started = time.perf_counter()
        try:
            answer = self.request("POST", f"/threads/{thread_id}", {"body": text, "csrf_token": self.token})
        except (OSError, http.client.HTTPException):
            return "connection error", time.perf_counter() - started
        elapsed = time.perf_counter() - started
        location = answer.getheader("Location") or ""
        if answer.status == 302 and f"/threads/{thread_id}" in location:
            return "ack", elapsed
        return f"HTTP {answer.status}", elapsed


def run_client(client: Client, number: int, replies: int, thread_id: int, run: str, tally: Tally) -> None:
    for n in range(replies):
        text = f"Burst {run}: klient {number:02d}, svar {n:03d}."
        outcome, elapsed = client.reply(thread_id, text)
        with tally.lock:
            tally.sent += 1
        if outcome == "connection error":  # the worker died under the request: press the button again
            with tally.lock:
                tally.errors[outcome] += 1
                tally.retried += 1
            outcome, elapsed = client.reply(thread_id, text)
            if outcome == "ack":
                with tally.lock:
                    tally.acknowledged_on_retry += 1
        with tally.lock:
            if outcome == "ack":
                tally.acknowledged.append(text)
                tally.latencies.append(elapsed)
            else:
                tally.errors[outcome] += 1


# gunicorn ----------------------------------------------------------------------------------------

def start_gunicorn(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    from gunicorn.config import Config

    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--error-logfile", str(log), "--capture-output", "wsgi:app"]
    if "control_socket_disable" in Config().settings:  # newer gunicorns share one control socket path in $HOME
        command.insert(-1, "--no-control-socket")
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(600):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log}")
        time.sleep(0.1)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within a minute")


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's worker processes (its children), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                children.append(int(entry.name))
    return sorted(children)


def kill_a_worker_midway(master: int, tally: Tally, total: int, killed: list) -> None:
    """SIGKILL one worker once a third of the replies are sent (gunicorn starts a new one)."""
    while True:
        with tally.lock:
            if tally.sent >= total // 3:
                break
        time.sleep(0.05)
    victims = worker_pids(master)
    if victims:
        os.kill(victims[0], signal.SIGKILL)
        killed.append(victims[0])


# Counting --------------------------------------------------------------------------------------

def stored_texts(database_url: str, thread_id: int) -> Counter:
    """How often each reply text is stored in the thread."""
    from sqlalchemy import create_engine, text

    from network import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT body_source, count(*) FROM post WHERE thread_id = :id AND NOT opening "
                                       "GROUP BY body_source"), {"id": thread_id}).all()
    engine.dispose()
    return Counter(dict(rows))


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(tally: Tally, stored: Counter, log_text: str, elapsed: float, killed: list, settings: dict) -> dict:
    sent_texts = set(tally.acknowledged)
    ours = {text: n for text, n in stored.items() if text.startswith(f"Burst {settings['run']}:")}
    figures = {
        **settings,
        "killed_worker": killed[0] if killed else None,
        "sent": tally.sent,
        "acknowledged": len(tally.acknowledged),
        "acknowledged_on_retry": tally.acknowledged_on_retry,
        "retried": tally.retried,
        "errors": dict(tally.errors),
        "stored": len(ours),
        "stored_rows": sum(ours.values()),
        "duplicated": sum(1 for n in ours.values() if n > 1),
        "lost": len(sent_texts - ours.keys()),
        "stored_unacknowledged": len(ours.keys() - sent_texts),
        "database_is_locked": log_text.count("database is locked"),
        "tracebacks": log_text.count("Traceback"),
        "seconds": round(elapsed, 1),
        "replies_per_second": round(len(tally.acknowledged) / elapsed, 1) if elapsed else 0,
        "latency_ms": {name: round(percentile(tally.latencies, p) * 1000) for name, p in
                       (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))},
        "latency_mean_ms": round(statistics.fmean(tally.latencies) * 1000) if tally.latencies else None,
        "load_average_after": os.getloadavg(),
    }
    return figures


# The run ---------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="'sqlite' (a fresh file) or a postgresql:// URL "
                                                       "whose database name starts with 'burst'")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--replies", type=int, default=100, help="replies per client")
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL one gunicorn worker mid-burst")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--internal-prepare", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.internal_prepare is not None:
        prepare_members(options.internal_prepare)
        return 0

    instance = Path(tempfile.mkdtemp(prefix="burst-"))
    port = free_port()
    database_url = f"sqlite:///{instance / 'network.db'}" if options.db == "sqlite" else options.db
    if options.db != "sqlite":
        fresh_postgresql(database_url)
    env = {
        **os.environ, "NETWORK_INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
        "NETWORK_BASE_URL": f"http://127.0.0.1:{port}",
        "NETWORK_MAIL_DELIVER_AFTER_REQUEST": "false",  # as in production: the mail worker delivers
        # 50 members log in from one address within seconds: above the per-address limit meant for guessers.
        "NETWORK_LOGIN_LIMIT_PER_IP": "1000 per minute",
    }
    flask(env, "prepare")
    setup = json.loads(subprocess.run([sys.executable, __file__, "--internal-prepare", str(options.clients)], cwd=ROOT,
                                      env=env, capture_output=True, text=True, check=True).stdout)
    thread_id, run = setup["thread_id"], time.strftime("%H%M%S")
    log = instance / "gunicorn.log"
    server = start_gunicorn(env, port, options.workers, log)
    tally, killed = Tally(), []
    try:
        clients = [Client(port, email) for email in setup["emails"]]
        logins = [threading.Thread(target=client.log_in, args=(thread_id,)) for client in clients]
        for login in logins:  # together: one argon2 check per worker at a time would take minutes
            login.start()
        for login in logins:
            login.join()
        if not all(client.token for client in clients):
            sys.exit("Not every client could log in; see the traceback above.")
        threads = [threading.Thread(target=run_client, args=(client, n, options.replies, thread_id, run, tally))
                   for n, client in enumerate(clients)]
        if options.kill_worker:
            threads.append(threading.Thread(target=kill_a_worker_midway,
                                            args=(server.pid, tally, options.clients * options.replies, killed)))
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    database = "sqlite" if options.db == "sqlite" else "postgresql"
    settings = {"database": database, "workers": options.workers, "clients": options.clients,
                "replies_per_client": options.replies, "kill_worker": options.kill_worker, "run": run}
    figures = report(tally, stored_texts(database_url, thread_id), log.read_text(), elapsed, killed, settings)
    print(json.dumps(figures, indent=2))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"Instance folder (database, gunicorn.log): {instance}", file=sys.stderr)
    ok = figures["lost"] == 0 and figures["duplicated"] == 0 and figures["database_is_locked"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
