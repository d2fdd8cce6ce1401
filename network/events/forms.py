"""Event forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.validators import InputRequired

from network.events.models import RsvpResponse
from network.forms import Form
from network.labels import choices


class RsvpForm(Form):
    response = RadioField(_l("Are you coming?"), choices=choices(RsvpResponse),
                          validators=[InputRequired(message=_l("Choose an answer."))])

