"""Views for tickets once they exist: the buyer's ticket page and the door check-in.

Thin, as the other ticketing views: parse the input, call `ticketing.tickets` or
`ticketing.checkin`, render.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from ticketing import calendar, checkin, order_summary
from ticketing.models import Event, Order
from ticketing.tickets import ticket_cards


@require_GET
@never_cache
def order_tickets_view(request, token):
    """Every ticket of a paid order with its QR code, by the order's secret URL; prints one per block."""
    order = get_object_or_404(Order.objects.select_related("event"), token=token)
    if order.status not in Order.OWNS_TICKETS:
        # The order page says why there are no tickets (pending, expired, refunded...).
        return redirect("ticketing:order", token=order.token)
    response = render(
        request,
        "ticketing/tickets.html",
        {
            "order": order,
            "event": order.event,
            "cards": ticket_cards(order),
            # Tickets in a refund SumUp has not answered yet: not void, but not to be used either.
            "being_refunded": order_summary.summarise(order).being_refunded_ids,
        },
    )
    # The URL is the secret that shows these tickets: never send it to another site.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
@never_cache
def order_calendar_view(request, token):
    """The order's event as an .ics file, by the order's secret URL, once it has tickets.

    An order without tickets (unpaid, expired, refunded) has no event to go to: 404, as for a
    token that names no order.
    """
    order = get_object_or_404(Order.objects.select_related("event"), token=token)
    if order.status not in Order.OWNS_TICKETS:
        raise Http404("This order has no tickets.")
    response = HttpResponse(
        calendar.calendar_file([calendar.entry_for_order(order)]), content_type=calendar.CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{calendar.file_name(order.event)}"'
    # As the ticket page: the URL is the secret, never sent on nor listed by a search engine.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def check_in_staff_only(view):
    """Signed-in staff with the check-in permission; others to the admin login, or 403."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
        if not request.user.has_perm(checkin.CHECK_IN_PERMISSION):
            raise PermissionDenied("Checking in tickets needs the check-in permission.")
        return view(request, *args, **kwargs)

    return guarded


@require_GET
@never_cache
@check_in_staff_only
def check_in_events_view(request):
    """Pick the event at this door."""
    return render(request, "ticketing/checkin/events.html", {"events": checkin.events_for_check_in()})


@require_http_methods(["GET", "POST"])
@never_cache
@check_in_staff_only
def check_in_view(request, event_id):
    """The scanner: a form for the code (a USB scanner types it), the camera where the browser can.

    The answer comes back as the page again (no JavaScript) or as JSON for checkin.js, which
    keeps the camera running between scans.
    """
    event = get_object_or_404(Event, pk=event_id)
    result = None
    if request.method == "POST":
        result = checkin.check_in(request.POST.get("code", ""), event, request.user)
    counts = checkin.event_counts(event)
    if request.method == "POST" and "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({**result.as_dict(), "checked_in": counts.checked_in, "sold": counts.sold})
    return render(
        request, "ticketing/checkin/scan.html", {"event": event, "result": result, "counts": counts}
    )
