"""`flask two-factor reset EMAIL`: the way back in when no administrator can reset a member's second
factor on the site (the last administrator lost their phone and their recovery codes)."""
import click
from flask.cli import AppGroup

from network.auth import services as accounts
from network.extensions import db
from network.twofactor import services as twofactor

twofactor_cli = AppGroup("two-factor", help="Two-factor log-in.")


@twofactor_cli.command("reset")
@click.argument("email")
@click.option("--reason", required=True, help="Why, for the moderation log.")
def reset_command(email: str, reason: str):
    """Remove a member's second factor: logged (by no one: the command line), sessions ended, member mailed."""
    member = accounts.user_by_email(email)
    if member is None or not twofactor.reset_by_admin(None, member, reason):
        raise click.ClickException("No member with this email address has two-factor log-in.")
    db.session.commit()
    click.echo(f"Two-factor log-in of user {member.id} is reset; they were logged out and told by email.")
