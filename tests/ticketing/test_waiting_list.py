"""The waiting list of a sold-out ticket type (issue 12): joining, offers made in order and exactly
once when seats come back, offers that run out passing down the line, the offer's checkout through
the SumUp sandbox, and no oversell with buyers and offers racing on PostgreSQL."""

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from legal import privacy
from tests.concurrency import run_concurrently
from tests.factories import (
    BROWSER,
    make_event,
    make_event_page,
    make_order,
    make_paid_order,
    refund_tickets,
    wait_for,
)
from tests.sandbox_buyer import press_on_hosted_page
from ticketing import checkout, holds, inventory, orders, waiting_list
from ticketing.models import Order, TicketType, WaitingListEntry

Status = WaitingListEntry.Status
LINK = re.compile(r"https?://\S+/tickets/waiting-list/offers/[\w-]+/")


def small_show(seats=1, **fields):
    """An on-sale event with one ticket type of `seats` seats, and its page."""
    event = make_event("Small Show", types=[("Standard", "20.00", seats)], **fields)
    make_event_page(event)
    return event


def the_type(event) -> TicketType:
    return event.ticket_types.get()


def sell_out(event, n=1):
    """Pending orders holding every seat, n at a time, each from its own buyer."""
    placed = []
    ticket_type = the_type(event)
    for i in range(ticket_type.capacity // n):
        placed.append(
            make_order(event, {"Standard": n}, email=f"holder{i}@example.com", ip=f"198.51.100.{i + 1}")
        )
    return placed


def join(client, event, email, quantity=1, **changed):
    """Post the join form as a browser would; `changed` replaces fields (to make them wrong)."""
    data = {"ticket_type": the_type(event).pk, "quantity": quantity, "email": email, **changed}
    return client.post(reverse("ticketing:waiting-list", args=[event.pk]), data)


def end_holds():
    """The worker's expiry run, as if the holds' time had passed."""
    return holds.expire_orders(now=timezone.now() + timedelta(hours=1))


def entry_of(email) -> WaitingListEntry:
    return WaitingListEntry.objects.get(email=email)


def offer_links():
    return [
        LINK.search(message.body).group(0) for message in mail.outbox if "held for you" in message.subject
    ]


def path_of(url):
    return "/" + url.split("/", 3)[3]


# --- Joining ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_joining_a_sold_out_type_gives_the_same_answer_twice(buyer):
    event = small_show()
    sell_out(event)
    first = join(buyer, event, "ann@example.com", quantity=2)
    again = join(buyer, event, "ANN@example.com")
    assert first.status_code == again.status_code == 303
    assert first["Location"] == again["Location"] == reverse("ticketing:waiting-list-joined", args=[event.pk])
    assert WaitingListEntry.objects.count() == 1
    entry = entry_of("ann@example.com")
    assert entry.status == Status.WAITING and entry.quantity == 2
    page = buyer.get(first["Location"])
    assert "You're on the waiting list" in page.content.decode()


@pytest.mark.django_db
def test_the_event_page_offers_the_list_only_for_a_sold_out_type(buyer):
    event = make_event("Two Rooms", types=[("Upstairs", "20.00", 1), ("Downstairs", "15.00", 5)])
    page = make_event_page(event)
    make_order(event, {"Upstairs": 1})
    html = buyer.get(page.url).content.decode()
    join_url = reverse("ticketing:waiting-list", args=[event.pk])
    upstairs, downstairs = event.ticket_types.order_by("pk")
    assert f"{join_url}?type={upstairs.pk}" in html
    assert f"{join_url}?type={downstairs.pk}" not in html
    form = buyer.get(f"{join_url}?type={upstairs.pk}").content.decode()
    assert "Upstairs" in form and "Downstairs" not in form


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, status",
    [
        ({"email": "not-an-address"}, 400),
        ({"email": ""}, 400),
        ({"quantity": "0"}, 400),
        ({"quantity": "lots"}, 400),
        ({"quantity": "500"}, 400),
        ({"ticket_type": "999999"}, 400),
        ({"ticket_type": "x"}, 400),
    ],
)
def test_bad_input_gives_the_form_again_and_changes_nothing(buyer, data, status):
    event = small_show()
    sell_out(event)
    response = join(buyer, event, **{"email": "ann@example.com", **data})
    assert response.status_code == status
    assert "Join the waiting list" in response.content.decode()
    assert not WaitingListEntry.objects.exists()


