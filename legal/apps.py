from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = "Legal and privacy"

    def ready(self):
        from core import page_cache
        from legal import consent

        # Every page shows the cookie banner: an editor's change must reach cached pages, and
        # a page is cached apart for visitors asked, answered, and answered yes to analytics.
        page_cache.refresh_pages_when_saved("legal.CookieConsentSettings")
        page_cache.pages_vary_by(consent.page_variant, forget=consent.forget_recent_settings)
        consent.listen_for_banner_changes()
