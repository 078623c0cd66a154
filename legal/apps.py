from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = "Legal and privacy"

    def ready(self):
        from wagtail import hooks

        from core import page_cache
        from legal import privacy

        # Erasures are written to Wagtail's audit log by commands and jobs as well as by the
        # admin, so the action is registered as the app loads.
        hooks.register("register_log_actions", privacy.register_log_actions)

        # Every page shows the cookie banner: an editor's change must reach cached pages.
        page_cache.refresh_pages_when_saved("legal.CookieConsentSettings")
