"""Profiles and the cross-organisation directory: who sees what, search, filters, counterparts, cards, pictures."""
import io
import struct
import zlib
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import insert, select, text

from helpers import page_text
from network.auth.models import Role, User, UserStatus
from network.extensions import db
from network.people import services
from network.people.models import Area, Avatar, Profile, ProfileArea, ProfileKeyword, Visibility
from network.programme.models import CohortMembership, MembershipRole, Organisation, OrganisationKind
from network.timeutil import utcnow


@pytest.fixture
def make_profile(app):
    def make(user, **fields):
        values = dict(title="", phone="", email_visibility=Visibility.NETWORK, phone_visibility=Visibility.NETWORK,
                      in_directory=True, languages="", link="", bio="", areas=[], keywords=[])
        values.update(fields)
        services.save_profile(user, **values)
        db.session.commit()
        return user

    return make


@pytest.fixture
def other_org(make_org):
    return make_org(name="Omsorgshuset Norr AB", kind=OrganisationKind.PROVIDER, municipality="Sollentuna")


# Editing one's profile -------------------------------------------------------------

PROFILE_FORM = {
    "title": "Äldreomsorgschef", "areas": ["elderly_care", "hr"], "keywords": "Hemtjänst, rekrytering, hemtjänst",
    "languages": "svenska, engelska", "bio": "Jag leder **hemtjänsten**. <script>alert(1)</script>",
    "link": "https://www.linkedin.com/in/anna", "phone": "+46 8 123 45", "phone_visibility": "cohort",
    "email_visibility": "network", "in_directory": "y",
}


def test_member_saves_profile_and_sees_it(client, participant, login_as):
    login_as(client, participant)
    assert client.get("/profile").status_code == 200
    response = client.post("/profile", data=PROFILE_FORM)
    assert response.status_code == 302 and response.headers["Location"] == "/people/anna.lindqvist"
    profile = db.session.get(Profile, participant.id)
    assert profile.title == "Äldreomsorgschef" and profile.in_directory
    assert profile.area_values == [Area.ELDERLY_CARE, Area.HR]
    assert profile.keyword_values == ["hemtjänst", "rekrytering"]
    assert "<strong>hemtjänsten</strong>" in profile.bio_html and "<script" not in profile.bio_html
    body = page_text(client.get("/people/anna.lindqvist"))
    assert "Äldreomsorgschef" in body and ">Äldreomsorg<" in body and ">HR<" in body and "rekrytering" in body
    assert "<script>alert" not in body


def test_profile_edit_keeps_area_rows_that_stay(client, participant, make_profile, login_as):
    make_profile(participant, areas=[Area.HR, Area.FINANCE])
    login_as(client, participant)
    client.post("/profile", data={**PROFILE_FORM, "areas": ["hr", "preschool"]})
    db.session.expire_all()
    assert db.session.get(Profile, participant.id).area_values == [Area.HR, Area.PRESCHOOL]


BAD_PROFILE_INPUT = [
    ("title", "x" * 121), ("bio", "x" * 5001), ("link", "javascript:alert(1)"), ("phone", "ring mig"),
    ("email_visibility", "everyone"), ("areas", ["astrology"]), ("keywords", ", ".join(f"ord{i}" for i in range(21))),
    ("keywords", "x" * 41),
]


def test_bad_profile_input_is_a_form_error_and_changes_nothing(client, participant, make_profile, login_as):
    make_profile(participant, title="Rektor")
    login_as(client, participant)
    for field, value in BAD_PROFILE_INPUT:
        response = client.post("/profile", data={**PROFILE_FORM, field: value})
        assert response.status_code == 400, field
        body = page_text(response)
        assert "Rätta de markerade fälten" in body, field
        assert "Äldreomsorgschef" in body, "the text typed is kept"
        db.session.expire_all()
        assert db.session.get(Profile, participant.id).title == "Rektor"


def test_profile_pages_need_login(client, participant):
    assert client.get("/profile").status_code == 302
    assert client.get("/people").status_code == 302
    assert client.get("/people/anna.lindqvist").status_code == 302


def test_unknown_handle_is_404(client, participant, login_as):
    login_as(client, participant)
    assert client.get("/people/no.such.person").status_code == 404
    assert client.get("/people/no.such.person.vcf").status_code == 404


# Who sees contact details ------------------------------------------------------------

