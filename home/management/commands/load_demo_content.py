"""`manage.py load_demo_content`: a home page, "What's on", events on sale and the legal pages.

Idempotent: everything is looked up by a stable key (a page's slug under its parent, an
event's title, an image's title, a ticket type's name within its event) and created only when
missing, so a second run creates nothing and existing rows keep their ids. The one thing a
re-run changes is the demo events' dates: they are set relative to now on every run, so the
demo always has upcoming events on sale. Ticket types are never rewritten (their `sold`
counters belong to `ticketing.inventory`).

Images are drawn locally with Pillow; nothing is downloaded.
"""

import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from core.models import SiteSettings
from home.models import EventIndexPage, EventPage, HomePage
from legal.models import CookieConsentSettings, LegalPage
from ticketing.models import Event, TicketType

IMAGE_SIZE = (1600, 900)


@dataclass(frozen=True)
class DemoTicketType:
    name: str
    price: str
    capacity: int
    description: str = ""
    max_per_order: int = 10


@dataclass(frozen=True)
class DemoEvent:
    title: str
    venue: str
    weeks_ahead: float
    summary: str
    colours: tuple
    ticket_types: tuple
    capacity: int | None = None
    duration_hours: float = 2.5
    body: tuple = field(default_factory=tuple)
    quote: tuple = ("", "")


EVENTS = (
    DemoEvent(
        title="Island Strings: An Evening Serenade",
        venue="Jersey Opera House, Gloucester Street, St Helier",
        weeks_ahead=2,
        summary="A chamber orchestra evening of Vivaldi, Elgar and Piazzolla in the island's "
        "Edwardian theatre.",
        colours=((28, 42, 94), (196, 120, 64)),
        ticket_types=(
            DemoTicketType("Stalls", "32.00", 300, "Ground floor, unreserved"),
            DemoTicketType("Standard", "25.00", 200, "Circle, unreserved"),
            DemoTicketType("Concession", "18.50", 80, "Under 18s, students and over 65s; bring ID"),
        ),
        body=(
            "Twenty-two players from across the Channel Islands open their season with "
            "Vivaldi's <i>Summer</i>, Elgar's Serenade for Strings and Piazzolla's tangos.",
            "Doors open at 18:45. The bar serves drinks in the interval and you can order "
            "them before the performance.",
        ),
        quote=("The warmest sound you will hear in St Helier this year.", "Jersey Evening Review"),
    ),
    DemoEvent(
        title="Comedy Night at the Arts Centre",
        venue="Jersey Arts Centre, Phillips Street, St Helier",
        weeks_ahead=3,
        summary="Four stand-ups from the UK circuit and a local compère: an evening of new material "
        "in an intimate room.",
        colours=((120, 24, 72), (250, 176, 52)),
        ticket_types=(
            DemoTicketType("Standard", "18.00", 150, max_per_order=8),
            DemoTicketType("Concession", "14.00", 40, "Students and over 65s; bring ID", max_per_order=4),
        ),
        body=(
            "Our monthly comedy club brings four acts from the UK circuit to the Benjamin "
            "Meaker Theatre, with a local compère keeping things moving.",
            "Recommended for ages 16 and over: expect strong language.",
        ),
        quote=("Sharp, silly and properly funny.", "A regular"),
    ),
    DemoEvent(
        title="Fort Regent Live: Harbour Lights",
        venue="Fort Regent, St Helier",
        weeks_ahead=5,
        summary="The island's biggest indoor gig of the season, with three bands on one stage "
        "high above the harbour.",
        colours=((10, 60, 80), (40, 200, 180)),
        capacity=400,
        ticket_types=(
            DemoTicketType("Standing", "25.00", 350, "General admission, standing"),
            DemoTicketType("Seated balcony", "35.00", 150, "Unreserved balcony seating"),
            DemoTicketType("VIP", "60.00", 20, "Balcony bar, a drink on arrival and early entry", 4),
        ),
        body=(
            "Three bands, one stage and the best view of the harbour on the island. The hall "
            "holds 400 people in all: standing and balcony tickets share that limit, so when "
            "the room is full every ticket type sells out together.",
            "Step-free access is by the lift from Snow Hill car park.",
        ),
        quote=("Fort Regent has not sounded this good in years.", "Island FM listener"),
    ),
    DemoEvent(
        title="Jersey Food & Drink Festival",
        venue="The Royal Jersey Showground, Trinity",
        weeks_ahead=7,
        summary="Island growers, fishermen, cider makers and chefs in one field, with cookery "
        "demonstrations all afternoon.",
        colours=((46, 110, 42), (240, 220, 120)),
        duration_hours=7,
        ticket_types=(
            DemoTicketType("Adult day ticket", "12.50", 1000),
            DemoTicketType("Child (5 to 15)", "6.00", 400, "Under 5s go free and need no ticket"),
        ),
        body=(
            "Taste Jersey Royals, Jersey cream, black butter and this year's cider from more "
            "than sixty island producers.",
            "Free buses run from Liberation Station every half hour from 10:30.",
        ),
        quote=("Come hungry, leave with a bag full of island food.", "The organisers"),
    ),
    DemoEvent(
        title="Tides: New Writing from Jersey",
        venue="Jersey Arts Centre, Phillips Street, St Helier",
        weeks_ahead=8,
        summary="Three short plays by island writers about the sea, leaving and coming home.",
        colours=((60, 40, 110), (120, 180, 230)),
        duration_hours=2,
        ticket_types=(DemoTicketType("Standard", "15.00", 120),),
        body=(
            "Three short plays, chosen from more than forty scripts sent in by island writers, "
            "directed and performed by local companies.",
            "Stay after the performance for a conversation with the writers.",
        ),
        quote=("Small stories that hold the whole island.", "Selection panel"),
    ),
)


