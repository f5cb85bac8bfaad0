"""Public directory pages and the administrators' directory management."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.errors import DomainError, NotAllowed
from ..core.permissions import Permission, require, require_any
from ..core.web import attach_error, commit, id_arg, render_form
from ..extensions import db
from . import policy, queries, services
from .forms import (
    BodyForm,
    OfficialForm,
    OfficialSearchForm,
    RegionForm,
    ResponsiblePersonForm,
    TopicForm,
    VenueForm,
)
from .models import Body, BodyLevel, Official, Region, Topic, Venue
from .names import short_full_name

bp = Blueprint("directory", __name__, url_prefix="/directory")
admin_bp = Blueprint("directory_admin", __name__, url_prefix="/admin/directory")


@bp.app_template_filter("short_name")
def short_name_filter(full_name: str | None) -> str:
    """A full name written surname first as "Surname I. O." (the talon's "accepted by")."""
    return short_full_name(full_name)


def _or_404(obj):
    if obj is None:
        abort(404)
    return obj


def _id_or_none(value: int | None) -> int | None:
    """Selects use 0 for "none"."""
    return value or None


def _save(form, template: str, change, *, conflict_message, done_message, next_url: str, **context):
    """Validate ``form``, run ``change()`` and commit; on a domain error show it on the form, nothing written.

    NotAllowed is not a form problem: it goes to the error handler (403).
    """
    if form.validate_on_submit():
        try:
            change()
            commit(conflict_message)
        except NotAllowed:
            raise
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status, **context)
        flash(done_message, "success")
        return redirect(next_url)
    return render_form(template, form, **context)


# --- public pages ----------------------------------------------------------------------

@bp.get("/")
def regions():
    return render_template("directory/regions.html", regions=queries.list_regions())


@bp.get("/regions/<code>")
def region(code: str):
    region = _or_404(queries.get_region_by_code(code))
    return render_template("directory/region.html", region=region, groups=queries.region_bodies_by_level(region))


@bp.get("/central")
def central():
    return render_template("directory/central.html", groups=queries.central_bodies_by_level())


@bp.get("/bodies/<int:body_id>")
def body(body_id: int):
    page = _or_404(queries.get_public_body(body_id))
    # The page links the body's calendar feed: reception.calendars provides ``body_calendar_url``.
    return render_template("directory/body.html", page=page, body=page.body)


@bp.get("/officials")
def officials():
    form = OfficialSearchForm(request.args)
    form.region.choices = [("", _("All regions"))] + [(r.code, r.name) for r in queries.list_regions()]
    form.topic.choices = queries.topic_choices(_("All topics"))
    form.validate()
    # A filter that is not understood is dropped (and said so next to it), never an error page.
    ignored = {
        "q": _("This text is too long and was ignored."),
        "region": _("Unknown region: this filter was ignored."),
        "topic": _("Unknown topic: this filter was ignored."),
    }
    for name, note in ignored.items():
        field = form[name]
        if field.errors:
            field.errors = [note]
            field.data = field.default
    region = queries.get_region_by_code(form.region.data) if form.region.data else None
    topic = queries.get(Topic, form.topic.data) if form.topic.data else None
    result = queries.search_officials(form.q.data or "", region, topic)
    return render_template("directory/officials.html", form=form, result=result, region=region, topic=topic,
                           has_notes=bool(form.errors))


# --- administration: regions -------------------------------------------------------------
# Functions are named admin_*; the endpoint names (directory_admin.regions, ...) are what templates use.

@admin_bp.get("/regions", endpoint="regions")
@require(Permission.REGION_MANAGE)
def admin_regions():
    return render_template("directory/admin/regions.html", regions=queries.list_regions())


@admin_bp.route("/regions/<int:region_id>", methods=["GET", "POST"], endpoint="region_edit")
@require(Permission.REGION_MANAGE)
def admin_region_edit(region_id: int):
    region = _or_404(queries.get(Region, region_id))
    form = RegionForm(obj=region)

    def change():
        services.update_region(current_user, region, services.RegionData(
            name_kk=form.name_kk.data, name_ru=form.name_ru.data, name_en=form.name_en.data or "",
            centre_kk=form.centre_kk.data, centre_ru=form.centre_ru.data, centre_en=form.centre_en.data or "",
            timezone=form.timezone.data))

    return _save(form, "directory/admin/region_form.html", change,
                 conflict_message=_l("The region could not be saved."),
                 done_message=_l("The region has been saved."),
                 next_url=url_for("directory_admin.regions"), region=region)


