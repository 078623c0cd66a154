from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Site content"

    def ready(self):
        from home import page_cache  # noqa: F401  (connects the publish signals)
