"""Promo codes (`ticketing.promo_codes`): each kind of code, every refusal changing nothing, the
discounted price carried through SumUp's amount, refunds and reconciliation, uses counted and
given back exactly once, and never more uses than allowed under concurrency (PostgreSQL in CI).

Orders are placed through the checkout service or over HTTP; paid ones through the SumUp sandbox.
"""

import io
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.management import call_command
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxCheckout, SandboxTransaction
from tests.concurrency import run_concurrently
from tests.factories import (
    BROWSER,
    make_event,
    make_event_page,
    make_staff,
    record_payment,
    refund_tickets,
    signed_in,
    ticket_types,
)
from tests.payments.helpers import callback_body, deliver
from ticketing import orders, promo_codes
from ticketing.checkout import Buyer, CheckoutRefused, place_order, preview_order
from ticketing.inventory import SoldOut, check_inventory
from ticketing.models import Order, PromoCode, ReconciliationMismatch, Refund, Ticket

D = Decimal


def make_code(code="SUMMER10", *, kind=PromoCode.Kind.PERCENT, value="10", types=(), **fields):
    promo = PromoCode.objects.create(code=code, kind=kind, value=D(value), **fields)
    promo.ticket_types.set(types)
    return promo


def used(promo):
    return PromoCode.objects.values_list("used", flat=True).get(pk=promo.pk)


def buyer(i=0):
    return Buyer(f"Buyer {i}", f"buyer{i}@example.com", f"198.51.100.{i % 250 + 1}", BROWSER)


def place(event, quantities, code, i=0):
    types = {t.name: t for t in ticket_types(event)}
    return place_order(event, buyer(i), {types[name]: n for name, n in quantities.items()}, promo_code=code)


def prices_of(order):
    return {line.ticket_type.name: line.unit_price for line in order.lines.select_related("ticket_type")}


def sold(event):
    return {t.name: t.sold for t in ticket_types(event)}


def text_of(response):
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def show(db):
    """Folk Night: Adult £12.50, Child £6.00, with its page."""
    event = make_event("Folk Night", types=[("Adult", "12.50", 50), ("Child", "6.00", 50)])
    make_event_page(event)
    return event


# --- Each kind of code -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_percentage_code_takes_its_share_off_each_ticket_typed_in_any_case(show):
    promo = make_code("SUMMER10", value="10", event=show)

    order = place(show, {"Adult": 2, "Child": 1}, "  summer10 ")

    assert prices_of(order) == {"Adult": D("11.25"), "Child": D("5.40")}
    assert order.total == D("27.90") and order.discount == D("3.10")
    assert order.promo_code == promo and used(promo) == 1


@pytest.mark.django_db
def test_a_fixed_amount_code_for_chosen_ticket_types_leaves_the_others_at_full_price(show):
    adult, _child = ticket_types(show)
    make_code("ADULT3", kind=PromoCode.Kind.AMOUNT, value="3.00", event=show, types=[adult])

    order = place(show, {"Adult": 1, "Child": 2}, "adult3")

    assert prices_of(order) == {"Adult": D("9.50"), "Child": D("6.00")}
    assert order.total == D("21.50") and order.discount == D("3.00")


@pytest.mark.django_db
def test_a_site_wide_code_works_for_every_event_and_an_event_code_for_its_own_only(show):
    other = make_event("Harbour Jazz", types=[("Standard", "20.00", 50)])
    everywhere = make_code("WELCOME", kind=PromoCode.Kind.AMOUNT, value="2.00")
    make_code("FOLKONLY", value="50", event=show)

    assert place(other, {"Standard": 1}, "welcome").total == D("18.00")
    assert place(show, {"Adult": 1}, "WELCOME", i=1).total == D("10.50")
    assert used(everywhere) == 2
    with pytest.raises(CheckoutRefused, match="We don’t know the promo code FOLKONLY"):
        place(other, {"Standard": 1}, "folkonly", i=2)


@pytest.mark.django_db
def test_the_discount_is_computed_in_one_place_and_rounded_half_up_to_the_penny(show):
    adult, _ = ticket_types(show)
    third = make_code("THIRD", value="33.33")
    # 33.33% of 12.50 is 4.16625: 4.17 off, 8.33 to pay.
    assert promo_codes.discounted_price(third, adult) == D("8.33")
    assert preview_order({adult: 3}, third).total == D("24.99")
    assert preview_order({adult: 3}, third).discount == D("12.51")
    assert preview_order({adult: 3}).total == D("37.50")


