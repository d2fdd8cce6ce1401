"""`flask journal rotate-key`: re-encrypt every entry under a new key, safely if interrupted.

Procedure (key file): a new key is appended to instance/journal.key, so old and new keys are
both readable; running processes notice the changed file and encrypt new writes under the new
key. Entries are re-encrypted in committed batches. Only when no entry is left under an old
key is the file rewritten to hold the new key alone. If the command stops half-way, nothing is
lost: run it again and it continues with yet another fresh key, keeping every older key until
the last entry has moved. With JOURNAL_KEY from configuration, put the new key last in the
list (``old,new``), restart, run the command, then remove the old key from the configuration.
"""
from pathlib import Path

import click
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask.cli import AppGroup

from network.extensions import db
from network.journal import services
from network.journal.keys import EXTENSION, KEY_FILE, decode_keys, keyring, write_key_file

journal_cli = AppGroup("journal", help="The reflection journal's key management.")


@journal_cli.command("create-key")
def create_key_command():
    """Create the journal key file now, when no key is configured or stored yet (then back it up)."""
    existed = current_app.extensions[EXTENSION] is not None
    ring = keyring()
    if ring.path is None:
        click.echo(f"The journal key comes from NETWORK_JOURNAL_KEY (key {ring.current}); no file written.")
    else:
        click.echo(f"{'Journal key file present' if existed else 'Journal key created'}: {ring.path} (key {ring.current}). "
                   "Back it up separately from the database.")


@journal_cli.command("rotate-key")
@click.option("--batch-size", default=200, show_default=True, help="Entries re-encrypted per transaction.")
def rotate_key_command(batch_size: int):
    """Re-encrypt every journal entry under a new key and retire the old ones."""
    ring = keyring()
    path = Path(current_app.instance_path) / KEY_FILE
    if ring.path is not None:
        keys = decode_keys(path.read_text()) + [AESGCM.generate_key(bit_length=256)]
        write_key_file(path, keys)
        ring.refresh()
        click.echo(f"New key {ring.current} added; the old keys stay until every entry has moved.")
    moved, failed = reencrypt_all(batch_size)
    click.echo(f"{moved} entries re-encrypted under key {ring.current}.")
    if failed:
        raise click.ClickException(
            f"{len(failed)} entries could not be decrypted (ids {', '.join(map(str, failed[:20]))}); "
            "the old keys are kept. Investigate these entries, then run the command again."
        )
    if ring.path is not None and services.entries_not_under(ring.current) == 0:
        write_key_file(path, [ring.keys[ring.current]])
        ring.refresh()
        click.echo("Old keys removed from the key file.")


def reencrypt_all(batch_size: int, passes: int = 3) -> tuple[int, list[int]]:
    """Move entries to the current key in committed batches; (moved, ids that failed).

    An entry its author saves during a pass is skipped rather than overwritten; the next pass
    moves it if it is still under an old key.
    """
    moved, failed = 0, set()
    for _ in range(passes):
        done, bad = reencrypt_pass(batch_size)
        moved, failed = moved + done, failed | bad
        if services.entries_not_under(keyring().current) <= len(failed):
            break
    return moved, sorted(failed)


def reencrypt_pass(batch_size: int) -> tuple[int, set[int]]:
    """One pass over the entries not under the current key; (moved, ids that failed)."""
    moved, failed, after_id = 0, set(), 0
    while True:
        done, bad, last_id = services.reencrypt_batch(after_id, batch_size)
        db.session.commit()
        if last_id is None:
            return moved, failed
        moved, failed, after_id = moved + len(done), failed | set(bad), last_id
