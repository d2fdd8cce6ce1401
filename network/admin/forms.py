"""Administration forms: validation only; choices are filled in by the views."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from network.auth.forms import LANGUAGE_CHOICES
from network.auth.models import Role, UserStatus
from network.forms import Form
from network.labels import choices
from network.programme.models import EventKind, MembershipRole, OrganisationKind

ORGANISATION_KINDS = choices(OrganisationKind)
ROLES = choices(Role)
MEMBERSHIP_ROLES = choices(MembershipRole)
EVENT_KINDS = choices(EventKind)
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
    kind = SelectField(_l("Kind"), choices=EVENT_KINDS)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Start date"), validators=[DataRequired()])
    ends_on = DateField(_l("End date"), validators=[DataRequired(), ends_after_start])


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
