from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from legal import consent


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
