"""Buyer-facing ticketing views. Each parses input, calls one service, renders the result."""

import logging
import re

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.exceptions import Ratelimited

from core.models import SiteSettings
from core.rate_limits import limit_or_refuse
from ticketing import attendee_names, calendar, checkout, find_orders, fraud, order_summary, self_service
from ticketing.forms import CheckoutForm, FindOrdersForm, quantity_field_name
from ticketing.models import (
    Event,
    Order,
    Payment,
    event_with_ticket_types,
    lines_of,
    order_with_payments,
)
from ticketing.payments import sumup
from ticketing.payments.confirmation import Outcome, refresh_payment_if_due

logger = logging.getLogger(__name__)

# What the buyer reads when purchases are paused because the rate-limit counters are down.
CHECKOUT_PAUSED = (
    "We can’t take orders for a moment because of a technical problem on our side. Nothing has "
    "been reserved or charged, and your details are still below: please try again in a minute."
)
CHECKOUT_LIMITED = (
    "Too many orders have come from your connection in a short time, so we’ve paused them for a "
    "moment. Nothing has been reserved or charged, and your details are still below: please try "
    "again in a minute."
)
FIND_ORDERS_PAUSED = (
    "We can’t look up orders for a moment because of a technical problem on our side. Nothing "
    "has been sent: please try again in a minute."
)
ORDER_CHANGES_PAUSED = (
    "We can’t change orders for a moment because of a technical problem on our side. Nothing "
    "has been changed: please try again in a minute."
)
PAY_AGAIN_PAUSED = (
    "We can’t start a new payment for a moment because of a technical problem on our side. "
    "Nothing has been charged and your tickets are still held: please try again in a minute."
)


def client_ip_key(group, request):
    return fraud.request_client_key(request)


def checkout_rate(group, request):
    return settings.CHECKOUT_RATE_LIMIT


def _event_page(event):
    page = event.pages.live().specific().first()
    if page is None:
        raise Http404("This event has no page.")
    return page


def _event_page_response(request, event, form, status):
    """Show the event page again with the buyer's form, its errors and what they typed."""
    page = _event_page(event)
    form.offer_captcha()
    context = page.get_context(request)
    context["checkout_form"] = form
    return render(request, page.get_template(request), context, status=status)


def _checkout_form(request, event, ticket_types, *, check_captcha=True):
    return CheckoutForm(request.POST, event=event, ticket_types=ticket_types, check_captcha=check_captcha)


def _event_for_checkout(event_id):
    """The event and its ticket types, in one query; 404 when there is no such event."""
    try:
        return event_with_ticket_types(event_id)
    except Event.DoesNotExist:
        raise Http404("No such event.") from None


def checkout_paused(request, event_id):
    """The checkout while its rate limits cannot be counted (Redis is down): refused with a 503.

    Selling without limits would open the door to bots; the outage is usually short, so the
    buyer gets the event page back with what they typed and a word to try again.
    """
    event, ticket_types = _event_for_checkout(event_id)
    form = _checkout_form(request, event, ticket_types)
    form.add_error(None, CHECKOUT_PAUSED)  # shown alone: the form is not validated
    response = _event_page_response(request, event, form, status=503)
    response["Retry-After"] = "60"
    return response


def checkout_limited(request, event_id):
    """The checkout over its rate limit: a 429, but on the event page with what was typed.

    A bare "too many attempts" page would lose the buyer's order; a real buyer who pressed the
    button a few times too often only has to wait a minute and press it again.
    """
    event, ticket_types = _event_for_checkout(event_id)
    form = _checkout_form(request, event, ticket_types)
    form.add_error(None, CHECKOUT_LIMITED)  # shown alone: the form is not validated
    response = _event_page_response(request, event, form, status=429)
    response["Retry-After"] = "60"
    return response


