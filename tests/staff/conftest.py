"""Fixtures for the staff-role tests: one member of staff per group, and one of everything the
admin shows, so that every admin URL can be opened with a real id."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.blocks import Block
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Collection, Site, Task, Workflow

from legal.models import DataRequest
from tests.factories import make_event, make_event_page, make_paid_order, make_refund, make_staff, signed_in
from ticketing.models import PromoCode, ReconciliationMismatch, ScheduledJob, WaitingListEntry, WebhookEvent

# The five staff groups (made by migrations), by the name a test uses for each.
GROUPS = {
    "editors": "Editors",
    "box_office": "Box office",
    "finance": "Finance",
    "privacy": "Privacy",
    "door_staff": "Door staff",
}
# Every role the walk signs in as: one user in exactly one group each, a member of staff in no
# group (signed in, but no job in the admin), and a superuser (who proves each URL opens at all).
ROLES = (*GROUPS, "no_group", "superuser")


def make_member(role):
    """A member of staff with exactly the rights of `role`."""
    if role == "superuser":
        return make_staff(f"role-{role}", superuser=True)
    return make_staff(f"role-{role}", groups=[GROUPS[role]] if role in GROUPS else [])


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Images and documents uploaded by the tests go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def signed_in_as(client):
    """`signed_in_as(role)`: the test client, signed in as a new member of `role`."""

    def sign_in(role):
        return signed_in(make_member(role), client)

    return sign_in


def png(name="poster.png"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 9), "teal").save(buffer, "PNG")
    return ImageFile(io.BytesIO(buffer.getvalue()), name=name)


@pytest.fixture
def records(db):
    """One of each record the admin lists or edits, by the model it is, for filling URLs."""
    event = make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])
    page = make_event_page(event)
    order = make_paid_order(event, {"Adult": 2, "Child": 1})
    refund = make_refund(order, tickets=[order.tickets.first()])
    payment = refund.payment
    owner = make_staff("records-owner", superuser=True)
    revision = page.save_revision(user=owner)
    workflow = Workflow.objects.filter(active=True).first()
    workflow_state = workflow.start(page, owner)
    collection = Collection.get_first_root_node().add_child(name="Posters")
    image = Image.objects.create(title="Poster", file=png(), collection=collection)
    document = Document.objects.create(
        title="Access statement", file=ContentFile(b"Step-free access.", name="access.txt")
    )
    mismatch = ReconciliationMismatch.objects.create(
        key=f"amount:{payment.pk}",
        kind=ReconciliationMismatch.Kind.AMOUNT,
        order=order,
        payment=payment,
        sumup_amount=order.total - 1,
        our_amount=order.total,
        currency=order.currency,
        detail="SumUp took a pound less",
    )
    data_request = DataRequest.objects.create(
        kind=DataRequest.Kind.EXPORT, email="ann@example.com", due_on=timezone.localdate()
    )
    webhook = WebhookEvent.objects.create(dedupe_key="walk", checkout_id=payment.checkout_id, outcome="paid")
    job = ScheduledJob.objects.first() or ScheduledJob.objects.create(name="expire-orders")
    alias = page.create_alias(update_slug=f"{page.slug}-again")
    promo_code = PromoCode.objects.create(code="WALK10", event=event, value=10)
    return {
        "alias": alias,
        "block_id": next(iter(Block.definition_registry)),
        "event": event,
        "ticket_type": event.ticket_types.first(),
        "order": order,
        "ticket": order.tickets.first(),
        "payment": payment,
        "refund": refund,
        "buyer_email": order.buyer_emails.first(),
        "waiting_list_entry": WaitingListEntry.objects.create(
            event=event, ticket_type=event.ticket_types.first(), email="wait@example.com"
        ),
        "mismatch": mismatch,
        "data_request": data_request,
        "webhook_event": webhook,
        "scheduled_job": job,
        "promo_code": promo_code,
        "page": page,
        "revision": revision,
        "workflow": workflow,
        "workflow_state": workflow_state,
        "task": Task.objects.filter(active=True).first(),
        "task_state": workflow_state.current_task_state,
        "image": image,
        "document": document,
        "collection": collection,
        "user": owner,
        "group": Group.objects.get(name="Door staff"),
        "site": Site.objects.get(is_default_site=True),
        "redirect": Redirect.objects.create(old_path="/old-programme", redirect_link="/"),
    }
