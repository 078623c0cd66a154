"""Every admin URL, opened as every staff role: each role reaches what its job needs, and the
rest of the admin answers it with a refusal (403, or a redirect to the dashboard or the login).

The URLconf itself is walked (`django.urls.get_resolver()`), so a view that joins the admin
later (Wagtail's, a new app's, one a hook registers) is walked too, and this test fails until
ACCESS below says who may open it. Path arguments get the ids of real records (see the
`records` fixture), so a refusal is the view's answer and not a 404 for a made-up id; the
superuser's walk proves that every URL opens at all.
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.urls import URLResolver, get_resolver, reverse
from wagtail import hooks
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import ModelLogEntry, Page, PageLogEntry, Revision

from legal.models import DataRequest
from tests.staff.conftest import ROLES
from ticketing.models import BuyerEmail, Event, Order, ReconciliationMismatch, Refund, Ticket

pytestmark = pytest.mark.django_db

# Staff pages outside /admin/, walked with it: the door scanner.
STAFF_PAGES = ("ticketing:check-in", "ticketing:check-in-event")

E, B, F, P, D, SU = "editors", "box_office", "finance", "privacy", "door_staff", "superuser"
EVERY_JOB = frozenset({E, B, F, P, D, SU})
EDITORS = frozenset({E, SU})
SUPERUSERS = frozenset({SU})
# Pages of records that are evidence: no one adds, edits or deletes them, superusers neither.
NOBODY = frozenset()
# Pages anyone may open, signed in or not, with a job in the admin or not.
PUBLIC = frozenset({*EVERY_JOB, "no_group"})


def group(names, roles):
    return dict.fromkeys(names.split(), frozenset(roles))


def modeladmin(model, list_roles, *, edit=NOBODY, create=NOBODY, delete=NOBODY):
    """The six pages wagtail-modeladmin makes for a model: list, inspect and history open to
    whoever may list (and superusers); edit, create and delete each to their own."""
    prefix = f"{model.replace('.', '_')}_modeladmin_"
    list_roles = frozenset({*list_roles, SU})
    return {
        f"{prefix}index": list_roles,
        f"{prefix}inspect": list_roles,
        f"{prefix}history": list_roles,
        f"{prefix}edit": frozenset(edit),
        f"{prefix}create": frozenset(create),
        f"{prefix}delete": frozenset(delete),
    }


# Who may open each URL (by view name; by route where it has none).
# The README's "who may do what" table says the same in words.
ACCESS = {
    # --- Everyone with a job in the admin: the dashboard, their account, the admin's assets.
    **group("wagtailadmin_home wagtailadmin_account wagtail_modeladmin:javascript_catalog", EVERY_JOB),
    # --- Signing in, and the icons and translations the login page uses: public.
    **group(
        "wagtailadmin_login wagtailadmin_password_reset wagtailadmin_password_reset_done "
        "wagtailadmin_password_reset_confirm wagtailadmin_password_reset_complete "
        "wagtailadmin_sprite wagtailadmin_javascript_catalog",
        PUBLIC,
    ),
    # The site settings' old address (before they moved to core) redirects, for everyone.
    "admin/settings/home/sitesettings/": PUBLIC,
    "admin/settings/home/sitesettings/<int:site_pk>/": PUBLIC,
    # --- Editors: pages, images, documents, the choosers and tools of the page editor.
    **group(
        "wagtailadmin_explore_root wagtailadmin_explore wagtailadmin_explore_results "
        "wagtailadmin_pages:add wagtailadmin_pages:preview_on_add wagtailadmin_pages:type_use "
        "wagtailadmin_pages:choose_parent wagtailadmin_pages:type_use_results wagtailadmin_pages:usage "
        "wagtailadmin_pages:edit wagtailadmin_pages:preview_on_edit wagtailadmin_pages:view_draft "
        "wagtailadmin_pages:add_subpage wagtailadmin_pages:convert_alias "
        "wagtailadmin_pages:search wagtailadmin_pages:search_results "
        "wagtailadmin_pages:move_confirm wagtailadmin_pages:copy "
        "wagtailadmin_pages:confirm_workflow_cancellation "
        "wagtailadmin_pages:revisions_index wagtailadmin_pages:revisions_view "
        "wagtailadmin_pages:revisions_revert wagtailadmin_pages:revisions_compare "
        "wagtailadmin_pages:workflow_history wagtailadmin_pages:workflow_history_detail "
        "wagtailadmin_pages:history wagtailadmin_pages:history_results "
        "wagtailadmin_api:pages:listing wagtailadmin_api:pages:detail wagtailadmin_api:pages:find "
        "wagtailadmin_choose_page wagtailadmin_choose_page_child wagtailadmin_choose_page_search "
        "wagtailadmin_choose_page_chosen_multiple wagtailadmin_choose_page_external_link "
        "wagtailadmin_choose_page_email_link wagtailadmin_choose_page_phone_link "
        "wagtailadmin_choose_page_anchor_link wagtailadmin_tag_autocomplete "
        "wagtailadmin_tag_model_autocomplete wagtailadmin_block_preview "
        "wagtailembeds:chooser wagtailembeds:chooser_upload "
        "wagtailimages:index wagtailimages:index_results wagtailimages:edit wagtailimages:delete "
        "wagtailimages:preview "
        "wagtailimages:add wagtailimages:image_usage wagtailimages:add_multiple "
        "wagtailimages_chooser:choose wagtailimages_chooser:choose_results wagtailimages_chooser:chosen "
        "wagtailimages_chooser:chosen_multiple wagtailimages_chooser:create "
        "wagtailimages_chooser:select_format "
        "wagtailadmin_api:images:listing wagtailadmin_api:images:detail wagtailadmin_api:images:find "
        "wagtaildocs:index wagtaildocs:index_results wagtaildocs:add wagtaildocs:edit wagtaildocs:delete "
        "wagtaildocs:add_multiple wagtaildocs:document_usage "
        "wagtaildocs_chooser:choose wagtaildocs_chooser:choose_results wagtaildocs_chooser:chosen "
        "wagtaildocs_chooser:chosen_multiple wagtaildocs_chooser:create "
        "wagtailadmin_api:documents:listing wagtailadmin_api:documents:detail "
        "wagtailadmin_api:documents:find "
        "wagtailsettings:edit:core.sitesettings wagtailsettings:edit:legal.cookieconsentsettings "
        # Wagtail shows these confirmation pages to editors, then acts only on the pages each
        # editor may (deleting or publishing: none; Moderators publish).
        "wagtail_bulk_action:wagtailcore.page:delete wagtail_bulk_action:wagtailcore.page:move "
        "wagtail_bulk_action:wagtailcore.page:unpublish wagtail_bulk_action:wagtailcore.page:publish "
        # The content reports, the audit log of what they may see, and the workflow task
        # chooser, as Wagtail gives them to its Editors.
        "wagtailadmin_reports:workflow wagtailadmin_reports:workflow_results "
        "wagtailadmin_reports:workflow_tasks wagtailadmin_reports:workflow_tasks_results "
        "wagtailadmin_reports:site_history wagtailadmin_reports:site_history_results "
        "wagtailadmin_reports:aging_pages wagtailadmin_reports:aging_pages_results "
        "wagtailadmin_reports:page_types_usage wagtailadmin_reports:page_types_usage_results "
        "wagtailadmin_workflows:task_chooser wagtailadmin_workflows:task_chooser_results "
        "wagtailadmin_workflows:task_chooser_create wagtailadmin_workflows:task_chosen "
        "wagtail_bulk_action:wagtailimages.image:delete wagtail_bulk_action:wagtailimages.image:add_tags "
        "wagtail_bulk_action:wagtailimages.image:add_to_collection "
        "wagtail_bulk_action:wagtaildocs.document:delete wagtail_bulk_action:wagtaildocs.document:add_tags "
        "wagtail_bulk_action:wagtaildocs.document:add_to_collection",
        EDITORS,
    ),
    # --- What Wagtail's Editors may not do to pages (Wagtail's Moderators may): delete, move,
    # unpublish, lock, restrict, moderate.
    **group(
        "wagtailadmin_reports:locked_pages wagtailadmin_reports:locked_pages_results "
        "wagtailadmin_pages:delete wagtailadmin_pages:unpublish wagtailadmin_pages:move "
        "wagtailadmin_pages:set_privacy wagtailadmin_pages:revisions_unschedule "
        "wagtailadmin_collections:set_privacy wagtailadmin_pages:workflow_preview "
        "wagtailadmin_pages:workflow_action wagtailadmin_pages:collect_workflow_action_data",
        SUPERUSERS,
    ),
    # --- Superusers only: who may sign in and what they may do, sites, collections, workflows,
    # redirects, the worker's jobs.
    **group(
        "wagtailusers_users:index wagtailusers_users:index_results wagtailusers_users:add "
        "wagtailusers_users:edit wagtailusers_users:delete wagtailusers_users:history "
        "wagtailusers_users:history_results wagtailusers_users:usage wagtailusers_users:copy "
        "wagtail_bulk_action:auth.user:delete wagtail_bulk_action:auth.user:assign_role "
        "wagtail_bulk_action:auth.user:set_active_state "
        "wagtailusers_groups:index wagtailusers_groups:index_results wagtailusers_groups:add "
        "wagtailusers_groups:edit wagtailusers_groups:delete wagtailusers_groups:history "
        "wagtailusers_groups:history_results wagtailusers_groups:usage "
        "wagtailsites:index wagtailsites:index_results wagtailsites:add wagtailsites:edit "
        "wagtailsites:delete wagtailsites:history wagtailsites:history_results wagtailsites:usage "
        "wagtailsites:copy "
        "wagtailadmin_collections:index wagtailadmin_collections:add wagtailadmin_collections:edit "
        "wagtailadmin_collections:delete "
        "wagtailadmin_workflows:index wagtailadmin_workflows:index_results wagtailadmin_workflows:add "
        "wagtailadmin_workflows:edit wagtailadmin_workflows:usage wagtailadmin_workflows:usage_results "
        "wagtailadmin_workflows:add_task "
        "wagtailadmin_workflows:select_task_type wagtailadmin_workflows:task_index "
        "wagtailadmin_workflows:task_index_results wagtailadmin_workflows:edit_task "
        "wagtailadmin_workflows:disable wagtailadmin_workflows:disable_task "
        "wagtailredirects:index wagtailredirects:index_results wagtailredirects:add wagtailredirects:edit "
        "wagtailredirects:delete wagtailredirects:start_import "
        "wagtailsnippets:index",
        SUPERUSERS,
    ),
    # --- Ticketing.
    # Finance sees events too: "Cancel event" is on the event's page.
    **modeladmin("ticketing.event", {E, F}, edit=EDITORS, create=EDITORS, delete=SUPERUSERS),
    # Promo codes are marketing's: Editors make them; Finance sees them (they explain discounts).
    **modeladmin("ticketing.promocode", {E, F}, edit=EDITORS, create=EDITORS, delete=SUPERUSERS),
    **modeladmin("ticketing.order", {B, F}, edit=SUPERUSERS),
    **modeladmin("ticketing.ticket", {B}),
    **modeladmin("ticketing.buyeremail", {B}),
    # The waiting list of sold-out tickets: the box office answers "am I on the list?".
    **modeladmin("ticketing.waitinglistentry", {B}),
    **modeladmin("ticketing.payment", {F}),
    **modeladmin("ticketing.webhookevent", {F}),
    **modeladmin("ticketing.refund", {F}),
    **modeladmin("ticketing.reconciliationmismatch", {F}),
    **modeladmin("ticketing.scheduledjob", NOBODY),
    "ticketing_order_resend_tickets": frozenset({B, SU}),
    # The box office's own actions on an order (not Finance's: README "Who may do what").
    **group("ticketing_order_cancel ticketing_order_mark_reviewed ticketing_order_correct_contact", {B, SU}),
    "ticketing_order_refund": frozenset({F, SU}),
    "ticketing_event_cancel": frozenset({F, SU}),
    "ticketing_mismatch_resolve": frozenset({F, SU}),
    # Who is coming: the attendee list and its CSV for the box office; the printable door
    # list for whoever checks tickets in; the page choosing an event for both.
    "ticketing_attendees": frozenset({B, D, SU}),
    "ticketing_event_attendees": frozenset({B, SU}),
    "ticketing_event_attendees_csv": frozenset({B, SU}),
    "ticketing_event_door_list": frozenset({B, D, SU}),
    # An event's page, from the event just saved (or the page it has already).
    "home_event_page_add": EDITORS,
    "ticketing:check-in": frozenset({B, D, SU}),
    "ticketing:check-in-event": frozenset({B, D, SU}),
    # --- Signing in with a second factor: setting up an authenticator app and typing its code,
    # for everyone who may sign in (required for some, optional for the rest); lifting sign-in
    # lock-outs, for superusers.
    **group("two_factor_setup two_factor_verify", EVERY_JOB),
    "sign_in_locks": SUPERUSERS,
    # --- Privacy.
    **modeladmin("legal.datarequest", {P}, create={P, SU}),
    **group(
        "legal_datarequest_export legal_datarequest_erase legal_datarequest_reject "
        "legal_datarequest_bulk_erase legal_personal_data",
        {P, SU},
    ),
}

# What an allowed role gets, where it is not a 200 page.
ANSWER = {
    # The walk's data request still waits for its e-mailed link: nothing can be exported or
    # erased yet, and staff are sent back to it with a message; erasing several with none
    # chosen sends them back to the list.
    "legal_datarequest_export": 302,
    # Someone without an authenticator app is sent to set one up; someone whose code was
    # already taken at sign-in goes on to the admin.
    "two_factor_verify": {200, 302},
    "legal_datarequest_erase": 302,
    "legal_datarequest_bulk_erase": 302,
    # Signed in already: on to the dashboard.
    "wagtailadmin_login": 302,
    "admin/settings/home/sitesettings/": 302,
    "admin/settings/home/sitesettings/<int:site_pk>/": 302,
    # With a site in the URL, the form; without, on to the default site's.
    "wagtailsettings:edit:core.sitesettings": {200, 302},
    "wagtailsettings:edit:legal.cookieconsentsettings": {200, 302},
    # A lookup by id answers with a redirect to the record.
    "wagtailadmin_api:pages:find": 302,
    "wagtailadmin_api:documents:find": 302,
    "wagtailadmin_api:images:find": 302,
    # One kind of page may go there (or one kind of task exists): on to its form.
    "wagtailadmin_pages:choose_parent": 302,
    "wagtailadmin_pages:add_subpage": 302,
    "wagtailadmin_workflows:select_task_type": 302,
    # Wagtail shows a page's revisions in its history.
    "wagtailadmin_pages:revisions_index": 302,
    # No snippets are registered: on to the dashboard.
    "wagtailsnippets:index": 302,
    # The walk's event has its page already: on to it.
    "home_event_page_add": 302,
}
# Door staff land on the scanner rather than the dashboard.
ANSWER_FOR = {("wagtailadmin_home", D): 302, ("wagtailadmin_login", "no_group"): 200}

# URLs a GET cannot test, each with the reason. (The site's own staff actions are POSTed by
# every role in test_staff_actions; these are Wagtail's.)
SKIPPED = {
    "admin/^.*/$": "the admin's catch-all 404, no view of its own",
    "admin/test404/": "Wagtail's sample 404 page",
    "wagtailadmin_logout": "POST only (signing out); a GET answers 405 for everyone",
    "wagtailadmin_dismissibles": "POST only (remembers a dismissed hint for the user themselves)",
    "wagtailadmin_editing_sessions:ping": "POST only (the editor's 'someone else is editing' ping)",
    "wagtailadmin_editing_sessions:release": "POST only",
    "wagtailadmin_pages:set_page_position": "POST only (reordering pages)",
    "wagtailadmin_api:pages:action": "POST only (page actions from the explorer)",
    "wagtailimages:edit_multiple": "POST only (the multiple uploader)",
    "wagtailimages:delete_multiple": "POST only (the multiple uploader)",
    "wagtailimages:create_multiple_from_uploaded_image": "POST only (the multiple uploader)",
    "wagtailimages:delete_upload_multiple": "POST only (the multiple uploader)",
    "wagtaildocs:edit_multiple": "POST only (the multiple uploader)",
    "wagtaildocs:delete_multiple": "POST only (the multiple uploader)",
    "wagtaildocs:create_multiple_from_uploaded_document": "POST only (the multiple uploader)",
    "wagtaildocs:delete_upload_multiple": "POST only (the multiple uploader)",
    "wagtailadmin_pages:lock": "POST only",
    "wagtailadmin_pages:unlock": "POST only",
    "wagtailadmin_workflows:enable": "POST only",
    "wagtailadmin_workflows:remove": "POST only",
    "wagtailadmin_workflows:enable_task": "POST only",
    "wagtailredirects:process_import": "POST only (the second step of an import)",
    "wagtailsettings:preview_on_edit": "the settings have no preview: 404 for everyone",
    "wagtailimages:url_generator": "no dynamic image serve view is installed: 404 for everyone",
    "wagtailimages:url_generator_output": "no dynamic image serve view is installed: 404 for everyone",
}


# Where the refusal is a 404: the view looks the record up among those the user may act on, so
# the answer says nothing about whether it exists.
REFUSED_AS_NOT_FOUND = {"wagtailadmin_collections:delete"}


# --- Walking the URLconf --------------------------------------------------------------------


def patterns():
    """(view name or route, route, pattern) of every URL pattern in the project."""

    def walk(entries, prefix, namespace):
        for entry in entries:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = ":".join(part for part in (namespace, entry.namespace) if part)
                yield from walk(entry.url_patterns, route, inner)
            else:
                name = ":".join(part for part in (namespace, entry.name) if part) if entry.name else None
                yield name or route, route, entry

    yield from walk(get_resolver().url_patterns, "", "")


def arguments(pattern):
    """The names of a pattern's path arguments, whether a route (<int:pk>) or a regex ((?P<pk>))."""
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return list(converters)
    return list(pattern.pattern.regex.groupindex)


