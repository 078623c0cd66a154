"""The waiting list's public pages: joining the list of a sold-out ticket type, and taking an offer.

Each parses input, calls `ticketing.waiting_list`, and renders the result. Both posts are
limited per client like the checkout (`limit_or_refuse`: a 503 with the form kept while the
counters are down), and turn away bot user agents.
"""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.exceptions import Ratelimited

from core.models import SiteSettings
from core.rate_limits import limit_or_refuse
from ticketing import checkout, fraud, waiting_list
from ticketing.models import Event
from ticketing.waiting_list_forms import JoinWaitingListForm, TakeOfferForm

PAUSED = (
    "We can’t take requests for a moment because of a technical problem on our side. Nothing has "
    "been changed, and your details are still below: please try again in a minute."
)
LIMITED = (
    "Too many requests have come from your connection in a short time, so we’ve paused them for a "
    "moment. Nothing has been changed, and your details are still below: please try again in a minute."
)


def client_ip_key(group, request):
    return fraud.request_client_key(request)


def join_rate(group, request):
    return settings.WAITING_LIST_RATE_LIMIT


def offer_rate(group, request):
    return settings.CHECKOUT_RATE_LIMIT


def _event_page_url(event):
    page = event.pages.live().first()
    return page.url if page is not None else None


# --- Joining ----------------------------------------------------------------------------------


def _sold_out_types(event):
    return [t for t in event.ticket_types.all() if t.remaining == 0]


def _join_page(request, event, form, status=200):
    return render(
        request,
        "ticketing/waiting_list_join.html",
        {"event": event, "form": form, "event_page_url": _event_page_url(event)},
        status=status,
    )


def _join_form(request, event):
    return JoinWaitingListForm(request.POST, ticket_types=_sold_out_types(event))


def _event_for_list(event_id):
    event = get_object_or_404(Event.objects.prefetch_related("ticket_types"), pk=event_id)
    if event.status == Event.Status.DRAFT:
        raise Http404("No such event.")
    return event


def join_paused(request, event_id):
    """The form while its rate limit cannot be counted (Redis is down): a 503, the form kept."""
    event = _event_for_list(event_id)
    form = _join_form(request, event)
    form.add_error(None, PAUSED)
    response = _join_page(request, event, form, status=503)
    response["Retry-After"] = "60"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def join_view(request, event_id):
    """GET: the form (`?type=<id>` chooses the ticket). POST: in line, then "You're on the list"."""
    event = _event_for_list(event_id)
    if request.method != "POST":
        waiting_list.expire_overdue_offers(event_id=event.pk)  # offers seen to have run out pass on
        event = _event_for_list(event_id)
        form = JoinWaitingListForm(
            ticket_types=_sold_out_types(event), initial={"ticket_type": request.GET.get("type")}
        )
        return _join_page(request, event, form)
    try:
        return _join(request, event_id)
    except Ratelimited:
        form = _join_form(request, event)
        form.add_error(None, LIMITED)
        response = _join_page(request, event, form, status=429)
        response["Retry-After"] = "60"
        return response


@limit_or_refuse(key=client_ip_key, rate=join_rate, refuse=join_paused, group="waiting-list-join")
def _join(request, event_id):
    if fraud.is_bot(request.headers.get("User-Agent", "")):
        return render(request, "ticketing/refused.html", status=403)
    event = _event_for_list(event_id)
    form = _join_form(request, event)
    if not form.is_valid():
        return _join_page(request, event, form, status=503 if form.captcha_unavailable else 400)
    try:
        waiting_list.join(
            form.cleaned_data["ticket_type"], form.cleaned_data["email"], form.cleaned_data["quantity"]
        )
    except waiting_list.WaitingListRefused as refused:
        form.add_error(None, str(refused))
        return _join_page(request, event, form, status=409)
    return HttpResponseRedirect(reverse("ticketing:waiting-list-joined", args=[event.pk]), status=303)


@require_GET
@never_cache
def joined_view(request, event_id):
    """The same words for a new place in line and for an address already on the list."""
    event = _event_for_list(event_id)
    return render(
        request,
        "ticketing/waiting_list_joined.html",
        {
            "event": event,
            "event_page_url": _event_page_url(event),
            "offer_minutes": settings.WAITING_LIST_OFFER_MINUTES,
        },
    )


# --- Taking an offer ---------------------------------------------------------------------------


def _offer_page(request, offer, form=None, *, error=None, status=200):
    return render(
        request,
        "ticketing/waiting_list_offer.html",
        {
            "offer": offer,
            "event": offer.event,
            "form": form or TakeOfferForm(initial={"email": offer.entry.email}),
            "error": error,
            "event_page_url": _event_page_url(offer.event),
        },
        status=status if offer.is_open else 410,
    )


def _offer_or_404(token):
    offer = waiting_list.offer_for(token)
    if offer is None:
        raise Http404("No such offer.")
    return offer


def offer_paused(request, token):
    offer = _offer_or_404(token)
    response = _offer_page(request, offer, TakeOfferForm(request.POST), error=PAUSED, status=503)
    response["Retry-After"] = "60"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache  # the page carries the offer's private link and what the buyer typed
def offer_view(request, token):
    """GET: the held tickets, their price and the time left, and the buyer's details. POST: the
    order is placed for exactly the held tickets and the buyer goes to SumUp to pay."""
    if request.method != "POST":
        return _offer_page(request, _offer_or_404(token))
    try:
        return _take_offer(request, token)
    except Ratelimited:
        offer = _offer_or_404(token)
        response = _offer_page(request, offer, TakeOfferForm(request.POST), error=LIMITED, status=429)
        response["Retry-After"] = "60"
        return response


@limit_or_refuse(key=client_ip_key, rate=offer_rate, refuse=offer_paused, group="waiting-list-offer")
def _take_offer(request, token):
    user_agent = request.headers.get("User-Agent", "")
    if fraud.is_bot(user_agent):
        return render(request, "ticketing/refused.html", status=403)
    offer = _offer_or_404(token)
    form = TakeOfferForm(request.POST)
    if not offer.is_open:
        return _offer_page(request, offer, form)
    if not form.is_valid():
        return _offer_page(request, offer, form, status=503 if form.captcha_unavailable else 400)
    buyer = checkout.Buyer(
        name=form.cleaned_data["name"],
        email=form.cleaned_data["email"],
        ip=fraud.client_ip(request),
        user_agent=user_agent,
        terms=SiteSettings.terms_in_force_for(request),
    )
    try:
        order = waiting_list.claim(token, buyer)
    except waiting_list.OfferOver:
        return _offer_page(request, _offer_or_404(token), form)
    except checkout.CheckoutRefused as refused:
        return _offer_page(request, offer, form, error=str(refused), status=409)
    try:
        payment = checkout.start_payment(order)
    except checkout.PaymentDelayed as delayed:
        return HttpResponseRedirect(reverse("ticketing:order", args=[delayed.order.token]), status=303)
    except checkout.PaymentUnavailable:
        # The order page says what happened (the hold kept, or released if SumUp was unreachable).
        return HttpResponseRedirect(reverse("ticketing:order", args=[order.token]), status=303)
    return HttpResponseRedirect(payment.hosted_checkout_url, status=303)