# --- administration: topics --------------------------------------------------------------

@admin_bp.get("/topics", endpoint="topics")
@require(Permission.TOPIC_MANAGE)
def admin_topics():
    return render_template("directory/admin/topics.html", rows=queries.list_topics_with_counts())


def _topic_form(topic: Topic | None) -> TopicForm:
    form = TopicForm(obj=topic)
    # A topic cannot go under itself or its subtopics, so those are not offered.
    excluded = {topic.id} | queries.topic_descendant_ids(topic.id) if topic else set()
    form.parent_id.choices = queries.topic_choices(_l("— none (a top-level topic) —"), exclude_ids=excluded)
    if topic is not None and request.method == "GET":
        form.parent_id.data = topic.parent_id or 0
    return form


def _topic_data(form: TopicForm) -> services.TopicData:
    return services.TopicData(code=form.code.data, parent_id=_id_or_none(form.parent_id.data),
                              name_kk=form.name_kk.data, name_ru=form.name_ru.data, name_en=form.name_en.data or "",
                              position=form.position.data)


@admin_bp.route("/topics/new", methods=["GET", "POST"], endpoint="topic_new")
@require(Permission.TOPIC_MANAGE)
def admin_topic_new():
    form = _topic_form(None)
    return _save(form, "directory/admin/topic_form.html",
                 lambda: services.create_topic(current_user, _topic_data(form)),
                 conflict_message=services.TOPIC_CODE_TAKEN, done_message=_l("The topic has been added."),
                 next_url=url_for("directory_admin.topics"), topic=None)


@admin_bp.route("/topics/<int:topic_id>", methods=["GET", "POST"], endpoint="topic_edit")
@require(Permission.TOPIC_MANAGE)
def admin_topic_edit(topic_id: int):
    topic = _or_404(queries.get(Topic, topic_id))
    form = _topic_form(topic)
    return _save(form, "directory/admin/topic_form.html",
                 lambda: services.update_topic(current_user, topic, _topic_data(form)),
                 conflict_message=services.TOPIC_CODE_TAKEN, done_message=_l("The topic has been saved."),
                 next_url=url_for("directory_admin.topics"), topic=topic)


# --- administration: bodies --------------------------------------------------------------

@admin_bp.get("/bodies", endpoint="bodies")
@require(Permission.BODY_MANAGE)
def admin_bodies():
    region = queries.get_region_by_code(request.args.get("region", ""))
    return render_template("directory/admin/bodies.html", bodies=queries.list_bodies(region.id if region else None),
                           regions=queries.list_regions(), region=region)


def _body_form(body: Body | None) -> BodyForm:
    form = BodyForm(obj=body)
    form.region_id.choices = queries.region_choices(_l("— none (a central body) —"))
    excluded = {body.id} | queries.body_descendant_ids(body.id) if body else set()
    form.parent_id.choices = queries.body_choices(None, blank_label=_l("— none —"), exclude_ids=excluded,
                                                  include_id=body.parent_id if body else None)
    form.topic_ids.choices = queries.topic_choices()
    if body is not None and request.method == "GET":
        form.region_id.data = body.region_id or 0
        form.parent_id.data = body.parent_id or 0
        form.topic_ids.data = [t.id for t in body.topics]
    return form


def _body_data(form: BodyForm) -> services.BodyData:
    return services.BodyData(
        code=form.code.data, level=form.level.data, region_id=_id_or_none(form.region_id.data),
        parent_id=_id_or_none(form.parent_id.data), name_kk=form.name_kk.data, name_ru=form.name_ru.data,
        name_en=form.name_en.data or "", address_kk=form.address_kk.data, address_ru=form.address_ru.data,
        address_en=form.address_en.data, phone=form.phone.data, topic_ids=form.topic_ids.data or [],
        is_active=form.is_active.data)