# The checkout form's "step": "review" (the server shows the order and its total before anything
# is reserved: the form's default, for a browser without JavaScript), "change" (back to the event
# page from the review, with what was typed), anything else places the order and goes to pay.
STEP_REVIEW = "review"
STEP_CHANGE = "change"


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache  # the answers carry what the buyer typed: no cache may keep them
def checkout_view(request, event_id):
    """The checkout's URL. A GET (a bookmark, a reload after an error, a shared link) goes to the
    event page's tickets, where the form is; a POST is an order."""
    if request.method != "POST":
        event = get_object_or_404(Event, pk=event_id)
        return HttpResponseRedirect(_event_page(event).url + "#tickets")
    try:
        return _checkout(request, event_id)
    except Ratelimited:
        return checkout_limited(request, event_id)


@limit_or_refuse(
    key=client_ip_key, rate=checkout_rate, refuse=checkout_paused, group="ticketing.views.checkout_view"
)
def _checkout(request, event_id):
    user_agent = request.headers.get("User-Agent", "")
    if fraud.is_bot(user_agent):
        return render(request, "ticketing/refused.html", status=403)
    event, ticket_types = _event_for_checkout(event_id)
    step = request.POST.get("step")
    if step == STEP_CHANGE:
        form = _checkout_form(request, event, ticket_types, check_captcha=False)
        return _event_page_response(request, event, form, status=200)
    form = _checkout_form(request, event, ticket_types, check_captcha=step != STEP_REVIEW)
    problems = _every_problem(event, form)
    if problems is not None:
        return _event_page_response(request, event, form, status=problems)
    if step == STEP_REVIEW:
        return _review_page(request, event, form)
    buyer = checkout.Buyer(
        name=form.cleaned_data["name"],
        email=form.cleaned_data["email"],
        ip=fraud.client_ip(request),
        user_agent=user_agent,
        terms=SiteSettings.terms_in_force_for(request),
    )
    try:
        order = checkout.place_order(
            event, buyer, form.cleaned_data["quantities"], promo_code=form.cleaned_data["promo_code"]
        )
        payment = checkout.start_payment(order, placed_now=True)
    except checkout.PaymentDelayed as delayed:
        # The tickets are held; the order page offers "Try paying again".
        return HttpResponseRedirect(reverse("ticketing:order", args=[delayed.order.token]), status=303)
    except checkout.NotEnoughLeft as refused:
        if event.sales_state(ticket_types=form.ticket_types) == Event.SalesState.SOLD_OUT:
            return _sold_out_page(request, event)
        form.show_refusal(refused)  # other tickets are left: the buyer may choose them instead
        return _event_page_response(request, event, form, status=_refusal_status(refused))
    except (checkout.CheckoutRefused, checkout.PaymentUnavailable) as refused:
        form.show_refusal(refused)
        return _event_page_response(request, event, form, status=_refusal_status(refused))
    return HttpResponseRedirect(payment.hosted_checkout_url, status=303)


def _sold_out_page(request, event):
    """The checkout met "sold out" with nothing of the event left to choose: a short page (409)
    that says so and offers the waiting list, not the whole event page again.

    At an on-sale rush most buyers press "Buy" after the last seat has gone; the event page
    would show them only the same "Sold out" at the cost of a full render each. The event is
    as read for this request (`inventory.refuse_when_short`).
    """
    return render(
        request,
        "ticketing/checkout_sold_out.html",
        {"event": event, "event_page_url": calendar.public_page_url(event)},
        status=409,
    )


def _every_problem(event, form):
    """Validate the form and the order's rules together; the status to answer with, or None.

    Both kinds of error are shown in one round (a missing e-mail address no longer hides "choose
    at least one ticket"); the rules are the checkout's, the form only shows them.
    """
    valid = form.is_valid()
    quantities = form.typed_quantities()
    problems = [] if quantities is None else checkout.order_rule_problems(event, quantities)
    if quantities and not problems and not form.has_error("promo_code"):
        try:
            checkout.check_promo_code(event, form.cleaned_data.get("promo_code"), quantities)
        except checkout.CheckoutRefused as refused:
            problems.append(refused)
    for problem in problems:
        form.show_refusal(problem)
    if not valid:
        # 503 when only Google's CAPTCHA check could not be made: ours to fix, worth a retry.
        return 503 if form.captcha_unavailable else 400
    if problems:
        return _refusal_status(problems[0])
    return None