@pytest.fixture
def viewers(make_user, make_cohort, cohort, participant):
    other_cohort = make_cohort(name="Växthuset 2013", starts_on=date(2013, 1, 21), ends_on=date(2013, 12, 13))
    return {
        "self": participant,
        "same_cohort": make_user(Role.PARTICIPANT, cohort=cohort),
        "other_cohort": make_user(Role.PARTICIPANT, cohort=other_cohort),
        "own_course_leader": make_user(Role.COURSE_LEADER, cohort=cohort),
        "other_course_leader": make_user(Role.COURSE_LEADER, cohort=other_cohort),
        "admin": make_user(Role.ADMIN),
    }


SEES = {
    Visibility.PRIVATE: {"self"},
    Visibility.COHORT: {"self", "same_cohort", "own_course_leader", "admin"},
    Visibility.NETWORK: {"self", "same_cohort", "other_cohort", "own_course_leader", "other_course_leader", "admin"},
}


@pytest.mark.parametrize("viewer", ["self", "same_cohort", "other_cohort", "own_course_leader", "other_course_leader", "admin"])
def test_contact_visibility_matrix(client, participant, viewers, make_profile, viewer, login_as):
    login_as(client, viewers[viewer])
    for visibility in Visibility:
        make_profile(participant, title="Rektor", phone="070-111 22 33", email_visibility=visibility, phone_visibility=visibility)
        visible = viewer in SEES[visibility]
        profile_page = page_text(client.get("/people/anna.lindqvist"))
        directory = page_text(client.get("/people?q=anna"))
        card = page_text(client.get("/people/anna.lindqvist.vcf"))
        assert "Anna Lindqvist" in directory and "FN:Anna Lindqvist" in card
        for where, shown in (("profile", profile_page), ("directory", directory), ("vcard", card)):
            assert ("participant@example.org" in shown) is visible, (visibility, where)
            assert ("070-111 22 33" in shown) is visible, (visibility, where)


def test_email_and_phone_visibility_are_separate(client, participant, viewers, make_profile, login_as):
    make_profile(participant, phone="070-111 22 33", email_visibility=Visibility.NETWORK, phone_visibility=Visibility.PRIVATE)
    login_as(client, viewers["same_cohort"])
    card = page_text(client.get("/people/anna.lindqvist.vcf"))
    assert "EMAIL;TYPE=INTERNET,WORK:participant@example.org" in card and "TEL" not in card


def test_vcard_is_a_download_with_escaped_values(client, participant, viewers, make_profile, login_as):
    make_profile(participant, title="Chef; vård, omsorg", link="https://example.org/anna")
    login_as(client, viewers["other_cohort"])
    response = client.get("/people/anna.lindqvist.vcf")
    assert response.status_code == 200
    assert response.mimetype == "text/vcard"
    assert response.headers["Content-Disposition"] == 'attachment; filename="anna.lindqvist.vcf"'
    card = page_text(response)
    assert card.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n") and card.endswith("END:VCARD\r\n")
    assert "N:Lindqvist;Anna;;;" in card and "TITLE:Chef\\; vård\\, omsorg" in card
    assert "ORG:Upplands Väsby kommun" in card and "URL:https://example.org/anna" in card


# Consent to the directory ---------------------------------------------------------------

def test_member_who_says_no_is_not_listed_or_found(client, participant, viewers, make_profile, make_user, other_org, login_as):
    make_profile(participant, title="Rektor", areas=[Area.PRESCHOOL], in_directory=False)
    searcher = make_profile(make_user(organisation_=other_org), areas=[Area.PRESCHOOL])
    login_as(client, searcher)
    assert "Anna Lindqvist" not in page_text(client.get("/people"))
    assert "Anna Lindqvist" not in page_text(client.get("/people?q=anna"))
    assert "Anna Lindqvist" not in page_text(client.get(f"/people/organisations/{participant.organisation_id}"))
    assert "Anna Lindqvist" not in page_text(client.get("/"))  # not a counterpart either
    page = page_text(client.get("/people/anna.lindqvist"))
    assert "har valt att inte synas i katalogen" in page and "Rektor" not in page
    assert client.get("/people/anna.lindqvist.vcf").status_code == 404


def test_member_without_a_saved_profile_is_not_listed(client, participant, make_user, login_as):
    login_as(client, make_user())
    assert "Anna Lindqvist" not in page_text(client.get("/people"))


