"""An event's money reads in its own currency everywhere: pages, e-mails, the admin.

One event in pounds, one in euros and one in Swiss francs (shown by its code), each bought
through the real checkout and paid at the SumUp sandbox, which takes any currency of SumUp's
list (it has no merchant currency of its own to refuse a payment in). Adults cost 20.00 and
children 7.50; the order is two adults and a child, 47.50; staff then refund one adult, 20.00.
"""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from sumup_sandbox import state as sandbox
from tests.factories import events_index, make_event, make_event_page
from tests.payments.helpers import alerts, buy, buyer_mail, callback_body, deliver
from ticketing.models import Order, Payment, ReconciliationMismatch, Refund, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

# currency: (how 47.50 reads, how 20.00 reads, how 7.50 reads)
SHOWN = {
    "GBP": ("£47.50", "£20.00", "£7.50"),
    "EUR": ("€47.50", "€20.00", "€7.50"),
    "CHF": ("CHF 47.50", "CHF 20.00", "CHF 7.50"),
}
SIGNS = ("£", "€")


def signs_other_than(total_shown):
    """The currency signs that must not appear: any but this currency's own."""
    return [sign for sign in SIGNS if sign not in total_shown]


def assert_in_this_currency(text, currency, *amounts):
    """Each amount (an index into SHOWN) is in `text`, and no other currency's sign is."""
    shown = SHOWN[currency]
    for which in amounts:
        assert shown[which] in text, f"{shown[which]} not shown"
    for sign in signs_other_than(shown[0]):
        assert sign not in text, f"{sign} shown for an event in {currency}"


TOTAL, ADULT, CHILD = 0, 1, 2


@pytest.fixture(params=sorted(SHOWN))
def currency(request):
    return request.param


@pytest.fixture
def event(currency, sumup_sandbox):
    """An event priced in `currency`: Adult 20.00 ×10, Child 7.50 ×5, with its page."""
    event = make_event(
        f"Harbour Concert ({currency})",
        types=[("Adult", "20.00", 10), ("Child", "7.50", 5)],
        currency=currency,
    )
    make_event_page(event)
    return event


@pytest.fixture
def paid(buyer, event, sumup_sandbox):
    """Two adults and a child bought and paid over the real path: 47.50 in the event's currency."""
    payment = buy(buyer, event)
    assert sandbox.get_checkout(payment.checkout_id).currency == event.currency
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    payment.order.refresh_from_db()
    assert payment.order.status == Order.Status.PAID
    return payment.order


@pytest.fixture
def staff(django_user_model):
    """Staff who may see orders, payments and refunds, and refund."""
    user = django_user_model.objects.create_user("cashier", "cashier@staff.example", "unused-password")
    codenames = [
        "access_admin",
        "view_order",
        "view_payment",
        "view_refund",
        "view_reconciliationmismatch",
        "refund_order",
    ]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def refund_one_adult(staff, order):
    """Staff refund one adult ticket through the admin; returns the review page's HTML."""
    adult = Ticket.objects.filter(order=order, ticket_type__name="Adult").order_by("pk").first()
    url = reverse("ticketing_order_refund", args=[order.pk])
    review = staff.post(url, {"tickets": [adult.pk]})
    assert review.status_code == 200
    done = staff.post(url, {"tickets": [adult.pk], "confirmed": "True"})
    assert done.status_code == 302
    return review.content.decode()


def html_of(message):
    return message.alternatives[0][0]


def test_the_event_page_and_its_card_show_prices_in_the_events_currency(buyer, event, currency):
    event_page = buyer.get(event.pages.first().url)
    assert event_page.status_code == 200
    # The facts ("From 7.50"), the price table and the checkout form's prices.
    assert_in_this_currency(event_page.content.decode(), currency, ADULT, CHILD)

    listing = buyer.get(events_index().url)
    assert listing.status_code == 200
    assert_in_this_currency(listing.content.decode(), currency, CHILD)  # "from" the cheapest


def test_the_order_page_and_the_tickets_page_show_the_orders_currency(buyer, paid, currency):
    order_page = buyer.get(reverse("ticketing:order", args=[paid.token]))
    # Lines: two adults 40.00, a child 7.50; total 47.50.
    assert_in_this_currency(order_page.content.decode(), currency, TOTAL, CHILD)

    tickets_page = buyer.get(reverse("ticketing:tickets", args=[paid.token]))
    assert tickets_page.status_code == 200
    assert_in_this_currency(tickets_page.content.decode(), currency, TOTAL)


def test_the_ticket_email_and_the_refund_notice_show_the_orders_currency(paid, staff, currency):
    [tickets_email] = buyer_mail()
    for body in (tickets_email.body, html_of(tickets_email)):
        assert_in_this_currency(body, currency, TOTAL)

    refund_one_adult(staff, paid)

    notice = buyer_mail()[-1]
    assert notice is not tickets_email and "refund" in notice.subject.lower()
    for body in (notice.body, html_of(notice)):
        assert_in_this_currency(body, currency, ADULT)


def test_the_admin_shows_the_orders_currency_in_its_lists_and_screens(paid, staff, currency):
    review = refund_one_adult(staff, paid)
    assert f"Refund {SHOWN[currency][ADULT]}?" in review
    assert_in_this_currency(review, currency, TOTAL, ADULT)

    order_list = staff.get(reverse("ticketing_order_modeladmin_index"))
    assert_in_this_currency(order_list.content.decode(), currency, TOTAL)

    inspect = staff.get(reverse("ticketing_order_modeladmin_inspect", args=[paid.pk]))
    # The order's total, its lines (the child's 7.50), its payment and the refund of 20.00.
    assert_in_this_currency(inspect.content.decode(), currency, TOTAL, ADULT, CHILD)

    payment = Payment.objects.get(order=paid)
    for page in ("index", "inspect"):
        args = [payment.pk] if page == "inspect" else []
        payments = staff.get(reverse(f"ticketing_payment_modeladmin_{page}", args=args))
        assert_in_this_currency(payments.content.decode(), currency, TOTAL)

    refund = Refund.objects.get(payment=payment)
    for page in ("index", "inspect"):
        args = [refund.pk] if page == "inspect" else []
        refunds = staff.get(reverse(f"ticketing_refund_modeladmin_{page}", args=args))
        assert_in_this_currency(refunds.content.decode(), currency, ADULT)


@pytest.mark.parametrize("currency", ["EUR"])
def test_a_payment_in_the_wrong_currency_reads_each_amount_in_its_own(buyer, event, sumup_sandbox, staff):
    """SumUp took 47.50 in pounds for an order of 47.50 in euros: a mismatch, alerted to staff."""
    payment = buy(buyer, event)
    sandbox.mark_paid(payment.checkout_id, currency="GBP")
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    mismatch = ReconciliationMismatch.objects.get(kind=ReconciliationMismatch.Kind.CURRENCY)

    assert "SumUp reports £47.50" in mismatch.detail and "the order is €47.50" in mismatch.detail
    [alert] = alerts()
    assert "Order: €47.50. SumUp: £47.50" in alert.body

    listing = staff.get(reverse("ticketing_reconciliationmismatch_modeladmin_index")).content.decode()
    inspect = staff.get(
        reverse("ticketing_reconciliationmismatch_modeladmin_inspect", args=[mismatch.pk])
    ).content.decode()
    for page in (listing, inspect):
        # Each figure in a cell of its own: SumUp's in the currency SumUp reported, ours in the
        # one our payment asked for.
        assert ">£47.50</" in page and ">€47.50</" in page
        assert ">47.50</" not in page