# --- Refusals change nothing -------------------------------------------------------------------


def refusals(show):
    """(code typed, what the buyer is told) for every code that must be refused."""
    now = timezone.now()
    adult, child = ticket_types(show)
    make_code("OLD", valid_until=now - timedelta(minutes=1))
    make_code("SOON", valid_from=now + timedelta(days=1))
    make_code("PAUSED", active=False)
    make_code("GONE", max_uses=1)
    PromoCode.objects.filter(code="GONE").update(used=1)  # its one use is held by another order
    make_code("KIDS", value="20", event=show, types=[child])
    make_code("ALLOFF", kind=PromoCode.Kind.AMOUNT, value="12.50", event=show)
    return [
        ("NOSUCH", "We don’t know the promo code NOSUCH"),
        ("old", "The promo code OLD has expired."),
        ("SOON", "The promo code SOON does not work yet."),
        ("paused", "We don’t know the promo code PAUSED"),
        ("gone", "the promo code GONE has been used as many times as it can be."),
        ("kids", "The promo code KIDS does not apply to the tickets you chose."),
        ("alloff", "would make Adult tickets free, and free tickets cannot be issued online"),
    ]


@pytest.mark.django_db
def test_every_refused_code_reserves_nothing_through_the_service(show):
    for typed, message in refusals(show):
        with pytest.raises(CheckoutRefused, match=re.escape(message)) as refused:
            place(show, {"Adult": 2}, typed)
        assert refused.value.field == "promo_code"
    assert Order.objects.count() == 0 and sold(show) == {"Adult": 0, "Child": 0}
    assert dict(PromoCode.objects.values_list("code", "used")) == {
        "OLD": 0,
        "SOON": 0,
        "PAUSED": 0,
        "GONE": 1,
        "KIDS": 0,
        "ALLOFF": 0,
    }


@pytest.mark.django_db
def test_a_refused_code_shows_the_form_again_beside_the_box_with_what_was_typed(client, show, settings):
    settings.CHECKOUT_RATE_LIMIT = "1000/d"
    adult, child = ticket_types(show)
    cases = refusals(show)
    for step in ("review", "pay"):
        for typed, message in cases:
            data = {
                "name": "Ann Example",
                "email": "ann@example.com",
                "accept_terms": "on",
                f"quantity_{adult.pk}": 2,
                "promo_code": typed,
                "step": step,
            }
            response = client.post(
                reverse("ticketing:checkout", args=[show.pk]), data, HTTP_USER_AGENT=BROWSER
            )
            assert response.status_code == 400, (typed, step)
            html = response.content.decode()
            assert 'id="id_promo_code_error"' in html and message in unescape(html)
            assert f'value="{typed}"' in html  # kept as typed, to be corrected
            assert 'href="#id_promo_code"' in html  # in the summary at the top, linking to the box
    assert Order.objects.count() == 0 and sold(show) == {"Adult": 0, "Child": 0}
    assert not PromoCode.objects.exclude(code="GONE").exclude(used=0).exists()