def test_unlisted_member_still_sees_own_profile(client, participant, make_profile, login_as):
    make_profile(participant, title="Rektor", in_directory=False)
    login_as(client, participant)
    page = page_text(client.get("/people/anna.lindqvist"))
    assert "Rektor" in page and "Du syns inte i katalogen" in page


def test_suspended_member_is_not_listed(client, participant, admin, make_profile, login_as):
    make_profile(participant)
    login_as(client, admin)
    client.post(f"/admin/users/{participant.id}", data={
        "name": participant.name, "role": "participant", "organisation_id": participant.organisation_id, "status": "suspended"})
    assert "Anna Lindqvist" not in page_text(client.get("/people?q=anna"))


# The directory: search, filters, sort, pages ---------------------------------------------

@pytest.fixture
def network(make_user, make_org, make_cohort, cohort, organisation, make_profile):
    """A small network across organisations, kinds, municipalities, areas, cohorts and statuses."""
    old = make_cohort(name="Växthuset 2013", starts_on=date(2013, 1, 21), ends_on=date(2013, 12, 13))
    provider = make_org(name="Vårdkraft Mälardalen AB", kind=OrganisationKind.PROVIDER, municipality="Sollentuna")
    sigtuna = make_org(name="Sigtuna kommun", municipality="Sigtuna")
    people = {
        "anna": make_user(name="Anna Lindqvist", cohort=cohort),
        "erik": make_user(name="Erik Johansson", cohort=old, organisation_=provider),
        "maria": make_user(name="Maria Karlsson", cohort=old, organisation_=sigtuna),
        "karin": make_user(Role.COURSE_LEADER, name="Karin Ledare", cohort=cohort, organisation_=provider),
    }
    make_profile(people["anna"], title="Förskolechef", areas=[Area.PRESCHOOL], keywords=["pedagogik"])
    make_profile(people["erik"], title="Verksamhetschef", areas=[Area.ELDERLY_CARE, Area.HR], keywords=["hemtjänst"],
                 bio="Jag arbetar med bemanning och schemaläggning.")
    make_profile(people["maria"], title="Rektor", areas=[Area.COMPULSORY_SCHOOL, Area.PRESCHOOL])
    make_profile(people["karin"], title="Kursledare", areas=[Area.HR])
    return {**people, "provider": provider, "sigtuna": sigtuna, "old": old, "cohort": cohort}


def listed(client, query: str) -> set[str]:
    body = page_text(client.get("/people" + query))
    return {name for name in ("Anna Lindqvist", "Erik Johansson", "Maria Karlsson", "Karin Ledare") if f">{name}</a>" in body}


DIRECTORY_CASES = [
    ("", {"anna", "erik", "maria", "karin"}),
    ("?q=hemtj", {"erik"}),                       # a keyword, by prefix
    ("?q=schemal%C3%A4ggning", {"erik"}),         # the bio
    ("?q=rektor", {"maria"}),                     # the title
    ("?q=sigtuna", {"maria"}),                    # the organisation
    ("?q=f%C3%B6rskola", {"anna", "maria"}),      # an area, in Swedish
    ("?q=preschool", {"anna", "maria"}),          # an area, in English
    ("?q=karin+ledare", {"karin"}),               # every word must match
    ("?q=nobody", set()),
    ("?organisation={provider}", {"erik", "karin"}),
    ("?kind=provider", {"erik", "karin"}),
    ("?kind=municipality", {"anna", "maria"}),
    ("?municipality=Sigtuna", {"maria"}),
    ("?area=preschool", {"anna", "maria"}),
    ("?area=hr", {"erik", "karin"}),
    ("?cohort={old}", {"erik", "maria"}),
    ("?status=alumnus", {"erik", "maria"}),
    ("?status=participant", {"anna"}),
    ("?status=course_leader", {"karin"}),
    ("?kind=provider&area=hr&status=alumnus", {"erik"}),
    ("?cohort={cohort}&area=hr", {"karin"}),
    ("?municipality=Sigtuna&area=preschool&q=rektor", {"maria"}),
    ("?kind=municipality&status=course_leader", set()),
]


