"""Profiles, the directory's search and filters, counterparts and contact cards. Flush, never commit."""
import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Select, and_, exists, func, not_, select, update
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload

from network.auth.models import Role, User, UserStatus
from network.extensions import db
from network.people import search as people_search
from network.people.models import Area, Avatar, Profile, ProfileArea, ProfileKeyword, Visibility
from network.programme.models import Cohort, CohortMembership, MembershipRole, Organisation, OrganisationKind
from network.text import render_markdown
from network.timeutil import utcnow

MAX_QUERY_LENGTH = 200  # characters of search text kept
DIRECTORY_RESULT_CAP = 1000  # matches shown at most; beyond it the count reads "more than 1,000"
DIRECTORY_MAX_CANDIDATES = 20_000  # the engine's limit when filters narrow the matches further
COUNTERPARTS_SHOWN = 6


# Profiles ----------------------------------------------------------------------

def blank_profile() -> Profile:
    """An unsaved profile with the defaults, for members who have not saved one yet."""
    return Profile(
        title="", phone="", email_visibility=Visibility.COHORT, phone_visibility=Visibility.COHORT,
        in_directory=False, languages="", link="", bio_source="", bio_html="", areas=[], keywords=[],
    )


def profile_of(user: User) -> Profile:
    """The member's saved profile, or an unsaved blank one (never added to the session)."""
    return user.profile if user.profile is not None else blank_profile()


def parse_keywords(raw: str) -> list[str]:
    """Comma-separated keywords, trimmed, in lower case, without repeats, in the order given."""
    seen: dict[str, None] = {}
    for part in (raw or "").split(","):
        keyword = " ".join(part.split()).lower()
        if keyword:
            seen.setdefault(keyword, None)
    return list(seen)


def save_profile(user: User, *, title: str, phone: str, email_visibility: Visibility,
                 phone_visibility: Visibility, in_directory: bool, languages: str, link: str,
                 bio: str, areas: list[Area], keywords: list[str]) -> Profile:
    """Store the member's profile (sanitising the bio once); the database keeps the search index in step."""
    profile = user.profile
    if profile is None:
        profile = blank_profile()
        profile.user = user
        db.session.add(profile)
    profile.title, profile.phone, profile.languages, profile.link = title.strip(), phone.strip(), languages.strip(), link.strip()
    profile.email_visibility, profile.phone_visibility = email_visibility, phone_visibility
    profile.in_directory = in_directory
    profile.bio_source, profile.bio_html = bio, render_markdown(bio)
    _replace_children(profile.areas, [ProfileArea(area=a) for a in dict.fromkeys(areas)], lambda c: c.area)
    _replace_children(profile.keywords, [ProfileKeyword(keyword=k) for k in keywords], lambda c: c.keyword)
    profile.updated_at = utcnow()
    db.session.flush()
    return profile


def _replace_children(current: list, wanted: list, key) -> None:
    """Make ``current`` hold ``wanted`` while keeping rows that stay (their keys are primary keys)."""
    wanted_keys = {key(child) for child in wanted}
    for child in [c for c in current if key(c) not in wanted_keys]:
        current.remove(child)
    kept = {key(child) for child in current}
    current.extend(child for child in wanted if key(child) not in kept)


def touch_last_active(user_id: int, now: datetime) -> None:
    """Record that the member was active now: on the profile ("recently active"; members without a
    profile are skipped) and on the account (what the retention purge reads)."""
    db.session.execute(update(Profile).where(Profile.user_id == user_id).values(last_active_at=now))
    db.session.execute(update(User).where(User.id == user_id).values(last_seen_at=now))


# The directory -------------------------------------------------------------------------

@dataclass
class DirectoryOptions:
    """The values the directory's filters offer."""

    organisations: list[Organisation]
    cohorts: list[Cohort]

    @property
    def municipalities(self) -> list[str]:
        return sorted({o.municipality for o in self.organisations}, key=str.lower)


def directory_options() -> DirectoryOptions:
    """Every organisation and cohort, for the filter menus."""
    organisations = list(db.session.scalars(select(Organisation).order_by(func.lower(Organisation.name))))
    cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.name)))
    return DirectoryOptions(organisations, cohorts)