def _review_page(request, event, form):
    """The order, its lines and total, and the "Pay" button: nothing is reserved until it is pressed.

    Every field travels on as a hidden input (the CAPTCHA, when on, is asked for here), so
    pressing "Pay" posts the same order through the same checks.
    """
    quantities = form.cleaned_data["quantities"]
    try:
        promo_code = checkout.check_promo_code(event, form.cleaned_data["promo_code"], quantities)
    except checkout.CheckoutRefused as refused:  # the code ended since the form was checked
        form.show_refusal(refused)
        return _event_page_response(request, event, form, status=_refusal_status(refused))
    return render(
        request,
        "ticketing/checkout_review.html",
        {
            "event": event,
            "buyer": form.cleaned_data,
            "quantity_fields": [(quantity_field_name(t), n) for t, n in quantities.items()],
            # Unbound: only for the CAPTCHA's widget, when the CAPTCHA is on.
            "captcha_form": CheckoutForm(event=event, ticket_types=form.ticket_types),
            "preview": checkout.preview_order(quantities, promo_code),
            "hold_minutes": settings.ORDER_HOLD_MINUTES,
            "event_page": _event_page(event),
        },
    )


def _refusal_status(refused) -> int:
    """400 for an order that breaks a rule, 503 when busy, 409 when stock or limits say no."""
    if isinstance(refused, checkout.OrderRuleBroken):
        return 400
    if isinstance(refused, checkout.CheckoutBusy):
        return 503
    return 409


def _payment_state(order, latest):
    """What the buyer should be told, as a word the template switches on."""
    if order.status in Order.OWNS_TICKETS:
        return "paid"
    if order.status == Order.Status.PENDING:
        if not order.is_hold_active:
            return "expired"
        if latest is None or latest.status in (Payment.Status.FAILED, Payment.Status.EXPIRED):
            return "failed"
        return "confirming"
    return {
        Order.Status.EXPIRED: "expired",
        Order.Status.CANCELLED: "expired",
        Order.Status.REFUNDED: "refunded",
        Order.Status.NEEDS_REVIEW: "review",
    }.get(order.status, "review")


def _order_for_page(token):
    """The order with the rows of its own that its page shows: event, promo code, payments.

    One query (`order_with_payments`). The payments come newest first, so the latest one, the
    paid ones (`order_summary`) and the one that paid (`refunds.paying_payment`) cost none more.
    """
    try:
        return order_with_payments(token)
    except Order.DoesNotExist:
        raise Http404 from None


def _latest_payment(order):
    return next(iter(order.payments.all()), None)


# What asking SumUp may answer that leaves the page's copy of the order and payment as they are
# in the database: confirmed here (on these very copies), or still not paid.
_COPIES_CURRENT = {Outcome.CONFIRMED, Outcome.NOT_PAID}


@require_GET
@never_cache
def order_view(request, token):
    order = _order_for_page(token)
    latest = _latest_payment(order)
    if order.status == Order.Status.PENDING and latest is not None:
        try:
            outcome = refresh_payment_if_due(latest)
        except sumup.SumUpError:
            # SumUp is slow or down: say we are still confirming, and look again shortly.
            logger.warning("could not refresh payment", extra={"order": order.reference})
        else:
            # None: SumUp was asked a moment ago, and nothing changed here. Otherwise the
            # confirmation acted on these copies; read them again unless they are known current
            # (a payment "still paid" here while the order waits means another process moved it).
            if outcome is not None and (
                outcome not in _COPIES_CURRENT
                or (latest.status == Payment.Status.PAID and order.status == Order.Status.PENDING)
            ):
                order = _order_for_page(token)
                latest = _latest_payment(order)
    return _order_page(request, order, latest, done=request.GET.get("done"))


# What the order page says after the buyer changed their order (`?done=` of the redirect).
DONE_NOTICES = {
    "cancelled": "Your tickets are cancelled and the refund has been made: it is listed below.",
    "names": "The names are saved.",
}