def test_directory_search_and_every_filter_alone_and_combined(client, network, login_as):
    login_as(client, network["anna"])
    names = {"anna": "Anna Lindqvist", "erik": "Erik Johansson", "maria": "Maria Karlsson", "karin": "Karin Ledare"}
    for query, expected in DIRECTORY_CASES:
        query = query.format(provider=network["provider"].id, old=network["old"].id, cohort=network["cohort"].id)
        assert listed(client, query) == {names[key] for key in expected}, query


def test_directory_shows_count_and_useful_empty_state(client, network, login_as):
    login_as(client, network["anna"])
    assert "4 personer" in page_text(client.get("/people"))
    body = page_text(client.get("/people?q=nobody"))
    assert "0 personer" in body and "Ingen matchar sökningen" in body and "Visa alla i katalogen" in body


UNKNOWN_FILTERS = [
    ("?area=astrology", "Ansvarsområde"), ("?organisation=99999", "Organisation"), ("?kind=bank", "Typ av organisation"),
    ("?status=retired", "Status"), ("?cohort=abc", "Omgång"), ("?sort=random", "Sortera efter"), ("?municipality=Atlantis", "Kommun"),
]


def test_unknown_filter_values_are_ignored_with_a_notice(client, network, login_as):
    login_as(client, network["anna"])
    for query, ignored in UNKNOWN_FILTERS:
        response = client.get("/people" + query)
        assert response.status_code == 200
        body = page_text(response)
        assert f"ignorerades: {ignored}." in body, query
        assert "4 personer" in body, query
    body = page_text(client.get("/people?area=astrology&kind=provider"))
    assert "ignorerades: Ansvarsområde." in body and "2 personer" in body


def test_filters_and_page_live_in_the_url(make_app, network, make_user, make_profile, organisation, login_as):
    app = make_app(PER_PAGE=2)
    client = app.test_client()
    login_as(client, network["anna"])
    body = page_text(client.get("/people?area=preschool&sort=name&q=&page=1"))
    assert "Anna Lindqvist" in body
    for n in range(3):
        make_profile(make_user(name=f"Lisa Berg{n}"), areas=[Area.PRESCHOOL])
    body = page_text(client.get("/people?area=preschool&sort=name"))
    assert "area=preschool" in body and "page=2" in body and "sort=name" in body


def test_page_past_the_end_shows_the_last_page(make_app, network, login_as):
    client = make_app(PER_PAGE=3).test_client()
    login_as(client, network["anna"])
    body = page_text(client.get("/people?sort=name&page=99"))
    assert "Maria Karlsson" in body and "Anna Lindqvist" not in body
    assert client.get("/people?page=-4").status_code == 200
    assert client.get("/people?page=abc").status_code == 200


def test_sort_by_name_and_recently_active(client, network, login_as):
    login_as(client, network["anna"])
    now = utcnow()
    for key, minutes in (("maria", 1), ("erik", 30), ("karin", 600)):
        network[key].profile.last_active_at = now - timedelta(minutes=minutes)
    network["anna"].profile.last_active_at = None
    db.session.commit()
    client.get("/people")  # Anna's own visit counts as activity
    order = lambda body: sorted(["Anna Lindqvist", "Erik Johansson", "Maria Karlsson", "Karin Ledare"], key=body.index)
    assert order(page_text(client.get("/people?sort=name"))) == ["Anna Lindqvist", "Erik Johansson", "Karin Ledare", "Maria Karlsson"]
    assert order(page_text(client.get("/people?sort=active"))) == ["Anna Lindqvist", "Maria Karlsson", "Erik Johansson", "Karin Ledare"]


def test_activity_is_recorded_at_most_every_15_minutes(client, network, count_queries, login_as):
    login_as(client, network["erik"])
    client.get("/people")
    first = db.session.get(Profile, network["erik"].id).last_active_at
    assert first is not None
    with count_queries() as statements:
        client.get("/people")
    assert not any(s.lstrip().upper().startswith("UPDATE PROFILE") for s in statements)


def test_relevance_puts_better_matches_first(client, network, make_user, make_profile, login_as):
    make_profile(make_user(name="Hemtjänst Hemtjänstsson"), title="Hemtjänstchef", keywords=["hemtjänst"], bio="Hemtjänst, hemtjänst.")
    login_as(client, network["anna"])
    body = page_text(client.get("/people?q=hemtj%C3%A4nst"))
    assert body.index("Hemtjänst Hemtjänstsson") < body.index("Erik Johansson")