@dataclass
class DirectoryQuery:
    """A directory search as it appears in the URL (the view names the unknown values it dropped)."""

    q: str = ""
    organisation: int | None = None
    kind: OrganisationKind | None = None
    municipality: str | None = None
    area: Area | None = None
    cohort: int | None = None
    status: str | None = None
    sort: str = "relevance"
    page: int = 1

    def url_args(self) -> dict:
        """The filters as URL arguments (without the page), for links that keep the search."""
        values = {"q": self.q, "organisation": self.organisation, "kind": self.kind, "municipality": self.municipality,
                  "area": self.area, "cohort": self.cohort, "status": self.status,
                  "sort": None if self.sort == "relevance" else self.sort}
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    @property
    def filtered(self) -> bool:
        return bool(self.url_args().keys() - {"sort"})

    @property
    def filtered_beyond_words(self) -> bool:
        return bool(self.url_args().keys() - {"sort", "q"})


def directory_query(values: dict, page: int) -> DirectoryQuery:
    """The search from the directory form's valid values: ids as numbers, kinds and areas as enums."""
    convert = {"organisation": int, "cohort": int, "kind": OrganisationKind, "area": Area}
    query = DirectoryQuery(page=page)
    for name, value in values.items():
        if value:
            setattr(query, name, convert.get(name, str)(value))
    return query


