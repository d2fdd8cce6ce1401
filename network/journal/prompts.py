"""The default reflection prompts shipped with the journal, in Swedish and English (via the catalogs)."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from network.journal.models import ProgrammeAim, PromptTiming
from network.programme.models import EventKind


@dataclass(frozen=True)
class DefaultPrompt:
    key: str
    text: object  # a lazy string, translated when shown
    aim: ProgrammeAim | None = None
    kind: EventKind | None = None
    timing: PromptTiming | None = None


AIM_PROMPTS = (
    DefaultPrompt("aim-customers", _l("Think of a resident your organisation met this week. What did they need, and what did they get?"), ProgrammeAim.CUSTOMER_ORIENTATION),
    DefaultPrompt("aim-interplay", _l("Which actor outside your own organisation did you depend on recently? How could you work better together?"), ProgrammeAim.INTERPLAY),
    DefaultPrompt("aim-new-situations", _l("Describe a new situation or challenge at work. How could it help your organisation develop?"), ProgrammeAim.NEW_SITUATIONS),
    DefaultPrompt("aim-habits", _l("Which habit of thought did you notice in yourself or your team? What would happen if you broke it?"), ProgrammeAim.HABITUAL_THINKING),
    DefaultPrompt("aim-ways-of-working", _l("What is one thing you would like to do in a new way? What is the first small step?"), ProgrammeAim.NEW_WAYS_OF_WORKING),
    DefaultPrompt("aim-network", _l("Which manager in the network could you ask for advice right now, and about what?"), ProgrammeAim.MANAGER_NETWORK),
    DefaultPrompt("aim-reflection", _l("What has occupied your thoughts as a manager lately? What do you want to remember from it?"), ProgrammeAim.REFLECTION),
)

EVENT_PROMPTS = (
    DefaultPrompt("conference-before", _l("Before the conference: what do you hope to take home, and which question do you bring?"), ProgrammeAim.REFLECTION, EventKind.CONFERENCE, PromptTiming.BEFORE),
    DefaultPrompt("conference-after", _l("After the conference: what surprised you, and what will you try at work in the coming weeks?"), ProgrammeAim.REFLECTION, EventKind.CONFERENCE, PromptTiming.AFTER),
    DefaultPrompt("trip-before", _l("Before the study trip: what do you expect to see, and which of your assumptions could be challenged?"), ProgrammeAim.HABITUAL_THINKING, EventKind.STUDY_TRIP, PromptTiming.BEFORE),
    DefaultPrompt("trip-after", _l("After the study trip: what did you see that shifted your perspective on your own organisation?"), ProgrammeAim.HABITUAL_THINKING, EventKind.STUDY_TRIP, PromptTiming.AFTER),
)

DEFAULT_PROMPTS = {prompt.key: prompt for prompt in AIM_PROMPTS + EVENT_PROMPTS}
