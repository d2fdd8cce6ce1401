"""Translated labels for the domain's fixed values, shared by forms and templates."""
from enum import Enum

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from network.auth.models import Role, UserStatus
from network.people.models import Area, Visibility
from network.journal.models import ProgrammeAim, PromptTiming
from network.programme.models import EventKind, MembershipRole, OrganisationKind

LABELS: dict[Enum, object] = {
    Role.PARTICIPANT: _l("participant"),
    Role.COURSE_LEADER: _l("course leader"),
    Role.ADMIN: _l("administrator"),
    UserStatus.ACTIVE: _l("active"),
    UserStatus.SUSPENDED: _l("suspended"),
    OrganisationKind.MUNICIPALITY: _l("municipality"),
    OrganisationKind.PROVIDER: _l("welfare-service provider"),
    OrganisationKind.PARTNER: _l("partner"),
    MembershipRole.PARTICIPANT: _l("participant"),
    MembershipRole.COURSE_LEADER: _l("course leader"),
    EventKind.CONFERENCE: _l("two-day conference"),
    EventKind.STUDY_TRIP: _l("study trip"),
    Area.ELDERLY_CARE: _l("elderly care"),
    Area.DISABILITY_SUPPORT: _l("disability support"),
    Area.INDIVIDUAL_FAMILY_CARE: _l("individual and family care"),
    Area.PRESCHOOL: _l("preschool"),
    Area.COMPULSORY_SCHOOL: _l("compulsory school"),
    Area.UPPER_SECONDARY_SCHOOL: _l("upper secondary school"),
    Area.LABOUR_MARKET: _l("labour market and integration"),
    Area.CULTURE_LEISURE: _l("culture and leisure"),
    Area.URBAN_PLANNING: _l("urban planning and building"),
    Area.WATER_WASTE: _l("water and waste"),
    Area.ENVIRONMENT: _l("environment"),
    Area.HR: _l("HR"),
    Area.FINANCE: _l("finance"),
    Area.IT_DIGITALISATION: _l("IT and digitalisation"),
    Area.COMMUNICATION: _l("communication"),
    Area.OTHER: _l("other"),
    Visibility.PRIVATE: _l("only me"),
    Visibility.COHORT: _l("my cohorts"),
    Visibility.NETWORK: _l("the whole network"),
    PromptTiming.BEFORE: _l("before the event"),
    PromptTiming.AFTER: _l("after the event"),
    ProgrammeAim.CUSTOMER_ORIENTATION: _l("increase customer orientation"),
    ProgrammeAim.INTERPLAY: _l("increase interplay between internal and external actors"),
    ProgrammeAim.NEW_SITUATIONS: _l("use new situations and challenges to develop the organisation"),
    ProgrammeAim.HABITUAL_THINKING: _l("break habitual thought patterns"),
    ProgrammeAim.NEW_WAYS_OF_WORKING: _l("find new ways of working"),
    ProgrammeAim.MANAGER_NETWORK: _l("create a manager network"),
    ProgrammeAim.REFLECTION: _l("make room for reflection"),
}


def label(value: Enum) -> str:
    """The translated word for an enum value (its raw value when none is defined)."""
    return str(LABELS.get(value, getattr(value, "value", value)))


def choices(enum_cls: type[Enum]) -> list[SelectChoice]:
    """Select-field choices for an enum, labels with the first letter capitalised."""
    return [SelectChoice(member.value, _Capitalised(LABELS[member])) for member in enum_cls]


class _Capitalised:
    """A lazily translated label shown with an initial capital (for form options)."""

    def __init__(self, text):
        self.text = text

    def __str__(self) -> str:
        value = str(self.text)
        return value[:1].upper() + value[1:]

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))