@admin_bp.route("/bodies/new", methods=["GET", "POST"], endpoint="body_new")
@require(Permission.BODY_MANAGE)
def admin_body_new():
    form = _body_form(None)
    if request.method == "GET":
        form.level.data = BodyLevel.REGIONAL.value
    return _save(form, "directory/admin/body_form.html",
                 lambda: services.create_body(current_user, _body_data(form)),
                 conflict_message=services.BODY_CODE_TAKEN, done_message=_l("The body has been added."),
                 next_url=url_for("directory_admin.bodies"), body=None)


@admin_bp.route("/bodies/<int:body_id>", methods=["GET", "POST"], endpoint="body_edit")
@require(Permission.BODY_MANAGE)
def admin_body_edit(body_id: int):
    body = _or_404(queries.get(Body, body_id))
    form = _body_form(body)
    return _save(form, "directory/admin/body_form.html",
                 lambda: services.update_body(current_user, body, _body_data(form)),
                 conflict_message=services.BODY_CODE_TAKEN, done_message=_l("The body has been saved."),
                 next_url=url_for("directory_admin.bodies"), body=body)


@admin_bp.route("/bodies/<int:body_id>/responsible", methods=["GET", "POST"], endpoint="responsible_person")
@require_any(Permission.BODY_MANAGE, Permission.OFFICIAL_MANAGE, Permission.OFFICIAL_MANAGE_OWN)
def admin_responsible_person(body_id: int):
    """The responsible person of the body's reception office: administrators, and the body's own assistants."""
    body = _or_404(queries.get(Body, body_id))
    if not policy.can_set_responsible_person(current_user, body):
        abort(403)
    form = ResponsiblePersonForm(data=None if request.method == "POST" else {
        "surname": body.responsible_surname, "first_name": body.responsible_first_name,
        "patronymic": body.responsible_patronymic, "position_kk": body.responsible_position_kk,
        "position_ru": body.responsible_position_ru, "position_en": body.responsible_position_en})
    data = services.ResponsiblePersonData(
        surname=form.surname.data, first_name=form.first_name.data, patronymic=form.patronymic.data,
        position_kk=form.position_kk.data, position_ru=form.position_ru.data, position_en=form.position_en.data or "")
    back = (url_for("directory_admin.bodies") if current_user.can(Permission.BODY_MANAGE)
            else url_for("directory_admin.officials"))
    return _save(form, "directory/admin/responsible_form.html",
                 lambda: services.set_responsible_person(current_user, body, data),
                 conflict_message=_l("The responsible person could not be saved."),
                 done_message=_l("The responsible person has been saved."), next_url=back, body=body, back=back)


# --- administration: officials -----------------------------------------------------------

def _official_scope():
    return policy.managed_body_ids(current_user, Permission.OFFICIAL_MANAGE)


@admin_bp.get("/officials", endpoint="officials")
@require_any(Permission.OFFICIAL_MANAGE, Permission.OFFICIAL_MANAGE_OWN)
def admin_officials():
    if not policy.can_manage_officials(current_user):
        abort(403)
    body_id = id_arg("body")
    return render_template("directory/admin/officials.html",
                           officials=queries.list_officials(_official_scope(), body_id),
                           filter_body=queries.get(Body, body_id) if body_id else None)


def _official_form(official: Official | None) -> OfficialForm:
    scope = _official_scope()
    form = OfficialForm(obj=official)
    form.body_id.choices = queries.body_choices(scope, include_id=official.body_id if official else None)
    form.user_id.choices = queries.official_account_choices(scope, _l("— no account —"),
                                                            official.user_id if official else None)
    if request.method == "GET":
        if official is not None:
            form.user_id.data = official.user_id or 0
        elif len(form.body_id.choices) == 1:
            form.body_id.data = form.body_id.choices[0][0]
        else:
            form.body_id.data = id_arg("body")
    return form


def _official_data(form: OfficialForm) -> services.OfficialData:
    return services.OfficialData(
        body_id=form.body_id.data, full_name=form.full_name.data, position_kk=form.position_kk.data,
        position_ru=form.position_ru.data, position_en=form.position_en.data or "", is_head=form.is_head.data,
        user_id=_id_or_none(form.user_id.data), is_active=form.is_active.data)


