"""Building blocks for tests: the site and its events, orders in the states the shop leaves them
in, members of staff, and waiting for what another thread does.

Plain functions rather than a factory library: each says exactly what it makes. Orders are made
only through the shop's own verbs (the checkout's `place_order`, then `ticketing.orders`), never
by writing rows by hand, so an order here is one the shop could really hold; what SumUp would
have done (taken the money) is recorded as data.
"""

import time
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import Locale, Page, Site

from core import two_factor
from home.models import EventIndexPage, EventPage, HomePage
from ticketing import orders
from ticketing.checkout import Buyer, place_order
from ticketing.models import BuyerEmail, Event, Order, Payment, Refund, TicketType
from ticketing.payments.refunds import paying_payment

# A real buyer's browser: the checkout turns away scripts and headless browsers.
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

# The test settings' task backend: a job runs as soon as the transaction that made it commits.
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# --- The site and its events ----------------------------------------------------------------


def home_page():
    """The default site's HomePage, created (replacing Wagtail's welcome page) if needed."""
    existing = HomePage.objects.first()
    if existing:
        return existing
    # Transactional tests flush the tables, including what Wagtail's migrations made.
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Jersey Events", slug="home-test"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="Jersey Events"
        )
    else:
        site.root_page = home
        site.save()
    return home


def events_index():
    existing = EventIndexPage.objects.first()
    if existing:
        return existing
    return home_page().add_child(
        instance=EventIndexPage(title="What's on", slug="whats-on", show_in_menus=True)
    )


def make_event(title="Summer Concert", *, capacity=None, types=(("Standard", "25.00", 100),), **fields):
    """An on-sale event starting in three weeks, with (name, price, capacity) ticket types."""
    now = timezone.now()
    event = Event.objects.create(
        title=title,
        venue=fields.pop("venue", "Jersey Opera House"),
        starts_at=fields.pop("starts_at", now + timedelta(days=21)),
        sales_start=fields.pop("sales_start", now - timedelta(days=1)),
        status=fields.pop("status", Event.Status.ON_SALE),
        capacity=capacity,
        **fields,
    )
    for position, (name, price, type_capacity) in enumerate(types):
        TicketType.objects.create(
            event=event, name=name, price=Decimal(price), capacity=type_capacity, sort_order=position
        )
    return event


def make_event_page(event, **fields):
    page = EventPage(
        title=event.title,
        slug=fields.pop("slug", f"event-{event.pk}"),
        event=event,
        summary=fields.pop("summary", "A night to remember."),
        **fields,
    )
    events_index().add_child(instance=page)
    return page


def ticket_types(event):
    return list(event.ticket_types.order_by("pk"))


# --- Orders -----------------------------------------------------------------------------------


def make_order(event, quantities=None, *, email="ann@example.com", name="Ann Example", ip="203.0.113.7"):
    """A pending order holding its tickets, placed through the checkout service (its rules and
    velocity limits apply).

    `quantities`: {ticket type name: how many}; defaults to one of the event's first type.
    """
    types = {ticket_type.name: ticket_type for ticket_type in ticket_types(event)}
    quantities = quantities or {next(iter(types)): 1}
    return place_order(event, Buyer(name, email, ip, BROWSER), {types[n]: q for n, q in quantities.items()})


def record_payment(order, **fields) -> Payment:
    """The record of a payment SumUp took for the whole order: data only, it pays for nothing.

    Hand it to `orders.mark_paid` to pay the order, or leave it unclaimed (a payment that came
    too late, or a second one). The checkout's ids are made up unless `fields` give them.
    """
    made_up = uuid.uuid4().hex
    return Payment.objects.create(
        **{
            "order": order,
            "checkout_id": made_up,
            "checkout_reference": f"{order.reference}-{made_up[:8]}",
            "transaction_id": f"txn-{made_up}",
            "amount": order.total,
            "currency": order.currency,
            "status": Payment.Status.PAID,
            **fields,
        }
    )


def make_paid_order(
    event, quantities=None, *, email="ann@example.com", name="Ann Example", ip="203.0.113.7", **payment
):
    """A paid order as a purchase leaves it: placed through the checkout, then paid by
    `orders.mark_paid` with a payment record (`payment`: its fields, where a test names them).

    Paying promises the buyer their tickets by e-mail. That e-mail is sent here, at once and
    whatever task backend the test uses, and then taken out of `mail.outbox` again, so a test
    sees only the mail it causes itself. Its `BuyerEmail` row stays, sent, as after a real
    purchase: a test counting rows counts those it made (by reason, kind or refund).
    """
    order = make_order(event, quantities, email=email, name=name, ip=ip)
    paid_with = record_payment(order, **payment)
    sent_before = len(mail.outbox)
    # Outside a transactional test nothing ever commits, so the e-mail job is run by hand.
    with override_settings(TASKS=IMMEDIATE_TASKS), TestCase.captureOnCommitCallbacks(execute=True):
        assert orders.mark_paid(order, paid_with)
    ticket_email = order.buyer_emails.get(kind=BuyerEmail.Kind.TICKETS)
    assert ticket_email.status == BuyerEmail.Status.SENT, (
        f"the new order's ticket e-mail was not sent ({ticket_email.last_error}): "
        "make paid orders before making the mail fail"
    )
    del mail.outbox[sent_before:]
    order.refresh_from_db()
    return order


