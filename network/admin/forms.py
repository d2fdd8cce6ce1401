"""Administration forms: validation only; choices are filled in by the views."""
from datetime import datetime

from flask_babel import format_date, lazy_gettext as _l
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from network.auth.forms import LANGUAGE_CHOICES
from network.auth.models import Role, UserStatus
from network.forms import Form
from network.labels import choices
from network.programme.models import DEFAULT_END, DEFAULT_START, EventKind, MembershipRole, OrganisationKind
from network.timeutil import stockholm_time

ORGANISATION_KINDS = choices(OrganisationKind)
ROLES = choices(Role)
MEMBERSHIP_ROLES = choices(MembershipRole)
EVENT_KINDS = choices(EventKind)
COHORT_EVENT_CHOICES = [c for c in EVENT_KINDS if not EventKind(c.value).is_network_wide]
NETWORK_EVENT_CHOICES = [c for c in EVENT_KINDS if EventKind(c.value).is_network_wide]
STATUSES = choices(UserStatus)


def ends_after_start(form, field) -> None:
    """The end date may not lie before the start date."""
    if field.data and form.starts_on.data and field.data < form.starts_on.data:
        raise ValidationError(_l("The end date must be on or after the start date."))


class OrganisationForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=ORGANISATION_KINDS)
    municipality = StringField(
        _l("Municipality"), validators=[DataRequired(), Length(max=100)],
        description=_l("Where the organisation works, e.g. Upplands Väsby."),
    )


class CohortForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=120)],
        description=_l('For example "Växthuset 2013".'),
    )
    starts_on = DateField(_l("Start date"), validators=[DataRequired()])
    ends_on = DateField(_l("End date"), validators=[DataRequired(), ends_after_start])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class EventForm(Form):
    """A cohort's conference or study trip, or a network-wide event (``cohort`` None): times in
    Stockholm, a cohort's events within the cohort's dates."""

    kind = SelectField(_l("Kind"), choices=COHORT_EVENT_CHOICES)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Start date"), validators=[DataRequired()])
    start_time = TimeField(_l("Start time"), validators=[Optional()], default=DEFAULT_START,
                           description=_l("Swedish time (Europe/Stockholm)."))
    ends_on = DateField(_l("End date"), validators=[DataRequired(), ends_after_start])
    end_time = TimeField(_l("End time"), validators=[Optional()], default=DEFAULT_END,
                         description=_l("Swedish time (Europe/Stockholm)."))
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)],
                        description=_l("For example a conference hotel and its town."))
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)],
                                description=_l("Programme, travel and what to bring. Markdown is allowed."))

    def __init__(self, *args, cohort=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.kind.choices = COHORT_EVENT_CHOICES if cohort is not None else NETWORK_EVENT_CHOICES

    @property
    def starts_at(self) -> datetime:
        return stockholm_time(self.starts_on.data, self.start_time.data or DEFAULT_START)

    @property
    def ends_at(self) -> datetime:
        return stockholm_time(self.ends_on.data, self.end_time.data or DEFAULT_END)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.ends_at <= self.starts_at:
            self.end_time.errors.append(_l("The event must end after it starts."))
            return False
        cohort = self.cohort
        if cohort is not None and (self.starts_on.data < cohort.starts_on or self.ends_on.data > cohort.ends_on):
            self.ends_on.errors.append(_l("A cohort's event takes place within the cohort's dates, %(start)s – %(end)s.",
                                          start=format_date(cohort.starts_on), end=format_date(cohort.ends_on)))
            return False
        return True


class MemberForm(Form):
    email = EmailField(
        _l("Member's email"), validators=[DataRequired(), Email(message=_l("Enter a valid email address.")), Length(max=254)]
    )
    role = SelectField(_l("Role in the cohort"), choices=MEMBERSHIP_ROLES)


class UserForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLES)
    organisation_id = SelectField(_l("Organisation"), coerce=int, choices=[])
    status = SelectField(_l("Status"), choices=STATUSES)


class InvitationForm(Form):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(message=_l("Enter a valid email address.")), Length(max=254)]
    )
    role = SelectField(_l("Role"), choices=ROLES)
    organisation_id = SelectField(_l("Organisation"), coerce=int, choices=[])
    cohort_id = SelectField(_l("Cohort"), coerce=int, choices=[])
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)