def test_organisation_page_lists_its_listed_members(client, network, make_user, login_as):
    make_user(name="Olle Olistad", organisation_=network["provider"])
    login_as(client, network["anna"])
    body = page_text(client.get(f"/people/organisations/{network['provider'].id}"))
    assert "Vårdkraft Mälardalen AB" in body and "Erik Johansson" in body and "Karin Ledare" in body
    assert "Olle Olistad" not in body and "Anna Lindqvist" not in body
    assert client.get("/people/organisations/99999").status_code == 404


def test_organisations_list_counts_only_listed_members(client, network, make_user, make_org, login_as):
    make_user(name="Olle Olistad", organisation_=network["provider"])
    make_org(name="Knivsta kommun", municipality="Knivsta")
    login_as(client, network["anna"])
    body = page_text(client.get("/people/organisations"))
    rows = {name: body[body.index(name):].split("</tr>")[0] for name in ("Vårdkraft Mälardalen AB", "Knivsta kommun")}
    assert "<td>2</td>" in rows["Vårdkraft Mälardalen AB"] and "<td>0</td>" in rows["Knivsta kommun"]


def test_cohort_page_links_names_to_profiles(client, network, login_as):
    login_as(client, network["anna"])
    body = page_text(client.get(f"/cohorts/{network['cohort'].id}"))
    assert 'href="/people/karin.ledare"' in body


# Full-text index in step with changes -----------------------------------------------------

def test_search_index_follows_profile_account_and_organisation_changes(client, network, admin, login_as):
    login_as(client, network["erik"])
    assert listed(client, "?q=hemtj") == {"Erik Johansson"}
    client.post("/profile", data={**PROFILE_FORM, "keywords": "logistik", "bio": "", "title": "Chef"})
    assert listed(client, "?q=hemtj") == set()
    assert listed(client, "?q=logistik") == {"Erik Johansson"}
    client.post("/account", data={"name": "Erik Bergström", "email": network["erik"].email, "language": "sv"})
    assert "Erik Bergström" in page_text(client.get("/people?q=bergstr"))
    client.post("/profile", data={**PROFILE_FORM, "in_directory": ""})
    assert "Erik Bergström" not in page_text(client.get("/people?q=bergstr"))
    client.post("/logout")
    login_as(client, admin)
    client.post(f"/admin/organisations/{network['sigtuna'].id}/edit",
                data={"name": "Märsta utbildning", "kind": "municipality", "municipality": "Sigtuna"})
    assert listed(client, "?q=m%C3%A4rsta") == {"Maria Karlsson"}
    client.post(f"/admin/users/{network['anna'].id}", data={
        "name": "Anna Lindqvist", "role": "participant", "organisation_id": network["sigtuna"].id, "status": "active"})
    assert listed(client, "?q=m%C3%A4rsta") == {"Maria Karlsson", "Anna Lindqvist"}


def test_reindex_command_rebuilds_the_index(app, runner, client, network, login_as):
    db.session.execute(text("DELETE FROM people_fts"))
    db.session.commit()
    result = runner.invoke(args=["search", "reindex"])
    assert "4 members listed" in result.output
    login_as(client, network["anna"])
    assert listed(client, "?q=hemtj") == {"Erik Johansson"}


def test_search_input_with_query_syntax_is_harmless(client, network, login_as):
    login_as(client, network["anna"])
    for q in ['"', "AND OR NOT", "*", "a:* & !b", "NEAR(", "'; DROP TABLE user; --", "___"]:
        assert client.get("/people", query_string={"q": q}).status_code == 200


# Counterparts ----------------------------------------------------------------------------

