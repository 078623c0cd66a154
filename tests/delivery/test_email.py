"""The ticket e-mail: subject, readable text and HTML, one inline QR image per ticket that decodes."""

import logging
from email import message_from_bytes
from urllib.parse import urlsplit

import pytest
from django.core import mail

from tests.delivery.helpers import decode_png
from tests.factories import make_event, make_paid_order, refund_tickets
from ticketing import delivery, outbox, tickets
from ticketing.models import BuyerEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])


def send(order, django_capture_on_commit_callbacks):
    """Queue the e-mail as payment does and let the (immediate) task backend send it."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket_email = outbox.queue_tickets(order)
    ticket_email.refresh_from_db()
    return ticket_email


def parts(message):
    """The sent e-mail as a mail client sees it (parsed from its bytes)."""
    return message_from_bytes(message.message().as_bytes())


def test_the_email_carries_every_ticket_as_an_inline_qr_code(
    event, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://tickets.example.je"
    order = make_paid_order(event, {"Adult": 2, "Child": 1})
    ticket_email = send(order, django_capture_on_commit_callbacks)

    assert ticket_email.status == BuyerEmail.Status.SENT and ticket_email.attempts == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ann@example.com"]
    assert "Harbour Jazz Night" in sent.subject and order.reference in sent.subject

    parsed = parts(sent)
    assert parsed.get_content_type() == "multipart/related"
    alternative = parsed.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    text, html = (part.get_payload(decode=True).decode() for part in alternative.get_payload())
    images = [part for part in parsed.walk() if part.get_content_maintype() == "image"]

    tickets_url = f"https://tickets.example.je/tickets/orders/{order.token}/tickets/"
    codes = {ticket.code: ticket for ticket in order.tickets.all()}
    for body in (text, html):
        assert "Harbour Jazz Night" in body and order.reference in body and "Jersey Opera House" in body
        assert tickets_url in body
        for ticket in codes.values():
            assert ticket.display_code in body
    assert "<" not in text  # plain text, not HTML with the tags stripped

    assert len(images) == 3
    decoded = set()
    for image in images:
        content_id = image["Content-ID"].strip("<>")
        assert image.get_content_type() == "image/png"
        assert image["Content-Disposition"].startswith("inline")
        assert f'src="cid:{content_id}"' in html
        payload = decode_png(image.get_payload(decode=True))
        code = tickets.verify_payload(payload)
        assert code in codes and content_id.startswith(f"ticket-{code}@")
        decoded.add(code)
    assert decoded == set(codes)


def test_ticket_page_link_in_the_email_shows_the_same_tickets(
    event, client, django_capture_on_commit_callbacks
):
    order = make_paid_order(event, {"Adult": 1})
    send(order, django_capture_on_commit_callbacks)
    link = next(word for word in mail.outbox[0].body.split() if "/tickets/orders/" in word)
    response = client.get(urlsplit(link).path)
    assert response.status_code == 200
    assert order.tickets.get().display_code in response.content.decode()


def test_voided_tickets_are_left_out_and_an_order_without_valid_tickets_gets_no_email(
    event, django_capture_on_commit_callbacks
):
    order = make_paid_order(event, {"Adult": 2})
    voided, kept = order.tickets.all()
    refund_tickets(order, [voided])
    send(order, django_capture_on_commit_callbacks)
    body = mail.outbox[0].body
    assert kept.display_code in body and voided.display_code not in body
    assert len([p for p in parts(mail.outbox[0]).walk() if p.get_content_maintype() == "image"]) == 1

    refunded = refund_tickets(make_paid_order(event, {"Child": 1}, email="bob@example.com"))
    ticket_email = send(refunded, django_capture_on_commit_callbacks)
    assert ticket_email.status == BuyerEmail.Status.CANCELLED
    assert len(mail.outbox) == 1


def test_logs_name_the_order_never_the_address(event, caplog, django_capture_on_commit_callbacks):
    order = make_paid_order(event, {"Adult": 1}, email="private.person@example.com")
    with caplog.at_level(logging.DEBUG):
        send(order, django_capture_on_commit_callbacks)
    assert any(getattr(record, "order", None) == order.reference for record in caplog.records)
    for record in caplog.records:
        assert "private.person" not in record.getMessage()
        assert "private.person" not in str(vars(record))


def test_nothing_is_sent_before_the_paying_transaction_commits(event, django_capture_on_commit_callbacks):
    """With a task backend outside the database, the job is handed over only on commit."""
    order = make_paid_order(event, {"Adult": 1})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox.queue_tickets(order)
    assert mail.outbox == [] and len(callbacks) == 1


def test_anymail_hands_the_qr_codes_to_the_provider_as_inline_images(event, settings):
    """SendGrid and Mailgun go through anymail: its test backend shows what they would receive."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    order = make_paid_order(event, {"Adult": 2})
    delivery.build_ticket_email(order, list(delivery.valid_tickets(order))).send()
    params = mail.outbox[0].anymail_test_params
    assert [a.inline for a in params["attachments"]] == [True, True]
    html = params["html_body"]
    for attachment in params["attachments"]:
        assert attachment.mimetype == "image/png"
        assert f"cid:{attachment.content_id.strip('<>')}" in html
    assert params["metadata"] == {"order_reference": order.reference} and params["tags"] == ["tickets"]


def test_sending_a_ticket_email_takes_a_small_fixed_number_of_queries(
    event, settings, django_assert_max_num_queries
):
    """Claim the row, read it with its order and event, read the tickets, record "sent".

    The site's name and contact address and the event page's address come from the shared
    cache once one e-mail has been sent, so every later e-mail costs only these four queries
    however many tickets it carries.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    first = outbox.queue_tickets(make_paid_order(event, {"Adult": 1}, email="first@example.com"))
    second = outbox.queue_tickets(
        make_paid_order(event, {"Adult": 2, "Child": 1}, email="second@example.com", ip="203.0.113.8")
    )
    assert delivery.deliver(first.pk) == "sent"

    with django_assert_max_num_queries(4):
        assert delivery.deliver(second.pk) == "sent"
    assert mail.outbox[-1].to == ["second@example.com"]
    assert (
        len([part for part in parts(mail.outbox[-1]).walk() if part.get_content_maintype() == "image"]) == 3
    )


def test_an_editors_new_site_name_and_contact_address_are_in_the_next_email(
    event, django_capture_on_commit_callbacks
):
    from wagtail.models import Site

    from core.models import SiteSettings

    send(make_paid_order(event, {"Adult": 1}, email="first@example.com"), django_capture_on_commit_callbacks)
    assert "St Helier Live" not in mail.outbox[-1].body

    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.site_name = "St Helier Live"
    site_settings.contact_email = "box-office@example.je"
    site_settings.save()
    order = make_paid_order(event, {"Adult": 1}, email="second@example.com", ip="203.0.113.8")
    send(order, django_capture_on_commit_callbacks)

    body = mail.outbox[-1].body
    assert "St Helier Live" in body and "Write to box-office@example.je" in body