class Command(BaseCommand):
    help = "Create (or complete) the demo site: home page, events on sale, legal pages, settings."

    def handle(self, *args, **options):
        with transaction.atomic():
            home = ensure_home_page()
            site = ensure_default_site(home)
            index = ensure_child_page(
                home,
                EventIndexPage,
                slug="whats-on",
                title="What's on",
                show_in_menus=True,
                intro="<p>Music, theatre, comedy and food across the island. Book online; your "
                "tickets arrive by e-mail with a QR code to show at the door.</p>",
            )
            for spec in EVENTS:
                event = ensure_event(spec)
                ensure_event_page(index, spec, event)
            legal = {
                slug: ensure_child_page(
                    home,
                    LegalPage,
                    slug=slug,
                    title=title,
                    intro=intro,
                    body=body,
                    version=LEGAL_VERSION,
                    last_reviewed=timezone.localdate(),
                )
                for title, slug, intro, body in legal_pages()
            }
            ensure_site_settings(site, legal)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content ready: {EventPage.objects.live().count()} event pages under "
                f"“{index.title}”, {LegalPage.objects.count()} legal pages."
            )
        )


# --- Pages -----------------------------------------------------------------------------


def ensure_home_page():
    """The site's HomePage, replacing Wagtail's "Welcome to your new Wagtail site!" page."""
    home = HomePage.objects.first()
    if home is not None:
        return home
    root = Page.get_first_root_node()
    slug = "home"
    welcome = (
        root.get_children().filter(slug="home", content_type=ContentType.objects.get_for_model(Page)).first()
    )
    if welcome is not None:
        if welcome.get_children_count():
            slug = "jersey-events"  # someone built on the welcome page: keep it, add ours beside it
        else:
            # Deleting it also deletes the default Site (its root page); ensure_default_site
            # makes a new one pointing at our home page.
            welcome.delete()
    home = root.add_child(
        instance=HomePage(
            title="Jersey Events",
            slug=slug,
            hero_title="Live in Jersey",
            hero_text="Concerts, comedy, theatre and festivals across the island. Book in a minute.",
            hero_image=ensure_image("Demo: Live in Jersey", ((16, 40, 70), (220, 90, 60))),
            intro="<p>Jersey Events sells tickets for island venues, from the Opera House to "
            "the Showground. Pay securely by card; your tickets arrive by e-mail.</p>",
        )
    )
    home.save_revision().publish()
    return home


