"""Moderation's hooks into the forum, connected to the forum's signals when this package is
imported: they run inside the forum's transaction, so a held post commits with its hold."""
from network.forum import signals
from network.forum.models import Post
from network.moderation.services import has_open_case, screen_edit, screen_new_post


@signals.post_created.connect
def hold_for_approval(post: Post, **_extra) -> None:
    """Participants' new posts in approval-required themes wait for a moderator."""
    screen_new_post(post)


@signals.edit_submitted.connect
def hold_edit_for_approval(post: Post, *, body: str, **_extra) -> bool:
    """Participants' edits of published posts in approval-required themes wait for a moderator."""
    return screen_edit(post, body)


@signals.post_removed.connect
def keep_text_for_open_case(post: Post, **_extra) -> bool:
    """A removed post keeps its text while a moderator has an open case on it."""
    return has_open_case(post)