def listed_members_stmt() -> Select:
    """Active members who consented to the directory, with what a directory entry shows loaded."""
    return (
        select(User)
        .join(Profile, Profile.user_id == User.id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(Profile.in_directory.is_(True), User.status == UserStatus.ACTIVE)
        .options(
            contains_eager(User.organisation),
            contains_eager(User.profile).selectinload(Profile.areas),
            selectinload(User.memberships).joinedload(CohortMembership.cohort),
        )
    )


def status_condition(status: str, today: date):
    """SQL for a member's programme status: participant, alumnus (every cohort ended) or course leader."""
    if status == "course_leader":
        return User.role == Role.COURSE_LEADER
    in_some = exists().where(CohortMembership.user_id == User.id, CohortMembership.role == MembershipRole.PARTICIPANT)
    in_ongoing = exists(
        select(CohortMembership.id).join(Cohort, Cohort.id == CohortMembership.cohort_id).where(
            CohortMembership.user_id == User.id, CohortMembership.role == MembershipRole.PARTICIPANT,
            Cohort.ends_on >= today,
        )
    )
    alumnus = and_(in_some, not_(in_ongoing))
    return and_(User.role == Role.PARTICIPANT, alumnus if status == "alumnus" else not_(alumnus))


def directory_stmt(query: DirectoryQuery, today: date) -> Select:
    """The listed members matching the search and filters, in the chosen order."""
    stmt = listed_members_stmt()
    if query.organisation is not None:
        stmt = stmt.where(User.organisation_id == query.organisation)
    if query.kind is not None:
        stmt = stmt.where(Organisation.kind == query.kind)
    if query.municipality is not None:
        stmt = stmt.where(Organisation.municipality == query.municipality)
    if query.area is not None:
        stmt = stmt.where(exists().where(ProfileArea.user_id == User.id, ProfileArea.area == query.area))
    if query.cohort is not None:
        stmt = stmt.where(exists().where(CohortMembership.user_id == User.id, CohortMembership.cohort_id == query.cohort))
    if query.status is not None:
        stmt = stmt.where(status_condition(query.status, today))
    terms = people_search.terms(query.q)
    order = [func.lower(User.name), User.id]
    if terms:
        # Filters narrow the matches after the engine: then take every match the engine could give.
        window = DIRECTORY_MAX_CANDIDATES if query.filtered_beyond_words else DIRECTORY_RESULT_CAP + 1
        matches = people_search.matches(terms, window)
        stmt = stmt.join(matches, matches.c.user_id == User.id)
        if query.sort == "relevance":
            order = [matches.c.rank, *order]
    if query.sort == "active":
        order = [Profile.last_active_at.is_(None), Profile.last_active_at.desc(), *order]
    return stmt.order_by(*order)


def paginate_clamped(stmt: Select, page: int, per_page: int):
    """A page of results; a page past the end gives the last page. Counts once, reads one page."""
    counted = stmt.options(lazyload("*")).order_by(None).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted))
    last = max(1, -(-total // per_page))
    result = db.paginate(stmt, page=min(page, last), per_page=per_page, error_out=False, count=False)
    result.total = total
    return result


def member_status(user: User, today: date) -> str | None:
    """The member's programme status as the directory names it (None for administrators)."""
    if user.role == Role.COURSE_LEADER:
        return "course_leader"
    if user.role == Role.PARTICIPANT:
        return "alumnus" if user.is_alumnus(today) else "participant"
    return None


# Profiles and counterparts -------------------------------------------------------

def member_by_handle(handle: str, with_programme: bool = True) -> User | None:
    """The member with this handle, with everything the profile page shows loaded (cohorts and events optional)."""
    stmt = select(User).where(User.handle == handle, User.erased_at.is_(None)).options(
        joinedload(User.organisation),
        joinedload(User.profile).selectinload(Profile.areas),
        joinedload(User.profile).selectinload(Profile.keywords),
    )
    if with_programme:
        stmt = stmt.options(
            selectinload(User.memberships).joinedload(CohortMembership.cohort).selectinload(Cohort.events)
        )
    return db.session.scalars(stmt).unique().one_or_none()


def counterparts(member: User, exclude_organisations: set[int], limit: int = COUNTERPARTS_SHOWN) -> list[tuple[User, int, int]]:
    """Listed members elsewhere sharing an area of responsibility with ``member``, with (areas, keywords) shared.

    Ranked by shared areas, then shared keywords, then name; never from ``exclude_organisations``.
    """
    profile = profile_of(member)
    areas, keywords = profile.area_values, profile.keyword_values
    if not areas:
        return []
    area_hits = (
        select(ProfileArea.user_id, func.count().label("shared"))
        .where(ProfileArea.area.in_(areas)).group_by(ProfileArea.user_id).subquery("area_hits")
    )
    keyword_hits = (
        select(ProfileKeyword.user_id, func.count().label("shared"))
        .where(ProfileKeyword.keyword.in_(keywords or [""])).group_by(ProfileKeyword.user_id).subquery("keyword_hits")
    )
    shared_keywords = func.coalesce(keyword_hits.c.shared, 0)
    stmt = (
        listed_members_stmt()
        .add_columns(area_hits.c.shared, shared_keywords)
        .join(area_hits, area_hits.c.user_id == User.id)
        .outerjoin(keyword_hits, keyword_hits.c.user_id == User.id)
        .where(User.id != member.id, User.organisation_id.not_in(exclude_organisations | {member.organisation_id}))
        .order_by(area_hits.c.shared.desc(), shared_keywords.desc(), func.lower(User.name), User.id)
        .limit(limit)
    )
    return [(user, areas_shared, keywords_shared) for user, areas_shared, keywords_shared in db.session.execute(stmt)]


def cohorts_attended(member: User, today: date) -> list[tuple[Cohort, list]]:
    """The member's cohorts (newest first), each with its conferences and study trips that have begun."""
    cohorts = sorted(member.cohorts(), key=lambda c: c.starts_on, reverse=True)
    return [(c, [e for e in c.events if e.starts_on <= today]) for c in cohorts]


def organisations_with_listed_counts() -> list[tuple[Organisation, int]]:
    """Every organisation with how many of its members are listed in the directory, by name."""
    listed = (
        select(User.organisation_id, func.count().label("listed"))
        .join(Profile, Profile.user_id == User.id)
        .where(Profile.in_directory.is_(True), User.status == UserStatus.ACTIVE)
        .group_by(User.organisation_id).subquery("listed")
    )
    stmt = (
        select(Organisation, func.coalesce(listed.c.listed, 0))
        .outerjoin(listed, listed.c.organisation_id == Organisation.id)
        .order_by(func.lower(Organisation.name))
    )
    return [(organisation, count) for organisation, count in db.session.execute(stmt)]


def organisation_or_none(organisation_id: int) -> Organisation | None:
    """An organisation by id."""
    return db.session.get(Organisation, organisation_id)


# Contact cards ------------------------------------------------------------------

def _vcard_escape(value: str) -> str:
    for raw, escaped in (("\\", "\\\\"), (",", "\\,"), (";", "\\;"), ("\r\n", "\\n"), ("\n", "\\n"), ("\r", "\\n")):
        value = value.replace(raw, escaped)
    return value


def vcard(member: User, *, show_email: bool, show_phone: bool) -> str:
    """A vCard 3.0 with the member's name and work details, and only the contact details allowed."""
    profile = profile_of(member)
    given, _, family = member.name.rpartition(" ")
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_vcard_escape(member.name)}",
             f"N:{_vcard_escape(family)};{_vcard_escape(given)};;;",
             f"ORG:{_vcard_escape(member.organisation.name)}"]
    if profile.title:
        lines.append(f"TITLE:{_vcard_escape(profile.title)}")
    if show_email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{_vcard_escape(member.email)}")
    if show_phone and profile.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{_vcard_escape(profile.phone)}")
    if profile.link:
        lines.append(f"URL:{_vcard_escape(profile.link)}")
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


# Avatars ------------------------------------------------------------------------