def ensure_default_site(home):
    """Point Wagtail's default Site (the one any host name reaches) at the home page."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(
            hostname="localhost", port=80, site_name="Jersey Events", root_page=home, is_default_site=True
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    return site


def ensure_child_page(parent, page_class, slug, **fields):
    """The live child of `parent` with this slug, created and published if missing."""
    page = page_class.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = parent.add_child(instance=page_class(slug=slug, **fields))
        page.save_revision().publish()
    return page


def ensure_event_page(index, spec, event):
    slug = slugify(spec.title)
    page = EventPage.objects.child_of(index).filter(slug=slug).first()
    if page is not None:
        return page
    image = ensure_image(f"Demo: {spec.title}", spec.colours)
    detail = ensure_image(f"Demo: {spec.title} (detail)", tuple(reversed(spec.colours)))
    page = index.add_child(
        instance=EventPage(
            title=spec.title,
            slug=slug,
            event=event,
            summary=spec.summary,
            hero_image=image,
            body=json.dumps(event_body(spec, detail)),
        )
    )
    page.save_revision().publish()
    return page


def event_body(spec, image):
    """StreamField content in its stored form: paragraphs, a quote and an image."""
    first, *rest = spec.body
    blocks = [{"type": "paragraph", "value": f"<p>{first}</p>"}]
    if spec.quote[0]:
        blocks.append({"type": "quote", "value": {"quote": spec.quote[0], "attribution": spec.quote[1]}})
    blocks.append({"type": "image", "value": {"image": image.pk, "caption": spec.venue}})
    blocks.extend({"type": "paragraph", "value": f"<p>{text}</p>"} for text in rest)
    return blocks


# --- Catalogue ---------------------------------------------------------------------------


def event_schedule(spec, now=None):
    """Start, end and sales window relative to now: 19:30 island time, weeks from today."""
    now = now or timezone.now()
    day = (timezone.localtime(now) + timedelta(weeks=spec.weeks_ahead)).date()
    start_time = time(11, 0) if spec.duration_hours > 5 else time(19, 30)
    starts_at = timezone.make_aware(datetime.combine(day, start_time))
    return {
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=spec.duration_hours),
        "sales_start": now - timedelta(days=7),
        "sales_end": None,
    }


def ensure_event(spec):
    """The event titled `spec.title`, on sale, with its dates moved to be upcoming again.

    An existing event keeps its id and its ticket types; only its schedule and status are
    written, by name, so its `sold` counter is untouched.
    """
    schedule = event_schedule(spec)
    event = Event.objects.filter(title=spec.title).order_by("pk").first()
    if event is None:
        event = Event.objects.create(
            title=spec.title,
            venue=spec.venue,
            capacity=spec.capacity,
            status=Event.Status.ON_SALE,
            currency="GBP",
            **schedule,
        )
    else:
        for name, value in schedule.items():
            setattr(event, name, value)
        event.status = Event.Status.ON_SALE
        event.save(update_fields=[*schedule, "status", "updated_at"])
    for position, ticket_type in enumerate(spec.ticket_types):
        TicketType.objects.get_or_create(
            event=event,
            name=ticket_type.name,
            defaults={
                "price": Decimal(ticket_type.price),
                "capacity": ticket_type.capacity,
                "description": ticket_type.description,
                "max_per_order": ticket_type.max_per_order,
                "sort_order": position,
            },
        )
    return event


# --- Settings ----------------------------------------------------------------------------


def ensure_site_settings(site, legal_pages):
    """Links to the legal pages (footer, checkout, cookie banner), each set only if still empty,
    so that a re-run never undoes an editor's choice."""
    site_settings = SiteSettings.for_site(site)
    footer = [
        {"type": "link", "value": {"label": page.title, "page": page.pk}}
        for page in (legal_pages["terms"], legal_pages["privacy"], legal_pages["cookies"])
    ]
    fill_empty(
        site_settings,
        footer_links=json.dumps(footer),
        terms_page=legal_pages["terms"],
        privacy_page=legal_pages["privacy"],
    )
    banner = CookieConsentSettings.for_site(site)
    if banner.policy_page_id is None:
        # The banner's policy version starts as the Cookie Policy's own label; from then on
        # editors bump it when they publish a changed policy.
        banner.policy_page, banner.policy_version = legal_pages["cookies"], LEGAL_VERSION
        banner.save()


