"""What every app's pages share: the site's settings, the base of a page that may be cached, and
of a page whose wording is versioned (the Terms a buyer accepts)."""

from dataclasses import dataclass

from django.core.validators import RegexValidator
from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page, PageViewRestriction

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

    def get_view_restrictions(self):
        """Wagtail's check, skipped (two queries a render) while the site has no restriction at all."""
        from core import site_furniture  # it reads this module's SiteSettings

        if not site_furniture.view_restrictions_exist():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


# A version label is shown to readers and stored with what they accepted (an order, a cookie):
# short, and made of characters a cookie can carry unquoted.
version_label = RegexValidator(
    r"^[A-Za-z0-9._-]+$", "Use letters, digits, dots, dashes or underscores, e.g. 2026-12."
)


class VersionedPage(CachedPage):
    """A page whose exact wording people agree to or rely on (Terms, Privacy and Cookie policies).

    Editors give each published wording a short `version` label. The shop records it, with the
    page's live revision (the words themselves), on every order: a buyer's acceptance of the
    Terms stays provable after the page changes. It lives here, not in the legal app, because
    the shop must read it and may not know the pages.
    """

    version = models.CharField(
        max_length=20,
        validators=[version_label],
        help_text="A short label for this wording, e.g. 2026-12. Change it whenever the meaning "
        "changes: orders record the version their buyer accepted.",
    )
    last_reviewed = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True


@dataclass(frozen=True)
class TermsInForce:
    """The Terms a buyer accepts at this moment: the live revision (the exact words) and its label."""

    revision_id: int
    version: str


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """Site name, contact and footer links, edited in Settings → Site settings."""

    site_name = models.CharField(max_length=80, default="Jersey Events")
    tagline = models.CharField(
        max_length=160, blank=True, default="Live music, theatre and comedy across the island"
    )
    contact_email = models.EmailField(
        blank=True, default="hello@jerseyevents.je", verbose_name="Contact e-mail"
    )
    terms_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Linked from the checkout's 'I accept the Terms' box.",
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Privacy page",
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

    @classmethod
    def terms_in_force_for(cls, request) -> TermsInForce | None:
        """The Terms in force on the site this request is for (None on a host no Site answers).

        From the site's furniture (`core.site_furniture`), kept until a page is published or
        the settings saved: a checkout does not read the settings and the Terms page again.
        """
        from core import site_furniture

        furniture = site_furniture.for_request(request)
        return furniture.terms if furniture is not None else None

    def terms_in_force(self) -> TermsInForce | None:
        """What "I accept the Terms" refers to now, or None when no published Terms page is set
        (the checkout then records nothing rather than refusing to sell)."""
        if self.terms_page_id is None:
            return None
        page = self.terms_page.specific
        if not page.live or page.live_revision_id is None:
            return None
        return TermsInForce(
            revision_id=page.live_revision_id,
            version=page.version if isinstance(page, VersionedPage) else "",
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
