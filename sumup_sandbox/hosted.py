"""The hosted checkout page: what the buyer's browser sees instead of checkout.sumup.com.

A plain server-rendered page with "Pay" and "Decline" buttons; no JavaScript and no inline
style, because the site's Content-Security-Policy allows neither.

The forms carry Django's CSRF token rather than being exempt: the page is served from our
own origin with the site's cookies, and a "Pay" button that any other site could press on
the buyer's behalf would be a bad habit to model even in a sandbox. A browser gets the
token with the page; a script must GET the page before it POSTs (or use ``state.press``).
The view asks for the check itself (``csrf_protect``): on the site the middleware has made it
already, and the emulator's own server (config/settings/sandbox_server.py) has no such
middleware.

After a POST the browser is redirected back to the same URL (Post/Redirect/Get), which
then shows the outcome, so reloading the result never presses the button twice. A paid page
with a redirect_url returns the buyer to the shop by itself (a meta refresh), as SumUp does.
"""

from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from . import callbacks, payloads, services
from .models import SandboxCheckout

ACTIONS = ("pay", "decline")
# Once paid, the page goes back to the shop's redirect_url by itself after this long, as SumUp's
# hosted checkout does; the "Back to merchant website" link is there meanwhile.
RETURN_SECONDS = 2


def _page_state(checkout):
    """Which page to show: pending, paid, failed (retry allowed) or expired."""
    if checkout.status == SandboxCheckout.Status.PAID:
        return "paid"
    if checkout.status == SandboxCheckout.Status.EXPIRED or not checkout.payable_now():
        return "expired"
    return "failed" if checkout.status == SandboxCheckout.Status.FAILED else "pending"


def _render(request, checkout, status=200, error=""):
    context = {
        "checkout": checkout,
        "state": _page_state(checkout),
        "merchant_name": payloads.merchant_name(),
        "error": error,
        "return_seconds": RETURN_SECONDS,
    }
    return render(request, "sumup_sandbox/hosted.html", context, status=status)


def _not_found(request):
    return render(request, "sumup_sandbox/not_found.html", status=404)


@csrf_protect
@require_http_methods(["GET", "POST"])
def hosted_page(request, checkout_id):
    """``pay/<id>/``: GET shows the checkout, POST ``action=pay|decline`` presses a button."""
    # The page shows the checkout's own fields only, never its transactions.
    checkout = services.find_checkout(checkout_id, with_transactions=False)
    if checkout is None:
        return _not_found(request)
    if request.method == "GET":
        return _render(request, checkout)
    action = request.POST.get("action")
    if action not in ACTIONS:
        return _render(request, checkout, status=400, error="Choose Pay or Decline.")
    outcome = services.press(checkout.id, action)
    if outcome is None:  # deleted in between: only a test flushing the database does that
        return _not_found(request)
    if outcome.changed:
        callbacks.notify_status_change(outcome.checkout)
    return redirect("sumup_sandbox:hosted-page", checkout_id=checkout.id)
