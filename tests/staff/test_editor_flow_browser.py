"""In a real Chromium at a desktop's width: an editor makes an event, lands on its page with the
event chosen, submits the page for moderation, and once approved the page sells tickets. The
admin shows the default avatar, with nothing blocked by the Content Security Policy."""

import os
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.models import GroupApprovalTask, GroupPagePermission, Page, Workflow, WorkflowPage, WorkflowTask

from home.models import EventPage
from tests.factories import events_index, make_staff
from ticketing.models import Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Set to a folder to keep a screenshot of each step at a desktop's width.
SHOTS = os.environ.get("EDITOR_SCREENSHOTS")
PASSWORD = "staff-password-1"
# The Editors group's rights, given directly: a transactional test empties the tables, and with
# them the groups and the workflow the migrations made (test_staff_groups checks the real ones).
EDITOR_PERMISSIONS = (
    "access_admin",
    "view_event",
    "add_event",
    "change_event",
    "view_tickettype",
    "add_tickettype",
    "change_tickettype",
)


def shoot(page, name):
    if not SHOTS:
        return
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)


def editors_and_moderation():
    """An Editors group that edits pages, and Wagtail's "Moderators approve" workflow on the site
    (those the migrations made, if this test runs before anything emptied the tables)."""
    root = Page.get_first_root_node()
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(*Permission.objects.filter(codename__in=EDITOR_PERMISSIONS))
    for codename in ("add_page", "change_page"):
        GroupPagePermission.objects.get_or_create(
            group=editors, page=root, permission=Permission.objects.get(codename=codename)
        )
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    if not WorkflowPage.objects.filter(page=root, workflow__active=True).exists():
        task = GroupApprovalTask.objects.create(name="Moderators approval")
        task.groups.set([moderators])
        workflow = Workflow.objects.create(name="Moderators approve")
        WorkflowTask.objects.create(workflow=workflow, task=task.task_ptr, sort_order=0)
        WorkflowPage.objects.create(workflow=workflow, page=root)
    return moderators


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_an_editor_makes_an_event_and_its_page_and_the_approved_page_sells(page, live_server):
    moderators = editors_and_moderation()
    events_index()
    make_staff("writer", password=PASSWORD, groups=["Editors"])
    moderator = make_staff("approver", groups=["Moderators"])
    page.goto(f"{live_server.url}/admin/login/")
    page.fill('input[name="username"]', "writer")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/$"))

    # The admin's avatar is Wagtail's default one, not gravatar's (which the CSP would block).
    avatar = page.locator(".avatar img").first
    expect(avatar).to_have_attribute("src", re.compile(r"default-user-avatar"))
    shoot(page, "editor-dashboard")

    page.goto(f"{live_server.url}/admin/ticketing/event/create/")
    now = timezone.now()
    page.fill("#id_title", "Harbour Jazz")
    page.fill("#id_venue", "Jersey Arts Centre")
    page.fill("#id_starts_at", local(now + timedelta(days=30)))
    page.select_option("#id_status", Event.Status.ON_SALE)
    page.fill("#id_sales_start", local(now - timedelta(days=1)))
    page.keyboard.press("Escape")  # close the date picker the last field opened
    if page.locator("#id_ticket_types-0-name").count() == 0:
        page.get_by_role("button", name=re.compile("Add ticket type", re.I)).click()
    page.fill("#id_ticket_types-0-name", "Adult")
    page.fill("#id_ticket_types-0-price", "22.50")
    page.fill("#id_ticket_types-0-capacity", "100")
    shoot(page, "new-event-form")
    page.get_by_role("button", name="Save").first.click()

    # Saved: straight on to the new event page, the event already chosen.
    page.wait_for_url(re.compile(r"/admin/pages/events/\d+/add-page/$"))
    event = Event.objects.get(title="Harbour Jazz")
    expect(page.locator("#id_event")).to_have_value(str(event.pk))
    expect(page.get_by_role("link", name="Edit tickets")).to_be_visible()
    expect(page.locator(".event-sales-panel")).to_contain_text("£22.50")
    page.fill("#id_title", "Harbour Jazz")
    page.fill("#id_summary", "Late-night jazz by the harbour.")
    shoot(page, "new-event-page-form")
    # Editors submit for moderation; the button is in the page's action menu.
    page.locator("[data-w-dropdown-target='toggle'], .dropdown-toggle").last.click()
    page.get_by_role("button", name=re.compile("Submit to Moderators approval")).click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/$"))
    event_page = EventPage.objects.get(event=event)
    assert event_page.workflow_in_progress and not event_page.live
    shoot(page, "page-submitted")

    # A moderator approves (Wagtail's own step); the page is then live and sells the tickets.
    task_state = event_page.current_workflow_task_state
    task_state.task.specific.on_action(task_state, moderator, "approve")
    event_page.refresh_from_db()
    assert event_page.live and moderators.user_set.filter(pk=moderator.pk).exists()
    page.goto(f"{live_server.url}{event_page.url}")
    expect(page.locator("form.checkout-form")).to_be_visible()
    shoot(page, "event-page-on-sale")

    blocked = [
        error for error in page.console_errors if "Content Security Policy" in error or "gravatar" in error
    ]
    assert blocked == []
