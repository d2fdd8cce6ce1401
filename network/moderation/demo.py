"""Demo moderation: a few flags waiting in the queue, a locked thread, a hidden post and their log entries."""
import random

from sqlalchemy import select

from network.auth.models import Role
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, PostStatus, Theme
from network.moderation import services
from network.moderation.models import FlagReason

DEMO_THREAD = ("Sommarbemanning i hemtjänsten",
               "Hur planerar ni bemanningen över sommaren? Vi har svårt att få vikarier till juli.")
DEMO_REPLIES = [
    "Vi har gått ihop med två privata utförare om en gemensam vikariepool. Det har fungerat förvånansvärt bra.",
    "Kontakta gärna vår bemanningsansvarige direkt på 070-123 45 67, hon heter Lisa Berg och har personnummer "
    "19800101-1234 om ni behöver boka henne.",
    "Vårt anbud till kommunen ligger på 312 kr per timme, så vi kan nog inte matcha den andra utföraren.",
    "Testa att erbjuda sommarjobb till undersköterskestudenter redan i februari.",
]


def seed(rng: random.Random, data) -> None:
    """A discussion with posts reported for personal data and confidential prices, and a moderator's work."""
    participants = [u for u in data.users if u.role == Role.PARTICIPANT]
    leaders = [u for u in data.users if u.role == Role.COURSE_LEADER]
    admins = [u for u in data.users if u.role == Role.ADMIN]
    theme = db.session.scalar(select(Theme).where(Theme.archived_at.is_(None)).order_by(Theme.position).limit(1))
    if len(participants) < 6 or not leaders or theme is None:
        return
    author, *others = rng.sample(participants[:50], 6)
    thread = forum.create_thread(author, theme, *DEMO_THREAD)
    posts = [forum.create_reply(others[i], thread, body) for i, body in enumerate(DEMO_REPLIES)]
    personal, confidential = posts[1], posts[2]
    for member in (others[0], others[2], author):
        services.flag_post(member, personal, FlagReason.PERSONAL_DATA)
    services.flag_post(others[3], confidential, FlagReason.CONFIDENTIAL)
    services.flag_post(others[0], confidential, FlagReason.OTHER, "Priser ur ett pågående anbud bör inte delas här.")
    moderator = leaders[0]
    services.note_author(moderator, confidential, "Tänk på att anbudspriser är affärshemligheter. "
                                                  "Jag har inte dolt inlägget än, men redigera gärna bort priset.")
    older = db.session.scalar(select(Post).where(Post.opening, Post.thread_id != thread.id,
                                                 Post.status == PostStatus.VISIBLE).limit(1))
    if older is not None and admins:
        services.set_pinned(admins[0], older.thread, True, "Bra diskussion för nya deltagare")
