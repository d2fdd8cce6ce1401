"""`flask privacy purge`: the retention routine, meant to run from cron once a day."""
import click
from flask import current_app
from flask.cli import AppGroup

from network.extensions import db
from network.privacy import services
from network.timeutil import utcnow

privacy_cli = AppGroup("privacy", help="Personal data: the retention purge.")


@privacy_cli.command("purge")
@click.option("--inactive-days", type=click.IntRange(min=1), default=None,
              help="Days without activity before the warning (default: PRIVACY_INACTIVE_DAYS, 730).")
@click.option("--grace-days", type=click.IntRange(min=0), default=None,
              help="Days from the warning to the erasure (default: PRIVACY_GRACE_DAYS, 30).")
@click.option("--dry-run", is_flag=True, help="List who would be warned and who erased; change nothing.")
def purge_command(inactive_days: int | None, grace_days: int | None, dry_run: bool):
    """Warn members inactive for long by mail; erase those warned a grace period ago and inactive since.

    Their posts stay, shown as written by a former member. Administrators are never purged.
    """
    config = current_app.config
    inactive_days = inactive_days or int(config["PRIVACY_INACTIVE_DAYS"])
    grace_days = int(config["PRIVACY_GRACE_DAYS"]) if grace_days is None else grace_days
    now = utcnow()
    plan = services.purge_plan(now, inactive_days, grace_days)
    for verb, users in (("warn", plan.to_warn), ("erase", plan.to_erase)):
        for user in users:  # ids only: the output ends up in cron mail and logs
            click.echo(f"{'would ' if dry_run else ''}{verb}: account {user.id}")
    if dry_run:
        db.session.rollback()
    else:
        services.carry_out(plan, now, grace_days)
        db.session.commit()
        services.scrub_storage(all_indexes=True)  # also the words of posts deleted since yesterday
        services.vacuum()
    click.echo(f"{'Would warn' if dry_run else 'Warned'} {len(plan.to_warn)}, "
               f"{'would erase' if dry_run else 'erased'} {len(plan.to_erase)}.")
