"""Account forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from network.auth.passwords import MAX_LENGTH, MIN_LENGTH, is_common
from network.forms import Form

LANGUAGE_CHOICES = [SelectChoice("sv", "Svenska", {"lang": "sv"}), SelectChoice("en", "English", {"lang": "en"})]


def strong_password(form, field) -> None:
    """At least 8 characters, at most 128, not on the common-password list."""
    value = field.data or ""
    if len(value) < MIN_LENGTH:
        raise ValidationError(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(value) > MAX_LENGTH:
        raise ValidationError(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    if is_common(value):
        raise ValidationError(_l("This password is too common. Choose one that is harder to guess."))


def email_field(label=None) -> EmailField:
    return EmailField(
        label or _l("Email"),
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email address."))],
        render_kw={"autocomplete": "email"},
    )


def new_password_fields():
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), strong_password],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least 8 characters. A few words in a row make a good password."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(Form):
    email = email_field()
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class InvitationAcceptForm(Form):
    name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    password, password_confirm = new_password_fields()
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="sv")


class PasswordResetRequestForm(Form):
    email = email_field()


class PasswordResetForm(Form):
    password, password_confirm = new_password_fields()


class AccountForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=120)], render_kw={"autocomplete": "name"}
    )
    email = email_field()
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    current_password = PasswordField(
        _l("Current password"), description=_l("Needed only when you change your email address."),
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password, password_confirm = new_password_fields()


class LanguageForm(Form):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
