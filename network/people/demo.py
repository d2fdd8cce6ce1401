"""Demo profiles: titles, areas, keywords and presentations for the demo members."""
from datetime import timedelta

from network.auth.models import Role
from network.extensions import db
from network.people.models import Area, Profile, ProfileArea, ProfileKeyword, Visibility
from network.programme.models import OrganisationKind
from network.text import render_markdown
from network.timeutil import utcnow

# (title, areas) a manager in a municipality or a provider might have.
ROLES = [
    ("Enhetschef hemtjänst", [Area.ELDERLY_CARE]),
    ("Verksamhetschef äldreomsorg", [Area.ELDERLY_CARE, Area.HR]),
    ("Enhetschef LSS-boende", [Area.DISABILITY_SUPPORT]),
    ("Socialchef", [Area.INDIVIDUAL_FAMILY_CARE, Area.ELDERLY_CARE, Area.DISABILITY_SUPPORT]),
    ("Förskolechef", [Area.PRESCHOOL]),
    ("Rektor", [Area.COMPULSORY_SCHOOL]),
    ("Rektor gymnasieskola", [Area.UPPER_SECONDARY_SCHOOL]),
    ("Arbetsmarknadschef", [Area.LABOUR_MARKET]),
    ("Kultur- och fritidschef", [Area.CULTURE_LEISURE]),
    ("Planchef", [Area.URBAN_PLANNING]),
    ("VA-chef", [Area.WATER_WASTE, Area.ENVIRONMENT]),
    ("Miljöchef", [Area.ENVIRONMENT]),
    ("HR-chef", [Area.HR]),
    ("Ekonomichef", [Area.FINANCE]),
    ("Digitaliseringschef", [Area.IT_DIGITALISATION]),
    ("Kommunikationschef", [Area.COMMUNICATION]),
]
PROVIDER_ROLES = [r for r in ROLES if set(r[1]) & {Area.ELDERLY_CARE, Area.DISABILITY_SUPPORT, Area.PRESCHOOL, Area.COMPULSORY_SCHOOL, Area.HR}]
KEYWORDS = [
    "ledarskap", "rekrytering", "kompetensförsörjning", "digital välfärd", "kvalitetsuppföljning", "upphandling",
    "värdegrund", "medarbetarskap", "arbetsmiljö", "tillitsbaserad styrning", "brukarinflytande", "integration",
    "schemaläggning", "budget", "förändringsledning", "innovation", "välfärdsteknik", "kundorientering",
]
LANGUAGES = ["svenska", "svenska, engelska", "svenska, engelska, arabiska", "svenska, finska", "svenska, engelska, spanska"]
BIOS = [
    "Jag har arbetat som chef i **{years} år** och brinner för att utveckla verksamheten tillsammans med medarbetarna.",
    "Under Växthuset lärde jag mig mycket om *mångkulturellt ledarskap*. Hör gärna av dig om du vill byta erfarenheter!",
    "Just nu arbetar jag med:\n\n- kompetensförsörjning\n- digitalisering av vardagen\n- samverkan med privata utförare",
    "Jag tror på tillit och korta beslutsvägar. Ring gärna om du funderar på frågor om {topic}.",
]


def seed(rng, data) -> None:
    """A profile for most demo members (nine in ten listed in the directory; the database indexes them)."""
    now = utcnow()
    for user in data.users:
        if user.role == Role.ADMIN or rng.random() < 0.05:
            continue  # some never fill in a profile
        roles = ROLES if user.organisation.kind == OrganisationKind.MUNICIPALITY else PROVIDER_ROLES
        title, areas = rng.choice(roles) if user.role == Role.PARTICIPANT else ("Kursledare", [Area.HR, Area.OTHER])
        keywords = rng.sample(KEYWORDS, rng.randint(1, 4))
        bio = rng.choice(BIOS).format(years=rng.randint(2, 25), topic=keywords[0])
        db.session.add(Profile(
            user=user, title=title, phone=f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            email_visibility=rng.choice([Visibility.COHORT, Visibility.NETWORK, Visibility.NETWORK]),
            phone_visibility=rng.choice(list(Visibility)), in_directory=rng.random() < 0.9,
            languages=rng.choice(LANGUAGES), link="", bio_source=bio, bio_html=render_markdown(bio),
            areas=[ProfileArea(area=a) for a in areas], keywords=[ProfileKeyword(keyword=k) for k in keywords],
            last_active_at=now - timedelta(minutes=rng.randint(5, 60 * 24 * 90)),
        ))
    db.session.flush()