def fill_empty(instance, **values):
    """Set the fields that are still empty and save only if one was."""
    empty = {name: value for name, value in values.items() if not getattr(instance, name)}
    for name, value in empty.items():
        setattr(instance, name, value)
    if empty:
        instance.save()


# --- Images ------------------------------------------------------------------------------


def ensure_image(title, colours):
    """A Wagtail image with this title, drawn with Pillow the first time it is asked for."""
    image_model = get_image_model()
    image = image_model.objects.filter(title=title).first()
    if image is None:
        content = draw_poster(colours, seed=title)
        image = image_model(title=title, file=ImageFile(content, name=f"{slugify(title)}.jpg"))
        image.save()
    return image


def draw_poster(colours, seed):
    """A 16:9 picture: a diagonal gradient and soft circles. Returns JPEG bytes.

    No words are drawn in: the page sets the event's title over or beside its image, and a
    title baked into the picture would repeat it, be cropped by renditions and be unreadable
    to screen readers."""
    width, height = IMAGE_SIZE
    top, bottom = colours
    # A large rotated square gradient, cropped at its centre: diagonal, with no empty corners.
    side = math.ceil(math.hypot(width, height))
    gradient = PILImage.linear_gradient("L").resize((side, side)).rotate(-30)
    left, upper = (side - width) // 2, (side - height) // 2
    gradient = gradient.crop((left, upper, left + width, upper + height))
    canvas = PILImage.composite(
        PILImage.new("RGB", IMAGE_SIZE, bottom), PILImage.new("RGB", IMAGE_SIZE, top), gradient
    )
    overlay = PILImage.new("RGBA", IMAGE_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    rng = random.Random(seed)  # the same title always draws the same picture
    for _ in range(9):
        radius = rng.randint(80, 320)
        x, y = rng.randint(0, width), rng.randint(0, height)
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255, rng.randint(14, 36))
        )
    canvas = PILImage.alpha_composite(canvas.convert("RGBA"), overlay)
    buffer = BytesIO()
    canvas.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer


# --- Legal pages' demo text ----------------------------------------------------------------
# Starting text for editors to review with a lawyer. It describes what this site really does:
# what the checkout records, the retention job, the processors, the cookies it sets. Figures
# that are settings (the hold, the retention period) are read from them when the pages are made.

STARTER_NOTE = (
    "<p><b>Starter text — to be reviewed by a lawyer before launch.</b> It describes what this "
    "website does today; check it against your own business before publishing.</p>"
)
LEGAL_VERSION = "2026-12"


def retention_days() -> int:
    """How long personal data is kept after the event (the privacy work's setting, 730 days by
    default, which the anonymising job applies)."""
    return settings.PERSONAL_DATA_RETENTION_DAYS


