"""`flask events remind`: event reminders that are due, meant to run from cron (e.g. hourly)."""
import click
from flask.cli import with_appcontext

from network.events.reminders import send_reminders
from network.extensions import db
from network.timeutil import utcnow


@click.group("events")
def events_cli():
    """Programme events."""


@events_cli.command("remind")
@with_appcontext
def remind_command():
    """Remind members who said yes the day before, and course leaders of the answers a week and a day before."""
    sent = send_reminders(utcnow())
    db.session.commit()  # immediate emails are queued in this commit, digests wait for `notify send-digests`
    click.echo(f"Sent {sent} reminder(s).")
