"""What the people feature holds about a member: the profile (with areas and keywords) and the picture."""
from collections.abc import Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from network.auth.export import markdown_record, markdown_title
from network.auth.models import User
from network.people import services
from network.personal_data import Part, register

AVATAR_FILE = "avatar.jpg"


def profile(user: User) -> Iterator[dict]:
    """The saved profile, as the member wrote it (the stored HTML is only derived from ``bio``)."""
    saved = user.profile
    if saved is None:
        return
    yield {"title": saved.title, "phone": saved.phone, "email_visibility": saved.email_visibility,
           "phone_visibility": saved.phone_visibility, "in_directory": saved.in_directory,
           "languages": saved.languages, "link": saved.link, "bio": saved.bio_source,
           "areas": saved.area_values, "keywords": saved.keyword_values,
           "updated_at": saved.updated_at, "last_active_at": saved.last_active_at}


def profile_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("profile"))
    for row in profile(user):
        yield markdown_record(user.name, [
            (_("title"), row["title"]), (_("phone"), row["phone"]),
            (_("who sees your email address"), row["email_visibility"]),
            (_("who sees your phone number"), row["phone_visibility"]),
            (_("listed in the directory"), row["in_directory"]), (_("languages"), row["languages"]),
            (_("link"), row["link"]), (_("areas of responsibility"), row["areas"]),
            (_("keywords"), row["keywords"]), (_("last active"), row["last_active_at"]),
        ], text=row["bio"])


def avatar(user: User) -> Iterator[dict]:
    """Whether there is a picture, and where in the archive."""
    picture = services.avatar_of(user.id)
    if picture is not None:
        yield {"file": f"files/{AVATAR_FILE}", "updated_at": picture.updated_at}


def avatar_file(user: User) -> Iterator[tuple[str, bytes]]:
    picture = services.avatar_of(user.id)
    if picture is not None:
        yield AVATAR_FILE, picture.image


register(Part("profile", ("profile", "profile_area", "profile_keyword"), profile, profile_readable,
              title=_l("profile")))
register(Part("avatar", ("avatar",), avatar, files=avatar_file, title=_l("profile picture")))
