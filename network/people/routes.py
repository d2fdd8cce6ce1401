"""People views: thin — load, authorize, call a service, commit once, render or redirect."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.budget import QueryTooSlow, query_budget
from network.extensions import db
from network.inputs import query_int
from network.messages import services as messages
from network.people import bp, services
from network.people.forms import AvatarForm, DirectoryForm, ProfileForm
from network.people.models import Area, Visibility
from network.timeutil import local_today

AVATAR_MAX_AGE = 365 * 24 * 3600


@bp.app_template_global()
def profile_url(person) -> str:
    """The profile page of a member (used by other features' templates)."""
    return url_for("people.profile", handle=person.handle)


@bp.app_template_global()
def avatar_url(person) -> str | None:
    """The cache-busting address of the member's picture, or None without one."""
    profile = getattr(person, "profile", None)
    if profile is None or not profile.avatar_etag:
        return None
    return url_for("people.avatar", handle=person.handle, v=profile.avatar_etag)


@bp.get("/people")
@login_required
def directory():
    form = DirectoryForm(request.args)
    form.offer(services.directory_options())
    form.validate()  # a value that matches nothing is dropped and named, never an error page
    ignored = [f for f in form.filters() if f.errors]
    query = services.directory_query({f.name: f.data for f in (form.q, *form.filters()) if f not in ignored},
                                     query_int("page", 1))
    stmt = services.directory_stmt(query, local_today())
    page, status = None, 200
    try:
        with query_budget():
            page = services.paginate_clamped(stmt, query.page, current_app.config["PER_PAGE"])
    except QueryTooSlow:
        status = 422
    writable = messages.writable_ids(current_user, [p.id for p in page.items]) if page else set()
    return render_template("people/directory.html", page=page, form=form, query=query, writable=writable,
                           ignored=[f.label.text for f in ignored], result_cap=services.DIRECTORY_RESULT_CAP), status


@bp.get("/people/organisations")
@login_required
def organisations():
    return render_template("people/organisations.html", rows=services.organisations_with_listed_counts())


@bp.get("/people/organisations/<int:organisation_id>")
@login_required
def organisation(organisation_id: int):
    organisation = services.organisation_or_none(organisation_id) or abort(404)
    query = services.DirectoryQuery(organisation=organisation.id, sort="name", page=query_int("page", 1))
    page = services.paginate_clamped(services.directory_stmt(query, local_today()), query.page, current_app.config["PER_PAGE"])
    return render_template("people/organisation.html", organisation=organisation, page=page)


@bp.get("/people/<handle>")
@login_required
def profile(handle: str):
    member = services.member_by_handle(handle) or abort(404)
    if not permissions.can_see_profile(current_user, member):
        return render_template("people/profile_unlisted.html", member=member)
    exclude = {current_user.organisation_id}
    counterparts = services.counterparts(member, exclude)
    return render_template(
        "people/profile.html", member=member, profile=services.profile_of(member),
        attended=services.cohorts_attended(member, local_today()), counterparts=counterparts,
        status=services.member_status(member, local_today()),
        writable=messages.writable_ids(current_user, [member.id, *(row[0].id for row in counterparts)]),
    )


def _visible_member(handle: str, with_programme: bool = True):
    """The member whose full profile the viewer may see; 404 for unknown and unlisted members alike."""
    member = services.member_by_handle(handle, with_programme)
    if member is None or not permissions.can_see_profile(current_user, member):
        abort(404)
    return member


@bp.get("/people/<handle>.vcf")
@login_required
def contact_card(handle: str):
    """The member's vCard with only the details the viewer may see."""
    member = _visible_member(handle)
    card = services.vcard(member, show_email=permissions.can_see_email(current_user, member),
                          show_phone=permissions.can_see_phone(current_user, member))
    response = current_app.response_class(card, mimetype="text/vcard")
    response.headers["Content-Disposition"] = f'attachment; filename="{member.handle}.vcf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/people/<handle>/avatar.jpg")
@login_required
def avatar(handle: str):
    member = _visible_member(handle, with_programme=False)
    picture = services.avatar_of(member.id) or abort(404)
    response = current_app.response_class(picture.image, mimetype="image/jpeg")
    response.set_etag(picture.etag)
    response.headers["Cache-Control"] = f"private, max-age={AVATAR_MAX_AGE}, immutable"
    return response.make_conditional(request)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = current_user._get_current_object()
    form = ProfileForm(data=_form_data(user))
    if form.validate_on_submit():
        services.save_profile(
            user, title=form.title.data or "", phone=form.phone.data or "",
            email_visibility=Visibility(form.email_visibility.data), phone_visibility=Visibility(form.phone_visibility.data),
            in_directory=form.in_directory.data, languages=form.languages.data or "", link=form.link.data or "",
            bio=form.bio.data or "", areas=[Area(a) for a in form.areas.data or []],
            keywords=services.parse_keywords(form.keywords.data),
        )
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("people.profile", handle=user.handle))
    status = 400 if form.errors else 200
    return render_template("people/profile_form.html", form=form, avatar_form=AvatarForm(formdata=None), member=user), status


def _form_data(user) -> dict:
    profile = services.profile_of(user)
    return {
        "title": profile.title, "phone": profile.phone, "languages": profile.languages, "link": profile.link,
        "in_directory": profile.in_directory, "bio": profile.bio_source,
        "areas": [a.value for a in profile.area_values], "keywords": ", ".join(profile.keyword_values),
        "email_visibility": profile.email_visibility.value, "phone_visibility": profile.phone_visibility.value,
    }


@bp.post("/profile/avatar")
@login_required
def upload_avatar():
    user = current_user._get_current_object()
    avatar_form = AvatarForm()
    if avatar_form.validate_on_submit():
        upload = avatar_form.avatar.data
        try:
            picture = services.normalise_avatar(upload.read(services.AVATAR_MAX_BYTES + 1), upload.filename or "")
        except services.AvatarRejected as rejected:
            avatar_form.avatar.errors.append(rejected.message)
        else:
            services.set_avatar(user, picture)
            db.session.commit()
            flash(_("Your profile picture is saved."), "success")
            return redirect(url_for("people.edit_profile"))
    form = ProfileForm(formdata=None, data=_form_data(user))
    return render_template("people/profile_form.html", form=form, avatar_form=avatar_form, member=user), 400


@bp.post("/profile/avatar/delete")
@login_required
def delete_avatar():
    services.remove_avatar(current_user._get_current_object())
    db.session.commit()
    flash(_("Your profile picture is removed."), "success")
    return redirect(url_for("people.edit_profile"))