def test_counterparts_ranked_by_areas_then_keywords_never_own_organisation(client, participant, make_user, make_org, make_profile, other_org, login_as):
    third = make_org(name="Täby kommun", municipality="Täby")
    make_profile(participant, areas=[Area.ELDERLY_CARE, Area.HR], keywords=["hemtjänst", "rekrytering"])
    both = make_profile(make_user(name="Bo Båda", organisation_=other_org), areas=[Area.ELDERLY_CARE, Area.HR])
    keyword = make_profile(make_user(name="Kim Nyckelord", organisation_=third), areas=[Area.HR], keywords=["rekrytering"])
    one = make_profile(make_user(name="Ola Ett", organisation_=third), areas=[Area.ELDERLY_CARE])
    make_profile(make_user(name="Sam Sammaorg"), areas=[Area.ELDERLY_CARE, Area.HR])
    make_profile(make_user(name="Nina Ingetgemensamt", organisation_=third), areas=[Area.PRESCHOOL])
    make_profile(make_user(name="Ulla Olistad", organisation_=other_org), areas=[Area.ELDERLY_CARE, Area.HR], in_directory=False)
    rows = services.counterparts(participant, {participant.organisation_id})
    assert [(u.name, a, k) for u, a, k in rows] == [("Bo Båda", 2, 0), ("Kim Nyckelord", 1, 1), ("Ola Ett", 1, 0)]
    login_as(client, participant)
    home = page_text(client.get("/"))
    assert "Motsvarigheter i andra organisationer" in home
    assert home.index("Bo Båda") < home.index("Kim Nyckelord") < home.index("Ola Ett")
    assert "Sam Sammaorg" not in home and "Ulla Olistad" not in home and "Nina Ingetgemensamt" not in home
    # On Bo's profile, seen by Anna: Bo's counterparts, never Bo's or Anna's organisation.
    profile = page_text(client.get(f"/people/{both.handle}"))
    section = profile[profile.index("Motsvarigheter i andra organisationer"):]
    assert "Kim Nyckelord" in section and "Ola Ett" in section
    assert "Anna Lindqvist" not in section and "Sam Sammaorg" not in section


def test_home_invites_to_add_areas_when_none(client, participant, login_as):
    login_as(client, participant)
    assert "Lägg till dina ansvarsområden" in page_text(client.get("/"))


def test_home_says_when_no_counterparts_exist_yet(client, participant, make_profile, login_as):
    make_profile(participant, areas=[Area.WATER_WASTE])
    login_as(client, participant)
    body = page_text(client.get("/"))
    assert "Ingen med dina ansvarsområden i en annan organisation" in body
    assert "Lägg till dina ansvarsområden" not in body


# Avatars --------------------------------------------------------------------------------------

def image_bytes(fmt="PNG", size=(400, 300), exif=False) -> bytes:
    image = Image.new("RGB", size, (30, 120, 60))
    output = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x8825] = {2: (59.0, 30.0, 0.0)}  # GPS info
        image.save(output, fmt, exif=data.tobytes())
    else:
        image.save(output, fmt)
    return output.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims huge dimensions: a decompression bomb's calling card."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def upload(client, data: bytes, filename: str):
    # A hand-built body: the test client would spool a large one to a temporary file it never closes.
    boundary = "vaxthuset-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/profile/avatar", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_avatar_is_reencoded_to_a_small_square_without_metadata(client, participant, make_profile, login_as):
    make_profile(participant)
    login_as(client, participant)
    for fmt, filename in (("JPEG", "me.jpg"), ("PNG", "me.PNG"), ("WEBP", "me.webp")):
        response = upload(client, image_bytes(fmt, exif=fmt == "JPEG"), filename)
        assert response.status_code == 302, filename
        db.session.expire_all()
        stored = db.session.get(Avatar, participant.id)
        image = Image.open(io.BytesIO(stored.image))
        assert image.format == "JPEG" and image.size == (256, 256)
        assert not image.getexif() and b"SecretCam" not in stored.image


def test_avatar_is_served_with_long_cache_and_etag(client, participant, make_profile, make_user, login_as):
    make_profile(participant)
    login_as(client, participant)
    upload(client, image_bytes(), "me.png")
    etag = db.session.get(Avatar, participant.id).etag
    client.post("/logout")
    login_as(client, make_user())
    page = page_text(client.get("/people/anna.lindqvist"))
    assert f"/people/anna.lindqvist/avatar.jpg?v={etag}" in page
    response = client.get("/people/anna.lindqvist/avatar.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["ETag"] == f'"{etag}"' and "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/people/anna.lindqvist/avatar.jpg", headers={"If-None-Match": f'"{etag}"'}).status_code == 304


def test_avatar_can_be_removed(client, participant, make_profile, login_as):
    make_profile(participant)
    login_as(client, participant)
    upload(client, image_bytes(), "me.png")
    assert client.post("/profile/avatar/delete").status_code == 302
    assert db.session.get(Avatar, participant.id) is None
    assert client.get("/people/anna.lindqvist/avatar.jpg").status_code == 404


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


BAD_AVATARS = [
    (png_header_only(30000, 30000), "bomb.png", "för många bildpunkter"),
    (png_header_only(8000, 8000), "big.png", "för många bildpunkter"),
    (image_bytes("PNG"), "me.jpg", "stämmer inte med namnet"),
    (image_bytes("JPEG"), "me.webp", "stämmer inte med namnet"),
    (SVG, "me.svg", "JPEG, PNG eller WebP"),
    (SVG, "me.png", "inte en bild"),
    (HTML, "me.jpg", "inte en bild"),
    (image_bytes("GIF"), "me.gif", "JPEG, PNG eller WebP"),
    (b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), "huge.jpg", "högst 5 MB"),
    (b"", "empty.png", "inte en bild"),
    (image_bytes("PNG"), "noextension", "JPEG, PNG eller WebP"),
]


