"""Profiles: what members tell the network about themselves, and who may see their contact details."""
import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from network.auth.models import User
from network.extensions import db, enum_column
from network.labels import register_labels
from network.timeutil import UTCDateTime, utcnow


class Area(enum.StrEnum):
    """Areas of responsibility a municipal manager recognises."""

    ELDERLY_CARE = "elderly_care"
    DISABILITY_SUPPORT = "disability_support"
    INDIVIDUAL_FAMILY_CARE = "individual_family_care"
    PRESCHOOL = "preschool"
    COMPULSORY_SCHOOL = "compulsory_school"
    UPPER_SECONDARY_SCHOOL = "upper_secondary_school"
    LABOUR_MARKET = "labour_market"
    CULTURE_LEISURE = "culture_leisure"
    URBAN_PLANNING = "urban_planning"
    WATER_WASTE = "water_waste"
    ENVIRONMENT = "environment"
    HR = "hr"
    FINANCE = "finance"
    IT_DIGITALISATION = "it_digitalisation"
    COMMUNICATION = "communication"
    OTHER = "other"


class Visibility(enum.StrEnum):
    """Who sees a contact detail: only the member, their cohorts, or the whole network."""

    PRIVATE = "private"
    COHORT = "cohort"
    NETWORK = "network"


register_labels({
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
})


class Profile(db.Model):
    """A member's profile, one-to-one with the account; created when first saved."""

    __tablename__ = "profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "email_visibility"), default=Visibility.COHORT
    )
    phone_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "phone_visibility"), default=Visibility.COHORT
    )
    # Consent to be listed and found in the directory: opt-in (GDPR).
    in_directory: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[str] = mapped_column(String(200), default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    bio_source: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    avatar_etag: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship(backref=backref("profile", uselist=False, lazy="select"))
    areas: Mapped[list["ProfileArea"]] = relationship(
        cascade="all, delete-orphan", order_by="ProfileArea.area"
    )
    keywords: Mapped[list["ProfileKeyword"]] = relationship(
        cascade="all, delete-orphan", order_by="ProfileKeyword.keyword"
    )

    @property
    def area_values(self) -> list[Area]:
        return [a.area for a in self.areas]

    @property
    def keyword_values(self) -> list[str]:
        return [k.keyword for k in self.keywords]


class ProfileArea(db.Model):
    """One area of responsibility of a member."""

    __tablename__ = "profile_area"

    user_id: Mapped[int] = mapped_column(ForeignKey("profile.user_id", ondelete="CASCADE"), primary_key=True)
    area: Mapped[Area] = mapped_column(enum_column(Area, "area"), primary_key=True, index=True)


class ProfileKeyword(db.Model):
    """One expertise keyword of a member, stored in lower case."""

    __tablename__ = "profile_keyword"

    user_id: Mapped[int] = mapped_column(ForeignKey("profile.user_id", ondelete="CASCADE"), primary_key=True)
    keyword: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Avatar(db.Model):
    """A member's re-encoded profile picture, kept in the database so app servers stay stateless."""

    __tablename__ = "avatar"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    image: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
