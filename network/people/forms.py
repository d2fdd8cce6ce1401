"""Profile forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import URLField
from wtforms.validators import Length, Optional, Regexp, URL, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from network.forms import Form
from network.labels import choices
from network.people.models import Area, Visibility
from network.people.services import MAX_QUERY_LENGTH, parse_keywords
from network.programme.models import OrganisationKind

VISIBILITIES = choices(Visibility)
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 40


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def valid_keywords(form, field) -> None:
    """At most 20 keywords of at most 40 characters each."""
    keywords = parse_keywords(field.data)
    if len(keywords) > MAX_KEYWORDS:
        raise ValidationError(_l("Use at most %(n)d keywords.", n=MAX_KEYWORDS))
    if any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        raise ValidationError(_l("Each keyword may be at most %(n)d characters long.", n=MAX_KEYWORD_LENGTH))


class ProfileForm(Form):
    # Field names are kept stable for integrations: title, phone, email_visibility,
    # phone_visibility, in_directory.
    title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)],
                        description=_l('For example "Head of elderly care".'), render_kw={"autocomplete": "organization-title"})
    areas = CheckboxesField(_l("Areas of responsibility"), choices=choices(Area), validate_choice=True)
    keywords = StringField(
        _l("Expertise keywords"), validators=[Optional(), Length(max=1000), valid_keywords],
        description=_l("Separate with commas, e.g. digital welfare, recruitment, quality follow-up."),
    )
    languages = StringField(_l("Languages I speak"), validators=[Optional(), Length(max=200)],
                            description=_l("For example: Swedish, English, Arabic."))
    bio = TextAreaField(_l("About me"), validators=[Optional(), Length(max=5000)],
                        description=_l("Markdown formatting works: *italics*, **bold**, lists and links."))
    link = URLField(_l("Link"), validators=[Optional(), Length(max=300), URL(require_tld=True, message=_l("Enter a full web address starting with https://.")),
                                           Regexp(r"^https?://", message=_l("Enter a full web address starting with https://."))],
                    description=_l("For example your LinkedIn profile."))
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), Regexp(r"^[0-9+()\- ]*$", message=_l("Use digits, spaces and + - ( ) only."))],
                        render_kw={"autocomplete": "tel", "type": "tel"})
    phone_visibility = SelectField(_l("Who sees my phone number"), choices=VISIBILITIES)
    email_visibility = SelectField(_l("Who sees my email address"), choices=VISIBILITIES)
    in_directory = BooleanField(
        _l("List me in the alumni directory"),
        description=_l("When you say no, you are not listed or found in the directory; your posts still show your name."),
    )


class AvatarForm(Form):
    avatar = FileField(_l("Profile picture"), validators=[FileRequired(_l("Choose a picture to upload."))],
                       description=_l("JPEG, PNG or WebP, at most 5 MB. It is cropped to a square."),
                       render_kw={"accept": "image/jpeg,image/png,image/webp"})
    has_file = True


ALL = SelectChoice("", _l("All"))


def directory_filter(label, choices=(), everything: bool = True) -> SelectField:
    """A directory filter: one value from a menu, "All" (empty) first when offered."""
    return SelectField(label, choices=[ALL, *choices] if everything else list(choices), validators=[Optional()])


class DirectoryForm(Form):
    """The directory's search, filters and order as they appear in the URL.

    A value that matches nothing is an error on its field; the view drops it and names it.
    The organisation, municipality and cohort menus are filled in by the view.
    """

    class Meta:
        csrf = False  # a GET form: nothing changes

    q = StringField(_l("Search people"), filters=[lambda text: (text or "")[:MAX_QUERY_LENGTH]],
                    description=_l("Searches names, job titles, organisations, areas, keywords and presentations."))
    organisation = directory_filter(_l("Organisation"))
    kind = directory_filter(_l("Kind of organisation"), choices(OrganisationKind))
    municipality = directory_filter(_l("Municipality"))
    area = directory_filter(_l("Area of responsibility"), choices(Area))
    cohort = directory_filter(_l("Cohort"))
    status = directory_filter(_l("Status"), [SelectChoice("participant", _l("Participant")),
                                             SelectChoice("alumnus", _l("Alumnus")),
                                             SelectChoice("course_leader", _l("Course leader"))])
    sort = directory_filter(_l("Sort by"), [SelectChoice("relevance", _l("Relevance")), SelectChoice("name", _l("Name")),
                                            SelectChoice("active", _l("Recently active"))], everything=False)

    def offer(self, options) -> None:
        """Fill the menus whose values come from the database (a services.DirectoryOptions)."""
        self.organisation.choices = [ALL, *(SelectChoice(str(o.id), o.name) for o in options.organisations)]
        self.municipality.choices = [ALL, *(SelectChoice(m, m) for m in options.municipalities)]
        self.cohort.choices = [ALL, *(SelectChoice(str(c.id), c.name) for c in options.cohorts)]

    def filters(self) -> list:
        """The menus, in the order the page shows them."""
        return [self.organisation, self.kind, self.municipality, self.area, self.cohort, self.status, self.sort]
