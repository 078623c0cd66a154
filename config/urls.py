from django.apps import apps
from django.conf import settings
from django.urls import include, path
from django.views.decorators.cache import never_cache
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.documents import urls as wagtaildocs_urls

from config import views
from core.admin import content_tools_for_editors
from home import views as home_views
from ticketing.admin.dashboard import StaffHomeView

# Wagtail's /admin/failwhale/ raises on purpose, to try out error reports: an error page for
# anyone who finds it and a false alarm in Sentry. The site has no use for it, so it is not
# routed (the admin's catch-all answers 404).
WAGTAIL_ERROR_TEST = "wagtailadmin_error_test"
wagtail_admin_urls = [
    entry for entry in wagtailadmin_urls.urlpatterns if getattr(entry, "name", None) != WAGTAIL_ERROR_TEST
]

# /health/ and /health/ready/ have no route here: HealthCheckMiddleware answers them before
# host validation (config/middleware.py).
urlpatterns = [
    # Browsers ask for /favicon.ico on pages that name no icon (the sandbox's, SumUp-like).
    path("favicon.ico", views.favicon),
    # The site settings moved from the home app to core; editors' bookmarks still open them.
    path("admin/settings/home/sitesettings/", RedirectView.as_view(url="/admin/settings/core/sitesettings/")),
    path(
        "admin/settings/home/sitesettings/<int:site_pk>/",
        RedirectView.as_view(url="/admin/settings/core/sitesettings/%(site_pk)s/"),
    ),
    # The admin's home, as Wagtail's but sending door staff on to the scanner; guarded as
    # Wagtail guards its own (signed in, with admin access; never cached).
    path("admin/", never_cache(require_admin_access(StaffHomeView.as_view())), name="wagtailadmin_home"),
    # Wagtail's own admin, its content tools kept for the staff who edit content.
    path("admin/", include(content_tools_for_editors(wagtail_admin_urls))),
    path("documents/", include(wagtaildocs_urls)),
    path("tickets/", include("ticketing.urls")),
    path("legal/", include("legal.urls")),
    # Issue 12: calendars and search engines (before Wagtail's pages, which would 404 them).
    path("events/calendar.ics", home_views.events_calendar, name="events-calendar"),
    path("sitemap.xml", home_views.sitemap, name="sitemap"),
    path("robots.txt", home_views.robots_txt, name="robots"),
]

if settings.SUMUP_SANDBOX and apps.is_installed("sumup_sandbox"):
    # Fakes SumUp, payments included: only the dev and test settings install it, and
    # production refuses to start with SUMUP_SANDBOX on.
    urlpatterns.append(path("sandbox/sumup/", include("sumup_sandbox.urls")))

if (settings.DEBUG or getattr(settings, "SERVE_MEDIA", False)) and settings.MEDIA_URL.startswith("/"):
    # Uploaded images from MEDIA_ROOT: development only (dev.py's SERVE_MEDIA, also with DEBUG
    # off for the demo); production serves them from its storage.
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns.append(
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}
        )
    )

urlpatterns.append(path("", include(wagtail_urls)))

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
