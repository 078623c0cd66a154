"""Editorial pages. Dates, venues, prices and availability are read from the shop
(`ticketing.shop`), so an editor never types them twice and the page can never disagree with
the checkout."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Page

from core.models import CachedPage
from core.page_cache import expire_page_by, listing_has_pages
from home import structured_data
from home.editing import EventPageForm, EventSalesPanel
from ticketing import shop

EVENTS_PER_PAGE = 12
# The rendition event cards show (templates/home/includes/event_card.html uses the same spec):
# fetched with the pages, so a card costs no query of its own.
CARD_RENDITION = "fill-640x360|format-webp"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False)

    class Meta:
        icon = "openquote"
        template = "home/blocks/quote.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False)

    class Meta:
        icon = "image"
        template = "home/blocks/image.html"


class EventBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])
    image = CaptionedImageBlock()
    quote = QuoteBlock()


def upcoming_event_pages(parent=None):
    """Live event pages whose event has not ended, soonest first, with what cards show.

    One query for the pages (event and hero image joined) and one for all their ticket
    types, however many events there are.
    """
    pages = EventPage.objects.live()
    if parent is not None:
        pages = pages.child_of(parent)
    # Six hours after it starts, an event is over for the listings (most end well before).
    listed = shop.with_listed_events(pages, starting_after=timezone.now() - timezone.timedelta(hours=6))
    return listed.prefetch_related(
        Prefetch("hero_image", queryset=get_image_model().objects.prefetch_renditions(CARD_RENDITION))
    ).order_by("event__starts_at", "pk")


# The hero's srcset in event_page.html, one filter spec each: keep the two in step.
HERO_RENDITIONS = tuple(f"fill-{size}|format-webp" for size in ("640x360", "960x540", "1280x720"))


class HomePage(CachedPage):
    hero_title = models.CharField(max_length=120, default="Live in Jersey")
    hero_text = models.CharField(max_length=255, blank=True)
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("hero_title"), FieldPanel("hero_text"), FieldPanel("hero_image")], "Hero"
        ),
        FieldPanel("intro"),
    ]
    subpage_types = ["home.EventIndexPage", "legal.LegalPage"]
    max_count = 1

    def route(self, request, path_components):
        """An event page's address in one query instead of Wagtail's two per level below home.

        Event pages sit at whats-on/<slug>/ and their index does no routing of its own, so the
        page is found by its full address; anything else is routed by Wagtail as before.
        """
        if len(path_components) == 2:
            url_path = f"{self.url_path}{'/'.join(path_components)}/"
            page = EventPage.objects.filter(url_path=url_path, path__startswith=self.path).first()
            if page is not None:
                return page.route(request, [])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["upcoming"] = list(upcoming_event_pages()[:3])
        context["events_index"] = EventIndexPage.objects.live().first()
        return context


class EventIndexPage(CachedPage):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["home.EventPage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        paginator = Paginator(upcoming_event_pages(parent=self), EVENTS_PER_PAGE)
        listing_has_pages(request, paginator.num_pages)
        try:
            context["events"] = paginator.page(request.GET.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            raise Http404("No such page of events.") from None
        return context


class EventPage(CachedPage):
    event = models.ForeignKey(
        "ticketing.Event",
        on_delete=models.PROTECT,
        related_name="pages",
        help_text="Date, venue, prices and availability come from this event.",
    )
    summary = models.CharField(max_length=300, help_text="One or two sentences for lists and search results.")
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(EventBodyBlock(), blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("event"), EventSalesPanel(heading="What the page sells")], heading="Event and tickets"
        ),
        FieldPanel("summary"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
    ]
    base_form_class = EventPageForm
    parent_page_types = ["home.EventIndexPage"]
    subpage_types = []
    cached_event_field = "event_id"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        self.load_hero_image()
        shown = shop.event_for_page(self.event_id)
        context["event"] = shown.event
        context["ticket_types"] = shown.ticket_types
        context["sales_state"] = shown.sales_state
        context["hold_minutes"] = shown.hold_minutes
        expire_page_by(request, shown.sales_change_at)
        context.setdefault("checkout_form", shown.checkout_form())
        context.update(self.search_and_share(request, shown))
        return context

    def load_hero_image(self):
        """The hero image with every rendition the page draws, in two queries instead of three."""
        if self.hero_image_id is not None:
            self.hero_image = (
                get_image_model()
                .objects.prefetch_renditions(structured_data.SHARE_RENDITION, *HERO_RENDITIONS)
                .filter(pk=self.hero_image_id)
                .first()
            )

    def search_and_share(self, request, shown):
        """The page's canonical address, the picture shared sites show, and its schema.org data."""
        url = self.get_full_url(request)
        image = structured_data.shared_image(self, request)
        description = self.search_description or self.summary
        data = structured_data.event_data(self, shown, url=url, image=image, description=description)
        return {
            "canonical_url": url,
            "share_image": image,
            "share_description": description,
            "structured_data": structured_data.json_ld(data),
        }