@pytest.mark.django_db
def test_a_type_on_sale_cannot_be_waited_for(buyer):
    event = small_show(seats=3)
    response = join(buyer, event, "ann@example.com")
    assert response.status_code == 400  # not among the sold-out types the form offers
    assert not WaitingListEntry.objects.exists()
    # Sold out as the form was shown, back on sale as it was posted: said in words, a 409.
    orders_held = sell_out(event)
    form_types = [the_type(event)]
    for order in orders_held:
        orders.cancel(order, cause="test")
    with pytest.raises(waiting_list.WaitingListRefused, match="on sale again"):
        waiting_list.join(form_types[0], "ann@example.com")


@pytest.mark.django_db
def test_bots_and_unknown_events_are_refused(client):
    event = small_show()
    sell_out(event)
    client.defaults["HTTP_USER_AGENT"] = "curl/8.0"
    assert join(client, event, "ann@example.com").status_code == 403
    assert client.get(reverse("ticketing:waiting-list", args=[999999])).status_code == 404
    assert client.get(reverse("ticketing:waiting-list-offer", args=["no-such-offer"])).status_code == 404
    assert not WaitingListEntry.objects.exists()


@pytest.mark.django_db
def test_joining_is_rate_limited_per_client(buyer, settings):
    settings.WAITING_LIST_RATE_LIMIT = "2/d"
    event = small_show()
    sell_out(event)
    assert join(buyer, event, "a@example.com").status_code == 303
    assert join(buyer, event, "b@example.com").status_code == 303
    limited = join(buyer, event, "c@example.com")
    assert limited.status_code == 429
    assert "c@example.com" in limited.content.decode()  # what was typed is kept
    assert WaitingListEntry.objects.count() == 2


# --- Offers: in order, exactly once, passed on --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_released_seats_go_to_the_first_in_line_and_the_public_cannot_buy_them(buyer):
    event = small_show(seats=2)
    sell_out(event)
    for email in ("ann@example.com", "bob@example.com", "cat@example.com"):
        assert join(buyer, event, email).status_code == 303
    assert end_holds() == 2

    assert [entry_of(e).status for e in ("ann@example.com", "bob@example.com", "cat@example.com")] == [
        Status.OFFERED,
        Status.OFFERED,
        Status.WAITING,
    ]
    assert the_type(event).refresh_sold() == 2  # the offers hold both seats
    assert inventory.check_inventory() == []
    assert sorted(message.to[0] for message in mail.outbox) == ["ann@example.com", "bob@example.com"]
    assert entry_of("ann@example.com").notice_status == WaitingListEntry.NoticeStatus.SENT
    with pytest.raises(checkout.CheckoutRefused):
        make_order(event, {"Standard": 1}, email="public@example.com", ip="192.0.2.50")


@pytest.mark.django_db(transaction=True)
def test_an_offer_that_runs_out_passes_to_the_next_person(buyer):
    event = small_show()
    sell_out(event)
    join(buyer, event, "ann@example.com")
    join(buyer, event, "bob@example.com")
    end_holds()
    ann_link = offer_links()[0]

    # The worker's run, once the offer's time has passed.
    later = timezone.now() + timedelta(minutes=61)
    assert waiting_list.expire_overdue_offers(now=later) == 1
    assert entry_of("ann@example.com").status == Status.EXPIRED
    assert entry_of("bob@example.com").status == Status.OFFERED
    assert the_type(event).refresh_sold() == 1 and inventory.check_inventory() == []
    ended = buyer.get(path_of(ann_link))
    assert ended.status_code == 410 and "This offer has ended" in ended.content.decode()
    assert (
        buyer.post(
            path_of(ann_link), {"name": "Ann", "email": "ann@example.com", "accept_terms": "on"}
        ).status_code
        == 410
    )
    assert not Order.objects.filter(email="ann@example.com").exists()