def record_of(name, records):
    """The record an id in `name`'s URL stands for ("pk", "instance_pk"): from the URL's name."""
    for prefix, key in SUBJECTS:
        if name.startswith(prefix):
            return records[key]
    # ModelAdmin's and our own actions: "ticketing_order_modeladmin_edit", "ticketing_order_refund".
    app_label, _, rest = name.partition("_")
    for model in apps.get_app_config(app_label).get_models() if app_label in apps.app_configs else ():
        if rest.startswith(f"{model._meta.model_name}_"):
            for record in records.values():
                if isinstance(record, model):
                    return record
            raise AssertionError(f"no {model.__name__} among the walk's records for {name}: add one")
    raise AssertionError(f"the walk does not know which record {name}'s id is: add it to SUBJECTS")


# Which record an id means, by the URL name's beginning, where the name does not say a model.
SUBJECTS = [
    ("wagtailadmin_api:pages:", "page"),
    ("wagtailadmin_api:documents:", "document"),
    ("wagtailadmin_api:images:", "image"),
    ("wagtailadmin_collections:", "collection"),
    ("wagtailadmin_workflows:edit_task", "task"),
    ("wagtailadmin_workflows:enable_task", "task"),
    ("wagtailadmin_workflows:disable_task", "task"),
    ("wagtailadmin_workflows:", "workflow"),
    ("wagtailadmin_pages:revisions_compare", "page"),
    ("wagtailsites:", "site"),
    ("wagtailsettings:", "site"),
    ("wagtailusers_users:", "user"),
    ("wagtailusers_groups:", "group"),
    ("wagtaildocs_chooser:", "document"),
    ("wagtailimages_chooser:", "image"),
    ("ticketing_mismatch_", "mismatch"),
]

