from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What the site's apps share: site settings, the page cache, admin helpers, safe CSV.

    It depends on no other app of the project; `home`, `ticketing` and `legal` depend on it.
    """

    name = "core"
    verbose_name = "Site"

    def ready(self):
        from config import slow_queries
        from core import csv, page_cache, site_furniture, staff_sessions

        page_cache.listen_for_content_changes()
        staff_sessions.mark_sessions_at_sign_in()
        site_furniture.forget_when_content_changes()
        # Wagtail's own CSV exports escape formula-like cells as the site's do (core.csv).
        csv.escape_wagtail_exports()
        # The site's one start-up hook: every process (web, worker, commands) logs slow queries.
        slow_queries.install()
