"""`flask notify send-digests`: notification emails, meant to run from cron every few minutes."""
import click
from flask.cli import with_appcontext

from network.extensions import db
from network.notifications.digests import send_notification_emails
from network.notifications.models import EmailFrequency
from network.timeutil import utcnow


@click.group("notify")
def notify_group():
    """Notification emails."""


@notify_group.command("send-digests")
@with_appcontext
def send_digests_command():
    """Send immediate notices and the daily and weekly digests that are due."""
    sent = send_notification_emails(tuple(EmailFrequency), utcnow())
    db.session.commit()  # the mails leave after this commit
    click.echo(f"Sent {sent} email(s).")