# Ids that say what they are, whatever the URL.
BY_ARGUMENT = {
    "page_id": lambda r: r["page"].pk,
    "page_pk": lambda r: r["page"].pk,
    "page_to_move_id": lambda r: r["page"].pk,
    "parent_page_id": lambda r: r["page"].get_parent().pk,
    "destination_id": lambda r: r["page"].get_parent().pk,
    "revision_id": lambda r: r["revision"].pk,
    "revision_id_a": lambda r: "earliest",
    "revision_id_b": lambda r: "latest",
    "image_id": lambda r: r["image"].pk,
    "document_id": lambda r: r["document"].pk,
    "doc_id": lambda r: r["document"].pk,
    "collection_id": lambda r: r["collection"].pk,
    "redirect_id": lambda r: r["redirect"].pk,
    "task_id": lambda r: r["task"].pk,
    "task_state_id": lambda r: r["task_state"].pk,
    "workflow_state_id": lambda r: r["workflow_state"].pk,
    "workflow_pk": lambda r: r["workflow"].pk,
    "site_pk": lambda r: r["site"].pk,
    "event_id": lambda r: r["event"].pk,
    "filter_spec": lambda r: "original",
    "action_name": lambda r: "approve",
    "uidb64": lambda r: "MQ",
    "token": lambda r: "set-password",
}