def _order_page(
    request, order, latest, *, error=None, status=200, done=None, typed_names=None, name_errors=None
):
    state = _payment_state(order, latest)
    summary = order_summary.summarise(order)
    paid = state == "paid"
    response = render(
        request,
        "ticketing/order_detail.html",
        {
            "order": order,
            "event": order.event,
            "lines": lines_of(order),
            "payment": latest,
            "state": state,
            # Only tickets that still admit: a refunded one, or one being refunded, is listed under its refund.
            "tickets": summary.admitting if state == "paid" else [],
            "summary": summary,
            "refresh_seconds": 5 if state == "confirming" else None,
            "error": error,
            "done": DONE_NOTICES.get(done),
            "cancellable": self_service.cancellable_tickets(order) if paid else [],
            "cancel_policy": self_service.policy_text(order.event),
            **_names_context(order, paid, typed_names or {}, name_errors or {}),
        },
        status=status,
    )
    # The URL is the secret that shows this order: never send it to another site. ("no-referrer"
    # would make the browser send "Origin: null" with our own forms, and CSRF refuses those.)
    response["Referrer-Policy"] = "same-origin"
    return response


def pay_again_rate(group, request):
    return settings.PAY_AGAIN_RATE_LIMIT


def pay_again_rate_per_order(group, request):
    return settings.PAY_AGAIN_RATE_LIMIT_PER_ORDER


def order_key(group, request):
    return request.resolver_match.kwargs.get("token", "")


def pay_again_paused(request, token):
    """Pay again while its rate limits cannot be counted (Redis is down): refused with a 503.

    Each attempt opens a SumUp checkout, so it is not made without its limits; the order page
    says to try again in a minute (the hold goes on meanwhile).
    """
    order = get_object_or_404(Order.objects.select_related("event"), token=token)
    response = _order_page(request, order, order.payments.first(), error=PAY_AGAIN_PAUSED, status=503)
    response["Retry-After"] = "60"
    return response


@require_POST
@limit_or_refuse(key=client_ip_key, rate=pay_again_rate, refuse=pay_again_paused, group="pay-again")
@limit_or_refuse(
    key=order_key, rate=pay_again_rate_per_order, refuse=pay_again_paused, group="pay-again-order"
)
def pay_again_view(request, token):
    """A new SumUp checkout for the same order, while its hold lasts."""
    order = get_object_or_404(Order.objects.select_related("event"), token=token)
    try:
        payment = checkout.start_payment(order, retry=True)
    except checkout.PaymentUnavailable as refused:
        order.refresh_from_db()
        return _order_page(request, order, order.payments.first(), error=str(refused), status=409)
    return HttpResponseRedirect(payment.hosted_checkout_url, status=303)


def _names_context(order, paid, typed, errors):
    """The attendee-name rows of the order page: each ticket, what it shows, any error."""
    tickets = attendee_names.tickets_to_name(order) if paid else []
    return {
        "name_rows": [
            {
                "ticket": ticket,
                "value": typed.get(ticket.pk, ticket.attendee_name),
                "error": errors.get(ticket.pk),
            }
            for ticket in tickets
        ],
        "names_editable": bool(tickets) and attendee_names.editable(order),
        "names_required": attendee_names.required(order.event),
        "names_missing": sum(1 for ticket in tickets if not ticket.attendee_name),
        "names_max_length": attendee_names.MAX_LENGTH,
    }


# --- The buyer changing their order: cancelling tickets, naming attendees ----------------------


def order_changes_rate_per_order(group, request):
    return settings.ORDER_CHANGES_RATE_LIMIT_PER_ORDER


def order_changes_paused(request, token):
    """A change to the order while its rate limit cannot be counted (Redis is down): a 503.

    Each cancellation calls SumUp; without its limit a script could hammer it through one order.
    """
    order = get_object_or_404(Order.objects.select_related("event"), token=token)
    response = _order_page(request, order, order.payments.first(), error=ORDER_CHANGES_PAUSED, status=503)
    response["Retry-After"] = "60"
    return response


_ID = re.compile(r"[0-9]{1,12}")


def _ticket_ids(values) -> list[int] | None:
    """The ticket ids a form sent; None when one is not an id at all (a forged form)."""
    if not all(_ID.fullmatch(value) for value in values):
        return None
    return [int(value) for value in values]


def _order_for_change(token):
    return get_object_or_404(Order.objects.select_related("event"), token=token)


def _done(order, what):
    return HttpResponseRedirect(f"{reverse('ticketing:order', args=[order.token])}?done={what}", status=303)


