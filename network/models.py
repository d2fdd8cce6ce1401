"""Every feature's models in one import, for Alembic and the test suite."""
from network.auth.models import Invitation, PasswordResetToken, User  # noqa: F401
from network.programme.models import (  # noqa: F401
    Cohort,
    CohortMembership,
    Organisation,
    ProgrammeEvent,
)
from network.people.models import Avatar, Profile, ProfileArea, ProfileKeyword  # noqa: F401
from network.forum.models import (  # noqa: F401
    Post,
    PostRevision,
    ReadState,
    Theme,
    ThemeWatch,
    Thread,
    ThreadWatch,
)
from network.journal.models import JournalEntry, JournalFilter, JournalPrompt  # noqa: F401
from network.moderation.models import Flag, ModerationAction  # noqa: F401
from network.notifications.models import EmailPreference, Notification  # noqa: F401
from network.mail import OutboxMessage  # noqa: F401
from network.events.models import CalendarToken, EventReminder, Rsvp  # noqa: F401
from network.messages.models import (  # noqa: F401
    Conversation,
    ConversationReadState,
    MessageBlock,
    MessageReport,
    MessageSetting,
    PrivateMessage,
)
from network.twofactor.models import RecoveryCode, SecondFactor  # noqa: F401