def model_arguments(name):
    """For URLs that name a model in their path: (label suffix, arguments) for each model walked."""
    if name.startswith("wagtailsettings:"):
        return [
            (f"{model._meta.app_label}.{model._meta.model_name}", _model_kwargs(model))
            for model in settings_registry
        ]
    if name == "wagtail_bulk_action":
        return [
            (
                f"{model._meta.app_label}.{model._meta.model_name}:{action.action_type}",
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "action": action.action_type,
                },
            )
            for action in hooks.get_hooks("register_bulk_action")
            for model in action.models
        ]
    assert name in MODEL_OF, f"the walk does not know which model {name} is about: add it to MODEL_OF"
    return [("", _model_kwargs(apps.get_model(MODEL_OF[name])))]


# The model a URL that names one in its path is walked with.
MODEL_OF = {
    "wagtailadmin_pages:add": "home.eventpage",
    "wagtailadmin_pages:preview_on_add": "home.eventpage",
    "wagtailadmin_pages:type_use": "home.eventpage",
    "wagtailadmin_pages:type_use_results": "home.eventpage",
    "wagtailadmin_pages:choose_parent": "home.eventpage",
    "wagtailadmin_workflows:add_task": "wagtailcore.groupapprovaltask",
    "wagtailadmin_tag_model_autocomplete": "taggit.tag",
}


