"""The URLconf of the SumUp emulator's own server (config/settings/sandbox_server.py).

The emulator answers at the same paths as when the site serves it (config/urls.py), so
SUMUP_API_BASE and hosted page URLs do not depend on which server plays SumUp. Anything else
is a JSON 404, as any unknown path under the emulator is, and errors answer in plain text:
the site's error pages need the site's templates and settings, which this server has not.
"""

from django.http import HttpResponse
from django.urls import include, path

from config import views
from sumup_sandbox import errors

urlpatterns = [
    # Browsers ask for /favicon.ico on pages that name no icon, as the hosted page does.
    path("favicon.ico", views.favicon),
    path("sandbox/sumup/", include("sumup_sandbox.urls")),
]


def not_found(request, exception=None):
    return errors.not_found()


def _plain(status, text):
    def view(request, exception=None):
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")

    return view


handler400 = _plain(400, "Bad request")
handler403 = _plain(403, "Forbidden")
handler404 = not_found
handler500 = _plain(500, "Server error")