@admin_bp.route("/officials/new", methods=["GET", "POST"], endpoint="official_new")
@require_any(Permission.OFFICIAL_MANAGE, Permission.OFFICIAL_MANAGE_OWN)
def admin_official_new():
    if not policy.can_manage_officials(current_user):
        abort(403)
    form = _official_form(None)
    return _save(form, "directory/admin/official_form.html",
                 lambda: services.create_official(current_user, _official_data(form)),
                 conflict_message=services.ACCOUNT_TAKEN, done_message=_l("The official has been added."),
                 next_url=url_for("directory_admin.officials"), official=None)


@admin_bp.route("/officials/<int:official_id>", methods=["GET", "POST"], endpoint="official_edit")
@require_any(Permission.OFFICIAL_MANAGE, Permission.OFFICIAL_MANAGE_OWN)
def admin_official_edit(official_id: int):
    official = _or_404(queries.get(Official, official_id))
    if not policy.can_edit_official(current_user, official):
        abort(403)
    form = _official_form(official)
    return _save(form, "directory/admin/official_form.html",
                 lambda: services.update_official(current_user, official, _official_data(form)),
                 conflict_message=services.ACCOUNT_TAKEN, done_message=_l("The official has been saved."),
                 next_url=url_for("directory_admin.officials"), official=official)


# --- administration: venues and studios ----------------------------------------------------

def _venue_scope():
    return policy.managed_body_ids(current_user, Permission.VENUE_MANAGE)


@admin_bp.get("/venues", endpoint="venues")
@require_any(Permission.VENUE_MANAGE, Permission.VENUE_MANAGE_OWN)
def admin_venues():
    if not policy.can_manage_venues(current_user):
        abort(403)
    body_id = id_arg("body")
    return render_template("directory/admin/venues.html", venues=queries.list_venues(_venue_scope(), body_id),
                           filter_body=queries.get(Body, body_id) if body_id else None)


def _venue_form(venue: Venue | None) -> VenueForm:
    form = VenueForm(obj=venue)
    form.body_id.choices = queries.body_choices(_venue_scope(), include_id=venue.body_id if venue else None)
    form.region_id.choices = queries.region_choices()
    if venue is None and request.method == "GET":
        body_id = (form.body_id.choices[0][0] if len(form.body_id.choices) == 1
                   else id_arg("body"))
        body = queries.get(Body, body_id) if body_id else None
        if body is not None:
            form.body_id.data = body.id
            form.region_id.data = body.region_id
    return form


def _venue_data(form: VenueForm) -> services.VenueData:
    return services.VenueData(
        body_id=form.body_id.data, region_id=form.region_id.data, kind=form.kind.data,
        name_kk=form.name_kk.data, name_ru=form.name_ru.data, name_en=form.name_en.data or "",
        address_kk=form.address_kk.data, address_ru=form.address_ru.data, address_en=form.address_en.data or "",
        floor=form.floor.data, phone=form.phone.data, capacity=form.capacity.data, is_active=form.is_active.data)


@admin_bp.route("/venues/new", methods=["GET", "POST"], endpoint="venue_new")
@require_any(Permission.VENUE_MANAGE, Permission.VENUE_MANAGE_OWN)
def admin_venue_new():
    if not policy.can_manage_venues(current_user):
        abort(403)
    form = _venue_form(None)
    return _save(form, "directory/admin/venue_form.html",
                 lambda: services.create_venue(current_user, _venue_data(form)),
                 conflict_message=services.VENUE_NAME_TAKEN, done_message=_l("The venue has been added."),
                 next_url=url_for("directory_admin.venues"), venue=None)


@admin_bp.route("/venues/<int:venue_id>", methods=["GET", "POST"], endpoint="venue_edit")
@require_any(Permission.VENUE_MANAGE, Permission.VENUE_MANAGE_OWN)
def admin_venue_edit(venue_id: int):
    venue = _or_404(queries.get(Venue, venue_id))
    if not policy.can_edit_venue(current_user, venue):
        abort(403)
    form = _venue_form(venue)
    return _save(form, "directory/admin/venue_form.html",
                 lambda: services.update_venue(current_user, venue, _venue_data(form)),
                 conflict_message=services.VENUE_NAME_TAKEN, done_message=_l("The venue has been saved."),
                 next_url=url_for("directory_admin.venues"), venue=venue)