def terms_of_service() -> str:
    return f"""{STARTER_NOTE}
<h2>Who we are</h2>
<p>Jersey Events (“we”, “us”) is an events company in Jersey, Channel Islands. We sell tickets on
behalf of the organisers of the events listed on this site. The organiser named on each event
page is responsible for the event itself; we are responsible for selling and delivering your
tickets. These terms are version {LEGAL_VERSION}: when you tick “I accept the Terms of Service”
at the checkout, your order records this version and its exact wording.</p>
<h2>Buying tickets</h2>
<ul>
<li>Prices are shown in pounds sterling and include any booking fee. The total you see before
you pay is the total you are charged.</li>
<li>When you start a checkout we hold your tickets for {settings.ORDER_HOLD_MINUTES} minutes. If
payment is not completed in that time the hold ends and the tickets go back on sale.</li>
<li>You pay on the secure payment page of our payment provider, SumUp. Your order is confirmed
when SumUp confirms the payment to us. We then e-mail your tickets, each with its own QR code.
Keep the e-mail: the code is your ticket.</li>
<li>We limit how many tickets one buyer, one e-mail address and one internet connection can buy
for an event, and we may cancel orders that break those limits or that we reasonably believe are
fraudulent or bought for resale; any payment for a cancelled order is refunded in full.</li>
</ul>
<h2>At the venue</h2>
<p>Each ticket admits one person once. Its QR code is checked at the door; a ticket that has
already been scanned will not be accepted again, so do not share images of your tickets. Venues
may refuse entry or ask you to leave for safety reasons and may apply their own conditions (age
limits, bag searches).</p>
<h2>Refunds, changes and cancellations</h2>
<ul>
<li>Tickets cannot be exchanged or refunded unless the event is cancelled, moved to another date
or venue, or materially changed, or the law gives you that right.</li>
<li>If an event is cancelled we refund the full price of your tickets to the card you paid with,
normally within 14 days; you receive an e-mail when we do. If it is rescheduled your tickets
remain valid, or you can ask for a refund within 14 days of our announcement.</li>
<li>If a payment reaches us after your hold ended and the tickets are gone, or you pay twice for
one order, we refund that payment automatically and tell you by e-mail.</li>
<li>Because tickets are for a leisure event on a specific date, the 14-day cancellation period
for distance contracts does not apply to them.</li>
</ul>
<h2>Your personal data</h2>
<p>How we use your details is explained in our <a href="/privacy/">Privacy Policy</a>, and the
cookies this site sets in our <a href="/cookies/">Cookie Policy</a>.</p>
<h2>Liability</h2>
<p>Nothing in these terms limits our liability for death or personal injury caused by our
negligence, for fraud, or for anything else that cannot be limited by law. Otherwise our
liability to you is limited to the price you paid for your tickets.</p>
<h2>Changes to these terms</h2>
<p>When we change these terms we publish them with a new version label. The version you accepted
with an order stays the one that applies to that order.</p>
<h2>Law</h2>
<p>These terms are governed by the law of the Island of Jersey, and the courts of Jersey have
jurisdiction. Questions? Write to <a href="mailto:hello@jerseyevents.je">hello@jerseyevents.je</a>.</p>
"""


def privacy_policy() -> str:
    days = retention_days()
    return f"""{STARTER_NOTE}
<p>Jersey Events is the controller of the personal data described here. We process personal data
under the Data Protection (Jersey) Law 2018 and, where they apply, the UK and EU GDPR. This is
version {LEGAL_VERSION} of this policy.</p>
<h2>What we collect at the checkout</h2>
<ul>
<li><b>Your name and e-mail address</b>, to issue and send your tickets.</li>
<li><b>Your order</b>: the event, ticket types, amounts, dates, its reference and the version of
the Terms of Service you accepted.</li>
<li><b>Your IP address and your browser's user agent</b> (the name and version it sends). We use
them only to stop fraud and touting: they let us limit how many tickets one connection can buy
and notice automated buying.</li>
<li><b>Payment details</b> are entered on SumUp's secure payment page. We never see or store your
card number; SumUp tells us whether the payment succeeded and gives us a transaction
reference.</li>
</ul>
<h2>Why we use it</h2>
<ul>
<li>To sell and deliver your tickets and let you into the event (performing our contract with
you).</li>
<li>To tell you about changes to, cancellation of, or refunds for an event you have tickets for
(contract).</li>
<li>To prevent fraud, ticket touting and abuse of the site, which is why we record IP address and
browser with each order (our legitimate interest in a safe, fair ticket sale).</li>
<li>To keep accounting records (a legal obligation).</li>
</ul>
<p>We do not sell your data, we do not use it for advertising, and we send no marketing.</p>
<h2>Who else processes it</h2>
<p>Our processors, under contract and only to provide their service to us:</p>
<ul>
<li><b>SumUp</b>, our payment provider, which takes your card payment and any refund.</li>
<li><b>Our e-mail delivery provider</b> (SendGrid or Mailgun), which sends your tickets and any
notice about your order.</li>
<li><b>Sentry</b>, which receives reports of errors on the site. We remove names, e-mail
addresses, order links and ticket codes from those reports before they leave our servers.</li>
<li><b>Our hosting provider</b>, whose servers run the site and its database.</li>
<li>When the checkout's CAPTCHA is switched on, <b>Google reCAPTCHA</b> checks that a person, not
a program, is buying.</li>
</ul>
<p>The organiser of your event receives attendance numbers, not your details. Some of these
providers may process data outside Jersey, the UK and the EEA; where they do, they are covered by
adequacy decisions or standard contractual clauses.</p>
<h2>How long we keep it</h2>
<ul>
<li>Your name, e-mail address, IP address and browser are removed from an order {days} days
after its event, automatically. What remains is the anonymous financial record (amounts, dates,
references), which accounting law requires us to keep.</li>
<li>E-mails we send you: we keep a record that a message was sent, not its content.</li>
<li>Error reports and logs never contain your name, e-mail address or order links.</li>
</ul>
<h2>Your rights</h2>
<p>You can ask us for a copy of your data, to correct it, to erase it, to restrict or object to
how we use it, and to receive it in a portable format. Ask for a copy or for erasure on our
<a href="/legal/data-request/">Your data</a> page: we e-mail a link to the address you give, to
confirm the request is yours, and answer within one month. For anything else, write to us at the
address below.</p>
<p>If you are unhappy with how we handle your data you may complain to the island's regulator,
the Jersey Data Protection Authority, through its office, the
Jersey Office of the Information Commissioner (JOIC): <a href="https://jerseyoic.org">jerseyoic.org</a>.</p>
<h2>Refunds</h2>
<p>When and how we refund tickets is set out in our <a href="/terms/">Terms of Service</a>.</p>
<h2>Cookies</h2>
<p>See our <a href="/cookies/">Cookie Policy</a>.</p>
<h2>Contact</h2>
<p>Data protection questions: <a href="mailto:privacy@jerseyevents.je">privacy@jerseyevents.je</a>,
or write to Jersey Events, St Helier, Jersey.</p>
"""