def _model_kwargs(model):
    app_label, model_name = model._meta.app_label, model._meta.model_name
    return {
        "app_label": app_label,
        "app_name": app_label,
        "content_type_app_name": app_label,
        "model_name": model_name,
        "content_type_model_name": model_name,
    }


MODEL_ARGUMENTS = {"app_label", "app_name", "content_type_app_name", "model_name", "content_type_model_name"}


def walked_urls(records):
    """(label, URL) of every admin URL and staff page; `label` is the view name, or its route
    where it has none, with the model it is about where the path names one."""
    urls = []
    for name, route, pattern in patterns():
        if not (route.startswith("admin/") or name in STAFF_PAGES) or name in SKIPPED:
            continue
        names = arguments(pattern)
        variants = model_arguments(name) if MODEL_ARGUMENTS & set(names) else [("", {})]
        for suffix, model_kwargs in variants:
            kwargs = {}
            for argument in names:
                if (name, argument) in OVERRIDES:
                    kwargs[argument] = OVERRIDES[name, argument](records)
                elif argument in model_kwargs:
                    kwargs[argument] = model_kwargs[argument]
                elif argument in ("pk", "instance_pk"):
                    kwargs[argument] = record_of(name, records).pk
                elif argument in BY_ARGUMENT:
                    kwargs[argument] = BY_ARGUMENT[argument](records)
                else:
                    raise AssertionError(f"the walk cannot fill {argument} in {name}: add it to BY_ARGUMENT")
            label = f"{name}:{suffix}" if suffix else name
            if route == name:  # no name to reverse
                url = "/" + route
                for argument, value in kwargs.items():
                    url = url.replace(f"<int:{argument}>", str(value))
            else:
                url = reverse(name, kwargs=kwargs)
            query = QUERIES[name](records) if name in QUERIES else ""
            urls.append((label, url + query))
    return urls


