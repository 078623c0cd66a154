from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = "Legal and privacy"

    def ready(self):
        from core import page_cache

        # Every page shows the cookie banner: an editor's change must reach cached pages.
        page_cache.refresh_pages_when_saved("legal.CookieConsentSettings")
