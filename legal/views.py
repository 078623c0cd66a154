"""The legal app's public views: the cookie banner's choice and the "Your data" requests.

Thin: each parses input, calls `legal.data_requests` (the only code that moves a request on) and
shows the answer. The "Your data" form never looks anything up about the address it is given,
so its page, its e-mail and its work are the same for an address we know and one we do not.
"""

import logging

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.rate_limits import limit_or_refuse
from legal import consent, data_requests, emails
from legal.forms import DataRequestForm
from ticketing import fraud

logger = logging.getLogger(__name__)

# What the person reads while requests are paused because the rate-limit counters are down.
REQUESTS_PAUSED = (
    "We can’t take requests for a moment because of a technical problem on our side. Nothing "
    "has been sent or recorded: please try again in a minute."
)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def cookie_choice(request):
    """The cookie banner's answer (POST, from any page's banner, no JavaScript needed), and the
    footer's "Cookie settings" page (GET) where the answer can be changed at any time."""
    if request.method == "POST":
        return _record_choice(request)
    return render(request, "legal/cookie_settings.html", {"next_path": request.path})


def _record_choice(request):
    answer = request.POST.get("choice", "")
    if not consent.accepts(answer):
        return render(request, "400.html", status=400)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    # 303: the browser goes back to the page with a GET, whatever it sent here.
    response = HttpResponseRedirect(target, status=303)
    consent.remember(response, request, answer)
    return response


# --- "Your data" ------------------------------------------------------------------------------


def client_key(group, request):
    """Requests are counted per client as the checkout counts them (an IPv6 network is one)."""
    return fraud.request_client_key(request)


def data_request_rate(group, request):
    return settings.DATA_REQUEST_RATE_LIMIT


def _form_page(request, form, status=200):
    return render(request, "legal/data_request_form.html", {"form": form}, status=status)


def _paused(response):
    response["Retry-After"] = "60"
    return response


def data_request_paused(request):
    """The form while its rate limit cannot be counted (Redis is down): refused with a 503.

    Without its limit the form would send any number of e-mails to anyone's address; the outage
    is usually short, so the person gets the form back with what they typed.
    """
    form = DataRequestForm(request.POST)
    form.add_error(None, REQUESTS_PAUSED)  # validates too: mistakes in the typing show beside it
    return _paused(_form_page(request, form, status=503))


@require_http_methods(["GET", "POST"])
@never_cache
def data_request_view(request):
    """GET: the form. POST: a request waiting for its e-mailed link, then "check your inbox"."""
    if request.method == "POST":
        return _submit_data_request(request)
    return _form_page(request, DataRequestForm())


@limit_or_refuse(key=client_key, rate=data_request_rate, refuse=data_request_paused, group="data-request")
def _submit_data_request(request):
    form = DataRequestForm(request.POST)
    if not form.is_valid():
        # 503 when only Google's CAPTCHA check could not be made: ours to fix, worth a retry.
        return _form_page(request, form, status=503 if form.captcha_unavailable else 400)
    data_request = data_requests.submit(form.cleaned_data["email"], form.cleaned_data["kind"])
    emails.queue_confirmation_link(data_request)
    logger.info("data request received", extra={"data_request": data_request.pk, "kind": data_request.kind})
    return HttpResponseRedirect(reverse("legal:data-request-sent"), status=303)


@never_cache
def data_request_sent(request):
    """ "Check your inbox": the same words whatever address was given, and whether it is known."""
    return render(request, "legal/data_request_sent.html", {"link_days": settings.DATA_REQUEST_LINK_DAYS})


def _link_page(request, state, data_request=None, status=200):
    """The page behind the e-mailed link, in one of its states (the template switches on it)."""
    response = render(
        request,
        "legal/data_request_confirm.html",
        {"state": state, "data_request": data_request, "link_days": settings.DATA_REQUEST_LINK_DAYS},
        status=status,
    )
    # The link is the proof of the address: never send it to another site. ("no-referrer" would
    # make the browser send "Origin: null" with the page's own button, and CSRF refuses that.)
    response["Referrer-Policy"] = "same-origin"
    return response


def _answer_for_link(request, action, token):
    """Run `action` (look_up or confirm) on the token and show its answer; never a 500."""
    try:
        data_request = action(token)
    except data_requests.LinkExpired:
        return _link_page(request, "expired", status=410)
    except data_requests.LinkInvalid:
        return _link_page(request, "invalid", status=400)
    except data_requests.NotOpen:
        return _link_page(request, "closed", status=409)
    if data_request.status == data_request.Status.CONFIRMED:
        return _link_page(request, "confirmed", data_request)
    return _link_page(request, "waiting", data_request)


def confirm_paused(request, token):
    """Confirming while its rate limit cannot be counted: a 503, the button to press again."""
    return _paused(_link_page(request, "paused", status=503))


@require_http_methods(["GET", "POST"])
@never_cache
def data_request_confirm(request, token):
    """GET shows the button and changes nothing (mail scanners open links); POST confirms."""
    if request.method == "POST":
        return _confirm_data_request(request, token)
    return _answer_for_link(request, data_requests.look_up, token)


@limit_or_refuse(key=client_key, rate=data_request_rate, refuse=confirm_paused, group="data-request-confirm")
def _confirm_data_request(request, token):
    return _answer_for_link(request, data_requests.confirm, token)