def refund_tickets(order, tickets=None):
    """Void `tickets` (None: every valid ticket of the order) as a refund SumUp accepted does.

    Through `orders.record_refund`: their seats go back on sale, and the order becomes partially
    refunded, or refunded once no ticket is left. Neither money nor e-mail is involved (see
    `make_refund` for a refund record): this is for tests of what a refunded ticket no longer
    does. Returns the order, reloaded.
    """
    if tickets is None:
        tickets = order.tickets.filter(voided_at__isnull=True)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        assert orders.record_refund(locked, tickets=list(tickets), cause="refund made by a test")
    order.refresh_from_db()
    return order


def make_refund(order, kind=Refund.Kind.STAFF, *, amount=None, tickets=(), status=Refund.Status.SUCCEEDED):
    """A refund as the refund service records it once SumUp has answered, without calling SumUp.

    A staff refund, or the refund of a late payment, is of the payment the order has; the
    refund of a second payment is of a second payment, recorded here. `tickets` are those a
    staff refund names: once it succeeded they are voided by `refund_tickets`, as the service
    does. `amount` defaults to their price, or to the whole order when there are none. No
    notice is queued: a test does that itself (`outbox.queue_refund_notice`).
    """
    if kind == Refund.Kind.DUPLICATE_PAYMENT:
        payment = record_payment(order)
    else:
        payment = paying_payment(order) or order.payments.get(status=Payment.Status.PAID)
    prices = dict(order.lines.values_list("ticket_type_id", "unit_price"))
    if amount is None:
        amount = sum((prices[ticket.ticket_type_id] for ticket in tickets), Decimal("0.00")) or order.total
    refund = Refund.objects.create(payment=payment, amount=amount, kind=kind, status=status)
    refund.tickets.set(tickets)
    if tickets and status == Refund.Status.SUCCEEDED:
        refund_tickets(order, tickets)
    return refund


def buy(client, event, *, adult=2, child=1, email="ann@example.com") -> Payment:
    """Check out over HTTP like a browser; returns the payment (a SumUp checkout) made for it.

    For an event of two ticket types, adults' then children's (the `event` fixture's).
    """
    adult_type, child_type = ticket_types(event)
    data = {
        "name": "Ann Example",
        "email": email,
        "accept_terms": "on",
        f"quantity_{adult_type.pk}": adult,
        f"quantity_{child_type.pk}": child,
    }
    response = client.post(reverse("ticketing:checkout", args=[event.pk]), data)
    assert response.status_code == 303, response.content.decode()[:500]
    return Payment.objects.select_related("order").get(hosted_checkout_url=response["Location"])


# --- Staff ------------------------------------------------------------------------------------


def make_staff(username, *permissions, groups=(), password=None, superuser=False):
    """A member of staff holding exactly `permissions` (codenames, e.g. "check_in_ticket") and
    those of `groups` (names, e.g. "Door staff"); or, as a superuser, every right there is.

    No password unless given: tests sign in with `signed_in`, except those that type one in.
    A permission or group that does not exist fails the test, rather than quietly granting less.
    """
    users = get_user_model().objects
    email = f"{username}@staff.example"
    if superuser:
        return users.create_superuser(username, email, password)
    user = users.create_user(username, email, password)
    granted = Permission.objects.filter(codename__in=permissions)
    joined = Group.objects.filter(name__in=groups)
    missing = {*permissions} - {*granted.values_list("codename", flat=True)}
    missing |= {*groups} - {*joined.values_list("name", flat=True)}
    assert not missing, f"no such permission or group: {', '.join(sorted(missing))}"
    user.user_permissions.set(granted)
    user.groups.set(joined)
    return user


def signed_in(user, client=None) -> Client:
    """`client` (a new test client if None) signed in as `user`, who is kept as `client.user`.

    Signed in means all the way: a user who signs in with a two-factor code (one with an
    authenticator app, or in a role that requires one) is given an app if they have none and the
    session counts as having typed its code. The tests of two-factor sign-in itself use
    `client.force_login` to stop after the password.
    """
    client = client or Client()
    client.force_login(user)
    if two_factor.is_required(user) or two_factor.confirmed_device(user):
        device = two_factor.confirmed_device(user) or TOTPDevice.objects.create(
            user=user, name=two_factor.DEVICE_NAME, confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    client.user = user
    return client


# --- Waiting ----------------------------------------------------------------------------------


def wait_for(condition, timeout=10.0, *, interval=0.05, failure="timed out"):
    """Wait until `condition()` is true and return what it returned; fail the test after `timeout`
    seconds.

    For what another thread or process does in its own time: the live server handling a
    webhook, the sandbox calling back. `failure` is what the test says then (a callable, to say
    it from what had happened by then).
    """
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(failure() if callable(failure) else failure)
        time.sleep(interval)
    return value