@pytest.mark.django_db
def test_a_code_longer_than_any_is_a_form_error_not_a_500(client, show):
    adult, _ = ticket_types(show)
    data = {
        "name": "Ann",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{adult.pk}": 1,
        "promo_code": "X" * 500,
    }
    response = client.post(reverse("ticketing:checkout", args=[show.pk]), data, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 400
    assert "longer than any we give out" in unescape(response.content.decode())
    assert Order.objects.count() == 0


# --- The review step ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_review_step_shows_the_discount_and_reserves_nothing(client, show):
    adult, child = ticket_types(show)
    promo = make_code("SUMMER10", value="10", event=show)
    data = {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{adult.pk}": 2,
        f"quantity_{child.pk}": 1,
        "promo_code": "summer10",
        "step": "review",
    }
    response = client.post(reverse("ticketing:checkout", args=[show.pk]), data, HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 200
    words = text_of(response)
    assert "Adult was £12.50 now £11.25 2 £22.50" in words
    assert "Promo code SUMMER10 (included above) −£3.10" in words
    assert "Total £27.90" in words and "Pay £27.90" in words
    assert '<input type="hidden" name="promo_code" value="SUMMER10">' in response.content.decode()
    assert Order.objects.count() == 0 and used(promo) == 0 and sold(show) == {"Adult": 0, "Child": 0}


# --- Uses: counted when placed, given back once when the order ends unpaid ---------------------


@pytest.mark.django_db
def test_an_expired_or_cancelled_order_gives_its_use_back_exactly_once(show):
    promo = make_code("ONCE", max_uses=1)
    first = place(show, {"Adult": 1}, "once")
    with pytest.raises(CheckoutRefused, match="used as many times as it can be"):
        place(show, {"Adult": 1}, "once", i=1)

    assert orders.expire(first) and not orders.expire(Order.objects.get(pk=first.pk))
    assert used(promo) == 0
    second = place(show, {"Adult": 1}, "once", i=1)
    assert used(promo) == 1
    assert orders.cancel(second, cause="test") and not orders.cancel(
        Order.objects.get(pk=second.pk), cause="again"
    )
    assert used(promo) == 0
    assert check_inventory() == []


@pytest.mark.django_db
def test_a_hold_that_ran_out_frees_the_last_use_for_the_next_buyer_without_the_worker(show):
    promo = make_code("LAST", max_uses=1)
    stale = place(show, {"Adult": 1}, "LAST")
    Order.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    fresh = place(show, {"Adult": 1}, "LAST", i=1)

    assert fresh.promo_code == promo and used(promo) == 1
    assert Order.objects.get(pk=stale.pk).status == Order.Status.EXPIRED


@pytest.mark.django_db
def test_a_paid_order_keeps_its_use_even_once_refunded(show):
    promo = make_code("PAIR", max_uses=1)
    order = place(show, {"Adult": 1}, "PAIR")
    assert orders.mark_paid(order, record_payment(order))
    refund_tickets(order)
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED and used(promo) == 1
    with pytest.raises(CheckoutRefused, match="used as many times as it can be"):
        place(show, {"Adult": 1}, "PAIR", i=1)


@pytest.mark.django_db
def test_a_payment_after_the_hold_ended_with_the_code_used_up_goes_to_review(show):
    """Like seats that went: the late payment's order cannot have the code again."""
    promo = make_code("SOLO", max_uses=1)
    first = place(show, {"Adult": 1}, "SOLO")
    assert orders.expire(first)
    place(show, {"Adult": 1}, "SOLO", i=1)  # the use went to someone else meanwhile

    with pytest.raises(SoldOut):
        orders.mark_paid(Order.objects.get(pk=first.pk), record_payment(first))
    assert Order.objects.get(pk=first.pk).status == Order.Status.EXPIRED and used(promo) == 1


@pytest.mark.django_db
def test_the_code_cannot_be_deleted_once_an_order_used_it(show):
    promo = make_code("KEEP")
    place(show, {"Adult": 1}, "KEEP")
    with pytest.raises(ProtectedError):
        promo.delete()


# --- Paid through the sandbox: SumUp's amount, a refund, reconciliation -----------------------


@pytest.fixture
def promo_settings(settings):
    settings.SUMUP_SANDBOX_CALLBACK_DELAY = 0
    settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS = False
    settings.SUMUP_WEBHOOK_SECRET = ""
    settings.PAYMENT_ALERT_EMAILS = ["payments-team@staff.example"]


@pytest.mark.django_db(transaction=True)
def test_sumup_is_asked_for_the_discounted_total_and_a_refund_gives_back_what_the_ticket_cost(
    buyer, event, sumup_sandbox, promo_settings
):
    """Jazz Night: Adult £20 and Child £7.50; 25% off Adults: 2 × £15 + £7.50 = £37.50."""
    adult, child = ticket_types(event)
    make_code("JAZZ25", value="25", event=event, types=[adult])
    data = {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{adult.pk}": 2,
        f"quantity_{child.pk}": 1,
        "promo_code": "jazz25",
        "step": "pay",
    }
    response = buyer.post(reverse("ticketing:checkout", args=[event.pk]), data)
    assert response.status_code == 303
    order = Order.objects.get()
    payment = order.payments.get()
    assert order.total == payment.amount == D("37.50")
    assert SandboxCheckout.objects.get(pk=payment.checkout_id).amount == D("37.50")

    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    page = text_of(buyer.get(reverse("ticketing:order", args=[order.token])))
    assert (
        "Adult £15.00 2 £30.00" in page
        and "JAZZ25 (included above) −£10.00" in page
        and "Total £37.50" in page
    )

    cashier = signed_in(make_staff("cashier", "access_admin", "view_order", "refund_order"))
    ticket = Ticket.objects.filter(order=order, ticket_type=adult).first()
    url = reverse("ticketing_order_refund", args=[order.pk])
    review = cashier.post(url, {"tickets": [ticket.pk], "reason": "cannot come"})
    assert "Refund £15.00?" in review.content.decode()
    done = cashier.post(url, {"tickets": [ticket.pk], "reason": "cannot come", "confirmed": "True"})
    assert done.status_code == 302

    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED and refund.amount == D("15.00")
    payment.refresh_from_db()
    assert SandboxTransaction.objects.get(transaction_id=payment.transaction_id).refunded_amount == D("15.00")
    out = io.StringIO()
    call_command("reconcile_payments", stdout=out)
    assert "No mismatches." in out.getvalue()
    assert not ReconciliationMismatch.objects.exists()
    assert check_inventory() == []


# --- Staff make codes ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_editors_make_a_code_in_the_admin_and_see_its_uses(client, show):
    from tests.staff.conftest import make_member

    adult, _ = ticket_types(show)
    other = make_event("Harbour Jazz", types=[("Standard", "20.00", 50)])
    editor = signed_in(make_member("editors"), client)
    create = reverse("ticketing_promocode_modeladmin_create")
    form = {
        "code": " spring-5 ",
        "event": show.pk,
        "ticket_types": [adult.pk],
        "kind": "amount",
        "value": "5.00",
        "max_uses": "3",
        "active": "on",
    }

    wrong_event = editor.post(create, {**form, "ticket_types": [ticket_types(other)[0].pk]})
    assert wrong_event.status_code == 200 and "of the code’s own event only" in unescape(
        wrong_event.content.decode()
    )
    too_much = editor.post(create, {**form, "value": "12.50"})
    assert too_much.status_code == 200 and "would make Adult tickets free" in too_much.content.decode()
    percent = editor.post(create, {**form, "kind": "percent", "value": "100"})
    assert percent.status_code == 200 and "A percentage below 100" in percent.content.decode()
    assert not PromoCode.objects.exists()

    done = editor.post(create, form)
    assert done.status_code == 302, done.content.decode()[:3000]
    promo = PromoCode.objects.get()
    assert promo.code == "SPRING-5" and list(promo.ticket_types.all()) == [adult]

    place(show, {"Adult": 1}, "Spring-5")
    listing = text_of(editor.get(reverse("ticketing_promocode_modeladmin_index")))
    assert "SPRING-5" in listing and "1 of 3" in listing and "£5.00 off each ticket" in listing

    # A stale edit form never writes the uses counter.
    edit = reverse("ticketing_promocode_modeladmin_edit", args=[promo.pk])
    PromoCode.objects.filter(pk=promo.pk).update(used=2)
    assert editor.post(edit, {**form, "max_uses": "4"}).status_code == 302
    promo.refresh_from_db()
    assert (promo.max_uses, promo.used) == (4, 2)
    lower = editor.post(edit, {**form, "max_uses": "1"})
    assert lower.status_code == 200 and "2 orders already use it" in lower.content.decode()


# --- Never more uses than allowed, under concurrency -------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_twenty_buyers_at_once_get_exactly_five_uses_of_a_five_use_code(settings):
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 10_000
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 10_000
    event = make_event("Big Night", types=[("Standard", "25.00", 500)])
    promo = make_code("FIVE", value="20", max_uses=5)

    def attempt(i):
        try:
            return place(event, {"Standard": 1}, "five", i=i)
        except CheckoutRefused as refused:
            return refused

    results = run_concurrently(attempt, [(i,) for i in range(20)])

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CheckoutRefused)]
    assert len(placed) == 5 and len(refused) == 15, results
    assert all("used as many times as it can be" in str(r) for r in refused)
    assert Order.objects.filter(promo_code=promo).count() == 5 == used(promo)
    assert Order.objects.count() == 5 and {o.total for o in placed} == {D("20.00")}
    assert check_inventory() == []


@pytest.mark.django_db
def test_check_inventory_finds_and_fixes_a_drifted_uses_counter(show):
    promo = make_code("DRIFT", max_uses=10)
    held = place(show, {"Adult": 1}, "drift")
    paid = place(show, {"Adult": 1}, "drift", i=1)
    assert orders.mark_paid(paid, record_payment(paid))
    refund_tickets(paid)  # refunded: its use stays counted
    orders.expire(held)  # given back
    assert check_inventory() == [] and used(promo) == 1

    PromoCode.objects.filter(pk=promo.pk).update(used=4)
    assert check_inventory() == [
        {"kind": "promo_code", "id": promo.pk, "name": "DRIFT", "sold": 4, "expected": 1}
    ]
    check_inventory(fix=True)
    assert used(promo) == 1 and check_inventory() == []
