"""What every app's pages share: the site's settings and the base of a page that may be cached."""

from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page

from core.page_cache import cache_this_page


class CachedPage(Page):
    """A page whose rendered HTML may be served from the cache (see core.page_cache).

    A page that shows one event's availability names the field holding that event's id in
    `cached_event_field`, so a sale makes its cached copy stale at once; other pages are kept
    only for a few seconds.
    """

    cached_event_field = None

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        event_id = getattr(self, self.cached_event_field) if self.cached_event_field else None
        cache_this_page(request, event_id)
        return super().serve(request, *args, **kwargs)


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """Site name, contact and footer links, edited in Settings → Site settings."""

    site_name = models.CharField(max_length=80, default="Jersey Events")
    tagline = models.CharField(
        max_length=160, blank=True, default="Live music, theatre and comedy across the island"
    )
    contact_email = models.EmailField(blank=True, default="hello@jerseyevents.je")
    terms_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Linked from the checkout's 'I accept the Terms' box.",
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    footer_links = StreamField(
        [
            (
                "link",
                blocks.StructBlock(
                    [("label", blocks.CharBlock(max_length=60)), ("page", blocks.PageChooserBlock())],
                    icon="link",
                ),
            )
        ],
        blank=True,
    )

    panels = [
        FieldPanel("site_name"),
        FieldPanel("tagline"),
        FieldPanel("contact_email"),
        FieldPanel("terms_page"),
        FieldPanel("privacy_page"),
        FieldPanel("footer_links"),
    ]

    class Meta:
        verbose_name = "Site settings"
        # The table kept its name when the model moved here from `home`: renaming it would
        # buy nothing and cost every existing database a schema change.
        db_table = "home_sitesettings"