# Query strings some views need to show their page: the records they act on.
QUERIES = {
    "wagtail_bulk_action": lambda r: "?id=all",
    "wagtailadmin_api:pages:find": lambda r: f"?id={r['page'].pk}",
    "wagtailadmin_api:documents:find": lambda r: f"?id={r['document'].pk}",
    "wagtailadmin_api:images:find": lambda r: f"?id={r['image'].pk}",
    "wagtailadmin_block_preview": lambda r: f"?id={r['block_id']}",
}
# Ids that depend on the URL, not only on the argument's name.
OVERRIDES = {
    ("wagtailadmin_pages:convert_alias", "page_id"): lambda r: r["alias"].pk,
}


# --- What each role gets ----------------------------------------------------------------------


def refused(response) -> bool:
    """A 403, or Wagtail's way of refusing: a redirect to the dashboard or to the login."""
    if response.status_code == 403:
        return True
    if response.status_code in (301, 302):
        location = response["Location"].split("?")[0]
        return location in (reverse("wagtailadmin_home"), reverse("wagtailadmin_login"))
    return False


def test_every_walked_url_is_classified(records):
    labels = {label for label, _ in walked_urls(records)}
    unclassified = sorted(labels - set(ACCESS))
    assert not unclassified, f"say who may open these in ACCESS: {unclassified}"
    assert not set(ACCESS) - labels, f"no longer in the URLconf: {sorted(set(ACCESS) - labels)}"
    names = {name for name, _, _ in patterns()}
    assert not set(SKIPPED) - names, f"skipped, but no longer in the URLconf: {sorted(set(SKIPPED) - names)}"