@require_POST
@never_cache
@limit_or_refuse(
    key=order_key, rate=order_changes_rate_per_order, refuse=order_changes_paused, group="order-changes"
)
def cancel_tickets_view(request, token):
    """Cancel chosen tickets: first the confirmation (what comes back), then, confirmed, the refund."""
    order = _order_for_change(token)
    ticket_ids = _ticket_ids(request.POST.getlist("ticket"))
    if ticket_ids is None:
        return _order_page(
            request, order, order.payments.first(), error="Choose tickets from the list.", status=400
        )
    try:
        if request.POST.get("step") != "confirm":
            return _cancel_confirmation(request, self_service.quote(order, ticket_ids))
        self_service.cancel(order, ticket_ids)
    except self_service.CancelRefused as refused:
        order.refresh_from_db()
        return _order_page(request, order, order.payments.first(), error=str(refused), status=refused.status)
    except self_service.CancelNotFinished as unfinished:
        order.refresh_from_db()
        status = 202 if unfinished.pending else 503
        return _order_page(request, order, order.payments.first(), error=str(unfinished), status=status)
    return _done(order, "cancelled")


def _cancel_confirmation(request, offer):
    response = render(
        request,
        "ticketing/cancel_confirm.html",
        {"order": offer.order, "event": offer.order.event, "offer": offer},
    )
    response["Referrer-Policy"] = "same-origin"
    return response


_NAME_FIELD = re.compile(r"attendee_([0-9]{1,12})")


@require_POST
@never_cache
@limit_or_refuse(
    key=order_key, rate=order_changes_rate_per_order, refuse=order_changes_paused, group="order-changes"
)
def attendee_names_view(request, token):
    """Save the names typed for the order's tickets; the page again with every problem, or done."""
    order = _order_for_change(token)
    typed = {}
    for key, value in request.POST.items():
        if key.startswith("attendee_"):
            field = _NAME_FIELD.fullmatch(key)
            if field is None:
                typed = None
                break
            typed[int(field.group(1))] = value
    if not typed:
        return _order_page(request, order, order.payments.first(), error="No names were sent.", status=400)
    try:
        attendee_names.save_names(order, typed)
    except attendee_names.NamesLocked as locked:
        return _order_page(request, order, order.payments.first(), error=str(locked), status=403)
    except attendee_names.NamesInvalid as invalid:
        return _order_page(
            request,
            order,
            order.payments.first(),
            error="Some names need correcting: see below.",
            status=400,
            typed_names=typed,
            name_errors=invalid.errors,
        )
    return _done(order, "names")


# --- Find my tickets ---------------------------------------------------------------------------


def find_orders_rate(group, request):
    return settings.FIND_ORDERS_RATE_LIMIT


def _find_orders_page(request, form, status=200):
    return render(request, "ticketing/find_orders.html", {"form": form}, status=status)


def find_orders_paused(request):
    """The form while its rate limit cannot be counted (Redis is down): refused with a 503.

    Without its limit the form would send any number of e-mails to anyone's address.
    """
    form = FindOrdersForm(request.POST)
    form.add_error(None, FIND_ORDERS_PAUSED)
    response = _find_orders_page(request, form, status=503)
    response["Retry-After"] = "60"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def find_orders_view(request):
    """GET: the form. POST: the e-mail queued, then "check your inbox", for any address."""
    if request.method == "POST":
        return _ask_for_orders(request)
    return _find_orders_page(request, FindOrdersForm())


@limit_or_refuse(key=client_ip_key, rate=find_orders_rate, refuse=find_orders_paused, group="find-orders")
def _ask_for_orders(request):
    form = FindOrdersForm(request.POST)
    if not form.is_valid():
        # 503 when only Google's CAPTCHA check could not be made: ours to fix, worth a retry.
        return _find_orders_page(request, form, status=503 if form.captcha_unavailable else 400)
    find_orders.ask(form.cleaned_data["email"])
    return HttpResponseRedirect(reverse("ticketing:find-orders-sent"), status=303)


@require_GET
@never_cache
def find_orders_sent(request):
    """ "Check your inbox": the same words whatever address was given, and whether it bought."""
    return render(request, "ticketing/find_orders_sent.html")