@pytest.mark.django_db(transaction=True)
def test_an_offer_seen_after_it_ran_out_is_passed_on_without_the_worker(buyer):
    event = small_show()
    sell_out(event)
    join(buyer, event, "ann@example.com")
    join(buyer, event, "bob@example.com")
    end_holds()
    WaitingListEntry.objects.filter(email="ann@example.com").update(
        offer_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert buyer.get(path_of(offer_links()[0])).status_code == 410
    assert entry_of("bob@example.com").status == Status.OFFERED
    assert len(offer_links()) == 2


@pytest.mark.django_db(transaction=True)
def test_refunded_seats_go_to_the_line():
    event = small_show()
    order = make_paid_order(event, {"Standard": 1})
    waiting_list.join(the_type(event), "ann@example.com")
    refund_tickets(order)
    assert entry_of("ann@example.com").status == Status.OFFERED
    assert the_type(event).refresh_sold() == 1 and inventory.check_inventory() == []


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_event_offers_nothing():
    event = small_show()
    [held] = sell_out(event)
    waiting_list.join(the_type(event), "ann@example.com")
    event.status = event.Status.CANCELLED
    event.save()
    orders.cancel(held, cause="test")
    assert entry_of("ann@example.com").status == Status.WAITING
    assert mail.outbox == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_expiry_runs_pass_an_offer_on_exactly_once():
    event = small_show()
    sell_out(event)
    for email in ("ann@example.com", "bob@example.com", "cat@example.com"):
        waiting_list.join(the_type(event), email)
    end_holds()
    later = timezone.now() + timedelta(minutes=61)

    ended = run_concurrently(waiting_list.expire_overdue_offers, [(None, later)] * 8)

    assert sum(ended) == 1, ended
    assert [entry_of(e).status for e in ("ann@example.com", "bob@example.com", "cat@example.com")] == [
        Status.EXPIRED,
        Status.OFFERED,
        Status.WAITING,
    ]
    assert Counter(message.to[0] for message in mail.outbox) == {"ann@example.com": 1, "bob@example.com": 1}
    assert the_type(event).refresh_sold() == 1 and inventory.check_inventory() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_no_oversell_when_buyers_offers_and_claims_race():
    """Holds end while public buyers check out and people in line take their offers, all at once."""
    seats = 4
    event = small_show(seats=seats)
    sell_out(event)
    waiting = [f"wait{i}@example.com" for i in range(6)]
    for email in waiting:
        waiting_list.join(the_type(event), email)

    def public_buyer(i):
        try:
            return make_order(event, {"Standard": 1}, email=f"public{i}@example.com", ip=f"192.0.2.{i + 10}")
        except checkout.CheckoutRefused:
            return "refused"

    def expiry():
        return end_holds()

    run_concurrently(
        lambda job, arg: job(*arg), [(expiry, ())] * 2 + [(public_buyer, (i,)) for i in range(6)]
    )

    ticket_type = the_type(event)
    assert ticket_type.refresh_sold() <= seats
    assert inventory.check_inventory() == []
    offered = [e for e in waiting if entry_of(e).status == Status.OFFERED]
    bought = Order.objects.filter(email__startswith="public", status=Order.Status.PENDING).count()
    assert len(offered) + bought == seats
    # Whatever a public buyer got was bought before the release; the released seats went in order.
    assert offered == waiting[: len(offered)]

    # Every offer claimed twice at once: one order each, and still no oversell.
    tokens = [entry_of(e).offer_token for e in offered]

    def claim(token, n):
        buyer = checkout.Buyer("Wait Er", f"claim{n}@example.com", f"203.0.113.{n + 1}", BROWSER)
        try:
            return waiting_list.claim(token, buyer).pk
        except waiting_list.OfferOver:
            return "over"

    results = run_concurrently(
        claim, [(token, i * 2 + k) for i, token in enumerate(tokens) for k in range(2)]
    )
    assert Counter(isinstance(r, int) for r in results) == {True: len(tokens), False: len(tokens)}
    assert ticket_type.refresh_sold() <= seats
    assert inventory.check_inventory() == []
    assert all(entry_of(e).status == Status.CLAIMED and entry_of(e).order_id for e in offered)


# --- Taking an offer through the sandbox ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_whole_journey_through_the_sandbox(buyer, sumup_sandbox):
    event = small_show()
    sell_out(event)
    join(buyer, event, "ann@example.com")
    join(buyer, event, "bob@example.com")
    end_holds()
    [link] = offer_links()
    assert link.startswith(sumup_sandbox.url)

    page = buyer.get(path_of(link))
    html = page.content.decode()
    assert page.status_code == 200 and "Tickets held for you" in html and "£20.00" in html
    assert 'value="ann@example.com"' in html
    missing = buyer.post(path_of(link), {"name": "", "email": "ann@example.com"})
    assert missing.status_code == 400 and entry_of("ann@example.com").status == Status.OFFERED

    taken = buyer.post(
        path_of(link), {"name": "Ann Example", "email": "ann@example.com", "accept_terms": "on"}
    )
    assert taken.status_code == 303, taken.content.decode()[:500]
    order = Order.objects.get(email="ann@example.com")
    assert order.status == Order.Status.PENDING and order.total == the_type(event).price
    assert list(order.lines.values_list("quantity", flat=True)) == [1]
    assert entry_of("ann@example.com").status == Status.CLAIMED and entry_of("ann@example.com").order == order
    assert the_type(event).refresh_sold() == 1 and inventory.check_inventory() == []

    press_on_hosted_page(taken["Location"], "pay")
    wait_for(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID)
    assert Order.objects.get(pk=order.pk).tickets.count() == 1
    # The same link again: used.
    used = buyer.get(path_of(link))
    assert used.status_code == 410 and "already ordered" in used.content.decode()
    assert entry_of("bob@example.com").status == Status.WAITING


@pytest.mark.django_db(transaction=True)
def test_an_offers_order_left_unpaid_passes_its_seats_down_the_line(buyer):
    event = small_show()
    sell_out(event)
    waiting_list.join(the_type(event), "ann@example.com")
    waiting_list.join(the_type(event), "bob@example.com")
    end_holds()
    ann = entry_of("ann@example.com")
    waiting_list.claim(ann.offer_token, checkout.Buyer("Ann", "ann@example.com", "203.0.113.9", BROWSER))
    assert entry_of("bob@example.com").status == Status.WAITING
    end_holds()
    assert entry_of("bob@example.com").status == Status.OFFERED
    assert inventory.check_inventory() == []


# --- The offer e-mail: recorded and retried --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_failed_offer_email_is_recorded_and_retried(monkeypatch, settings):
    settings.TICKET_EMAIL_RETRY_MINUTES = (0,)
    event = small_show()
    sell_out(event)
    waiting_list.join(the_type(event), "ann@example.com")

    def refuse(*args, **kwargs):
        raise ConnectionError("provider down for ann@example.com")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    end_holds()
    entry = entry_of("ann@example.com")
    assert entry.status == Status.OFFERED and entry.notice_status == WaitingListEntry.NoticeStatus.QUEUED
    assert entry.notice_attempts == 1 and "[address]" in entry.notice_last_error
    assert "ann@example.com" not in entry.notice_last_error
    monkeypatch.undo()
    assert waiting_list.deliver_offer(entry.pk) == "sent"
    assert entry_of("ann@example.com").notice_status == WaitingListEntry.NoticeStatus.SENT
    assert len(offer_links()) == 1
    assert waiting_list.deliver_offer(entry.pk) == "skipped"  # sent once


# --- Personal data -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_export_and_erasure_cover_the_waiting_list():
    event = small_show()
    sell_out(event)
    waiting_list.join(the_type(event), "Ann@Example.com")
    waiting_list.join(the_type(event), "bob@example.com")
    end_holds()
    assert entry_of("Ann@Example.com").status == Status.OFFERED

    export = privacy.export_person("ann@example.com")
    assert [entry["status"] for entry in export["waiting_lists"]] == ["offered"]
    assert "waiting list" in export["summary"]

    report = privacy.erase_person("ann@example.com")
    assert report.waiting_list_entries_deleted == 1
    assert not WaitingListEntry.objects.filter(email__iexact="ann@example.com").exists()
    # Ann's open offer was withdrawn: its seat went to the next in line.
    assert entry_of("bob@example.com").status == Status.OFFERED
    assert inventory.check_inventory() == []


@pytest.mark.django_db(transaction=True)
def test_the_list_of_an_event_that_started_is_deleted_by_the_worker():
    event = small_show()
    sell_out(event)
    waiting_list.join(the_type(event), "ann@example.com")
    waiting_list.join(the_type(event), "bob@example.com")
    end_holds()
    assert "0 entries" in waiting_list.run_scheduled()
    event.starts_at = timezone.now() - timedelta(minutes=1)
    event.save()
    assert "2 entries of past events deleted" in waiting_list.run_scheduled()
    assert not WaitingListEntry.objects.exists()
    assert inventory.check_inventory() == []  # Ann's open offer was withdrawn, its hold released


@pytest.mark.django_db
def test_the_join_form_asks_for_the_captcha_when_it_is_on(buyer, settings):
    settings.CAPTCHA_ENABLED = True
    event = small_show()
    sell_out(event)
    form = buyer.get(reverse("ticketing:waiting-list", args=[event.pk])).content.decode()
    assert "g-recaptcha" in form
    refused = join(buyer, event, "ann@example.com")
    assert refused.status_code == 400 and "not a robot" in refused.content.decode()
    assert not WaitingListEntry.objects.exists()
