"""What the forum tells other features, as Flask does it: blinker signals.

Each signal is sent with the post as sender, inside the transaction of the change, so a
receiver's writes commit or roll back with it. Receivers connect when their feature is
imported (moderation: ``network.moderation.receivers``); the forum imports none of them.

Two signals ask a question as well: the forum reads their receivers' return values.
"""
from blinker import Namespace

forum_signals = Namespace()

post_created = forum_signals.signal("post-created", doc="""A new post (opening or reply) is stored.

Receivers may hold it (``set_post_status(post, PostStatus.PENDING)``); the forum counts it
only if it is still visible afterwards.
""")

edit_submitted = forum_signals.signal("edit-submitted", doc="""An author submits a new text (``body``) for their post.

A receiver returns True to hold the edit (it keeps it on the post as a pending edit); the
text goes live at once when no receiver holds it.
""")

post_edited = forum_signals.signal("post-edited", doc="""A post's text changed (``editor``: who changed it).""")

post_removed = forum_signals.signal("post-removed", doc="""An author removed their post; its tombstone stays.

A receiver returns True to keep the text for now (a moderator's open case on the post); it
is erased at once when no receiver keeps it.
""")


def answered(results: list[tuple]) -> bool:
    """Whether any receiver of a question signal answered yes (``signal.send`` results)."""
    return any(bool(value) for _receiver, value in results)