def test_bad_avatars_are_refused_with_a_form_error(client, participant, make_profile, login_as):
    make_profile(participant)
    login_as(client, participant)
    for data, filename, message in BAD_AVATARS:
        response = upload(client, data, filename)
        assert response.status_code == 400, filename
        assert message in page_text(response), filename
        assert db.session.get(Avatar, participant.id) is None


def test_avatar_form_without_file_is_an_error(client, participant, login_as):
    login_as(client, participant)
    assert client.post("/profile/avatar", data={}).status_code == 400


# Query counts --------------------------------------------------------------------------------

def add_listed_members(start: int, count: int, organisations: list[Organisation], cohort) -> None:
    """Many listed members quickly: bulk INSERTs (the database indexes them as they come)."""
    password_hash = db.session.scalar(select(User.password_hash).limit(1))
    numbers = range(start, start + count)
    db.session.execute(insert(User), [
        {"email": f"bulk{n}@example.org", "name": f"Bulk Person{n}", "handle": f"bulk.person{n}", "password_hash": password_hash,
         "role": Role.PARTICIPANT, "status": UserStatus.ACTIVE, "language": "sv", "session_token": f"t{n}",
         "organisation_id": organisations[n % len(organisations)].id, "created_at": utcnow()} for n in numbers
    ])
    ids = dict(db.session.execute(select(User.handle, User.id).where(User.handle.like("bulk.person%"))).all())
    user_ids = [ids[f"bulk.person{n}"] for n in numbers]
    areas = list(Area)
    db.session.execute(insert(CohortMembership), [{"user_id": i, "cohort_id": cohort.id, "role": MembershipRole.PARTICIPANT} for i in user_ids])
    db.session.execute(insert(Profile), [
        {"user_id": i, "title": "Chef", "phone": "", "email_visibility": Visibility.COHORT, "phone_visibility": Visibility.COHORT,
         "in_directory": True, "languages": "", "link": "", "bio_source": "", "bio_html": "", "updated_at": utcnow(),
         "last_active_at": utcnow() - timedelta(minutes=i)} for i in user_ids
    ])
    db.session.execute(insert(ProfileArea), [{"user_id": i, "area": area} for i in user_ids for area in {areas[i % len(areas)], Area.HR}])
    db.session.execute(insert(ProfileKeyword), [{"user_id": i, "keyword": "ledarskap"} for i in user_ids])
    db.session.commit()


PAGES = [
    "/people", "/people?q=bulk+chef&area=hr&status=participant", "/people?sort=active&kind=municipality",
    "/people/organisations", "/people/organisations/{org}", "/people/anna.lindqvist", "/people/anna.lindqvist.vcf", "/",
]


def test_pages_issue_the_same_number_of_queries_at_20_and_2000_profiles(client, participant, make_profile, other_org, cohort, count_queries, login_as):
    make_profile(participant, areas=[Area.HR], keywords=["ledarskap"])
    organisations = [participant.organisation, other_org]
    login_as(client, participant)
    paths = [path.format(org=other_org.id) for path in PAGES]
    client.get("/")  # the first page view records activity; measure the steady state
    counts = {}
    for start, count in ((0, 19), (19, 1981)):
        add_listed_members(start, count, organisations, cohort)
        for path in paths:
            with count_queries() as statements:
                assert client.get(path).status_code == 200
            counts.setdefault(path, []).append(len(statements))
    print("query counts at 20 and 2000 profiles:", counts)
    assert all(small == large for small, large in counts.values()), counts