def cookie_policy() -> str:
    return f"""{STARTER_NOTE}
<p>This is version {LEGAL_VERSION} of our Cookie Policy. This site sets only the cookies it needs
to work. It uses no advertising cookies, and no analytics cookies unless you accept them in our
cookie banner.</p>
<h2>Cookies we set</h2>
<ul>
<li><b>{settings.CSRF_COOKIE_NAME}</b>: protects the forms on this site (the checkout included)
against forgery. Strictly necessary; kept for up to a year.</li>
<li><b>{settings.SESSION_COOKIE_NAME}</b>: keeps staff signed in to the site's admin. Strictly
necessary; kept for up to two weeks. Buyers do not need an account, and are not given one.</li>
<li><b>messages</b>: carries a one-off notice to the next page you see. Strictly necessary;
deleted when read.</li>
<li><b>cookie_consent</b>: remembers your answer to our cookie banner, and the version of this
policy you answered for, so we do not ask again. Strictly necessary; kept for a year.</li>
</ul>
<h2>Optional cookies</h2>
<p>If we start using analytics, our cookie banner will ask you first, with an “Accept analytics”
and a “Reject non-essential” button, and we will list those cookies here. Nothing optional is set
or run unless you accept. When this policy changes we give it a new version and ask you again.</p>
<h2>Third-party cookies</h2>
<p>When our CAPTCHA is switched on, Google reCAPTCHA on the checkout form may set its own cookies
to tell people from bots; see Google's privacy policy. SumUp's payment page, where you enter your
card, is on SumUp's own site and its cookies are governed by SumUp's policy.</p>
<h2>Your choices</h2>
<p>You can change your answer at any time on our <a href="/legal/cookies/">Cookie settings</a> page
(linked at the foot of every page). You can also delete or block cookies in your browser; if you
block the strictly necessary ones, the checkout will not work.</p>
"""


def legal_pages():
    """(title, slug, intro, body) of each legal page, written when the demo makes the page."""
    return (
        (
            "Terms of Service",
            "terms",
            "The terms that apply when you buy tickets from Jersey Events.",
            terms_of_service(),
        ),
        (
            "Privacy Policy",
            "privacy",
            "What personal data we collect, why, how long we keep it, and your rights.",
            privacy_policy(),
        ),
        ("Cookie Policy", "cookies", "The cookies this site sets and why.", cookie_policy()),
    )