AVATAR_SIZE = 256
AVATAR_MAX_BYTES = 5 * 1024 * 1024
# 16 megapixels holds any phone or camera portrait; decoding one takes at most ~64 MB (RGBA).
AVATAR_MAX_PIXELS = 16_000_000
# A side longer than this is no portrait; PNG decodes row by row, so rows bound the time too.
AVATAR_MAX_SIDE = 8_000
AVATAR_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
# Pillow's own guard, for any image this process opens: warns above, refuses above twice this.
Image.MAX_IMAGE_PIXELS = AVATAR_MAX_PIXELS


class AvatarRejected(ValueError):
    """The upload is not an image we accept; ``message`` says why, for the form."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def normalise_avatar(data: bytes, filename: str) -> bytes:
    """A square JPEG of AVATAR_SIZE pixels without metadata, from a JPEG, PNG or WebP upload.

    Raises AvatarRejected for files that are too large, not images, of another type than
    their name says, or with more pixels than AVATAR_MAX_PIXELS or a side longer than
    AVATAR_MAX_SIDE (decompression bombs): the size is read from the header, before decoding.
    """
    if len(data) > AVATAR_MAX_BYTES:
        raise AvatarRejected(_l("The picture may be at most 5 MB."))
    expected = AVATAR_FORMATS.get(filename.rsplit(".", 1)[-1].lower() if "." in filename else "")
    if expected is None:
        raise AvatarRejected(_l("Upload a JPEG, PNG or WebP picture."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as image:  # reads the header only
                _check_image(image, expected)
                return _square_jpeg(image)
        except AvatarRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise AvatarRejected(_too_many_pixels())
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise AvatarRejected(_l("The file is not a picture we can read. Upload a JPEG, PNG or WebP picture."))


def _too_many_pixels():
    return _l("The picture has too many pixels: at most %(megapixels)d megapixels and %(side)d pixels per side.",
              megapixels=AVATAR_MAX_PIXELS // 1_000_000, side=AVATAR_MAX_SIDE)


def _check_image(image: Image.Image, expected: str) -> None:
    if image.format != expected:
        raise AvatarRejected(_l("The file's content does not match its name. Upload a JPEG, PNG or WebP picture."))
    width, height = image.size
    if width * height > AVATAR_MAX_PIXELS or max(width, height) > AVATAR_MAX_SIDE:
        raise AvatarRejected(_too_many_pixels())


def _square_jpeg(image: Image.Image) -> bytes:
    # JPEG: decode at a reduced scale (1/2 to 1/8) straight from the file, still at least twice the avatar.
    image.draft("RGB", (2 * AVATAR_SIZE, 2 * AVATAR_SIZE))
    image.load()
    image = _shrunk(image)
    image = ImageOps.exif_transpose(image)  # keep the orientation before the metadata goes
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    image = ImageOps.fit(image.convert("RGB"), (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    image.save(output, "JPEG", quality=85, optimize=True)  # no exif=, no icc: metadata is dropped
    return output.getvalue()


def _shrunk(image: Image.Image) -> Image.Image:
    """The decoded image reduced by a whole factor towards twice the avatar's size (cheap, and
    every later step then works on a small copy); EXIF orientation stays with it."""
    factor = min(image.size) // (2 * AVATAR_SIZE)
    if factor < 2:
        return image
    if image.mode not in ("RGB", "RGBA", "L", "LA", "CMYK"):  # palette or 16-bit: average colours, not indices
        image = image.convert("RGBA")
    reduced = image.reduce(factor)
    reduced.info = dict(image.info)  # holds the EXIF block that exif_transpose reads
    return reduced


def set_avatar(user: User, jpeg: bytes) -> None:
    """Store the member's new picture; its ETag changes so caches fetch it anew."""
    profile = user.profile
    if profile is None:
        profile = blank_profile()
        profile.user = user
        db.session.add(profile)
    avatar = db.session.get(Avatar, user.id) or Avatar(user_id=user.id)
    avatar.image, avatar.etag, avatar.updated_at = jpeg, hashlib.sha256(jpeg).hexdigest()[:32], utcnow()
    db.session.add(avatar)
    profile.avatar_etag = avatar.etag
    db.session.flush()


def remove_avatar(user: User) -> None:
    """Delete the member's picture."""
    avatar = db.session.get(Avatar, user.id)
    if avatar is not None:
        db.session.delete(avatar)
    if user.profile is not None:
        user.profile.avatar_etag = None
    db.session.flush()


def avatar_of(user_id: int) -> Avatar | None:
    """The stored picture of a member."""
    return db.session.get(Avatar, user_id)
