"""`flask create-user` and `flask invite`."""
import sys

import click
from flask.cli import with_appcontext

from network.auth import services
from network.auth.models import Role
from network.auth.passwords import MAX_LENGTH, MIN_LENGTH, is_common
from network.extensions import db
from network.programme import services as programme

ROLE_NAMES = {"participant": Role.PARTICIPANT, "course-leader": Role.COURSE_LEADER, "admin": Role.ADMIN}


def _lookup(organisation_name: str, cohort_name: str | None):
    organisation = programme.organisation_by_name(organisation_name)
    if organisation is None:
        raise click.ClickException(f"No organisation is named {organisation_name!r}.")
    cohort = None
    if cohort_name:
        cohort = programme.cohort_by_name(cohort_name)
        if cohort is None:
            raise click.ClickException(f"No cohort is named {cohort_name!r}.")
    return organisation, cohort


def _read_password() -> str:
    """Ask twice at a prompt, or read two lines (or one) from piped standard input."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        lines = sys.stdin.read().splitlines()
        if not lines:
            raise click.ClickException("No password was given on standard input.")
        password = lines[0]
        if len(lines) > 1 and lines[1] and lines[1] != password:
            raise click.ClickException("The two passwords do not match.")
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise click.ClickException(f"The password must have {MIN_LENGTH} to {MAX_LENGTH} characters.")
    if is_common(password):
        raise click.ClickException("This password is too common.")
    return password


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(list(ROLE_NAMES)), default="participant", show_default=True)
@click.option("--organisation", "organisation_name", required=True, help="The organisation's exact name.")
@click.option("--cohort", "cohort_name", default=None, help="The cohort's exact name.")
@with_appcontext
def create_user_command(email, name, role, organisation_name, cohort_name):
    """Create an account directly (the password is asked for, or read from standard input)."""
    organisation, cohort = _lookup(organisation_name, cohort_name)
    if services.email_taken(email):
        raise click.ClickException(f"An account with the email {email!r} exists already.")
    password = _read_password()
    user = services.create_user(
        email=email, name=name, password=password, role=ROLE_NAMES[role],
        organisation=organisation, cohort=cohort,
    )
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@click.command("invite")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(list(ROLE_NAMES)), default="participant", show_default=True)
@click.option("--organisation", "organisation_name", required=True)
@click.option("--cohort", "cohort_name", default=None)
@click.option("--language", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@with_appcontext
def invite_command(email, role, organisation_name, cohort_name, language):
    """Send an invitation by mail and print its link."""
    organisation, cohort = _lookup(organisation_name, cohort_name)
    if services.email_taken(email):
        raise click.ClickException(f"An account with the email {email!r} exists already.")
    invitation, token = services.create_invitation(
        inviter=None, email=email, role=ROLE_NAMES[role], organisation=organisation, cohort=cohort
    )
    services.send_invitation(invitation, token, language)
    db.session.commit()  # the mail leaves after this commit
    link = services.invitation_link(token)
    click.echo(f"Invitation sent to {invitation.email}: {link}")
