from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

CONSENT_COOKIE = "cookie_consent"


@require_POST
def cookie_choice(request):
    """Record the banner's choice in a cookie and go back; works without JavaScript."""
    choice = "all" if request.POST.get("choice") == "all" else "necessary"
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        CONSENT_COOKIE, choice, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure()
    )
    return response
