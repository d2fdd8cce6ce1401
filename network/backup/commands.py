"""`flask backup PATH` and `flask restore PATH`: the database copied with a manifest, and restored with checks."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from network.backup import services


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Copy the database into PATH (a new or empty directory) with a manifest; safe while the app runs.

    The journal key is not copied: back it up separately.
    """
    try:
        manifest = services.back_up(path)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up the {manifest.database} database into {path / manifest.file}: {manifest.rows} rows in "
               f"{len(manifest.tables)} tables, migration {manifest.revision}, SHA-256 {manifest.sha256[:16]}…")
    click.echo(f"Manifest: {path / services.MANIFEST}")
    keys = ", ".join(manifest.journal_key_ids) or "none yet"
    click.echo(f"The journal key is NOT in this backup. It lives in {services.journal_key_location()} "
               f"(keys the entries need: {keys}). A backup without that key cannot open the journal entries: "
               "back the key up separately, and keep it apart from the database copies.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path):
    """Restore the backup in PATH into the configured database, which must be empty; then check it."""
    try:
        restored = services.restore(path)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = restored.manifest
    checks = "SQLite integrity check ok, " if manifest.database == "sqlite" else ""
    click.echo(f"Restored {manifest.rows} rows in {len(manifest.tables)} tables from the backup of "
               f"{manifest.created_at}: {checks}every table's rows match the manifest.")
    if restored.upgrade_to:
        click.echo(f"The backup is at migration {manifest.revision}, older than this code: run `flask db upgrade` "
                   f"(to {restored.upgrade_to}) before starting the app.")
    if manifest.journal_key_ids:
        click.echo(f"Journal entries need the key(s) {', '.join(manifest.journal_key_ids)}: restore the key file to "
                   f"{services.journal_key_location()} (or set NETWORK_JOURNAL_KEY) before starting the app.")