def refused_here(label, response) -> bool:
    return refused(response) or (label in REFUSED_AS_NOT_FOUND and response.status_code == 404)


def what_staff_could_change():
    """What any admin action leaves different: records, their states, and the audit logs."""
    return {
        "log entries": ModelLogEntry.objects.count() + PageLogEntry.objects.count(),
        "pages": list(Page.objects.values_list("pk", "live", "locked", "title")),
        "revisions": Revision.objects.count(),
        "orders": list(Order.objects.values_list("pk", "status", "name", "email")),
        "tickets": list(Ticket.objects.values_list("pk", "checked_in_at", "voided_at")),
        "refunds": Refund.objects.count(),
        "e-mails": BuyerEmail.objects.count(),
        "events": list(Event.objects.values_list("pk", "title", "status")),
        "mismatches open": ReconciliationMismatch.objects.filter(resolved_at__isnull=True).count(),
        "data requests": list(DataRequest.objects.values_list("pk", "status", "email")),
        "images": Image.objects.count(),
        "documents": Document.objects.count(),
        "users": list(User.objects.values_list("pk", "is_active", "is_superuser")),
        "groups": sorted(Group.objects.values_list("name", "permissions")),
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_admin_pages_of_its_job_and_can_post_to_no_other(
    role, records, signed_in_as
):
    """GET every URL: what the role may open answers as it should, the rest refuses. Then POST
    (an empty form) to every URL it may not open: refused too, and nothing changed, so that no
    view checks its permission on GET only and a staff action added later is covered without
    being listed anywhere. (One test for both: the records are made once per role.)"""
    client = signed_in_as(role)
    client.raise_request_exception = False
    urls = walked_urls(records)
    wrong = []
    for label, url in urls:
        response = client.get(url)
        if role in ACCESS.get(label, ()):
            expected = ANSWER_FOR.get((label, role), ANSWER.get(label, 200))
            if response.status_code not in (expected if isinstance(expected, set) else {expected}):
                wrong.append(f"GET {label} {url}: {response.status_code}, expected {expected}")
        elif not refused_here(label, response):
            where = response.get("Location", "")
            wrong.append(f"GET {label} {url}: {response.status_code} {where}, expected a refusal")

    before = what_staff_could_change()
    for label, url in urls:
        if role in ACCESS.get(label, ()):
            continue
        response = client.post(url, {})
        # 405: a view that takes no POST at all (the scanner's list of events).
        if response.status_code != 405 and not refused_here(label, response):
            where = response.get("Location", "")
            wrong.append(f"POST {label} {url}: {response.status_code} {where}, expected a refusal")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
    after = what_staff_could_change()
    assert after == before, {key: (before[key], after[key]) for key in before if before[key] != after[key]}


def test_wagtails_error_test_page_is_not_routed(signed_in_as):
    """/admin/failwhale/ raises on purpose in Wagtail: here it is not a page, for superusers neither."""
    client = signed_in_as("superuser")
    client.raise_request_exception = False
    assert client.get("/admin/failwhale/").status_code == 404
