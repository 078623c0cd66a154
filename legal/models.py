"""Terms, Privacy and Cookie pages, the cookie banner's wording, and GDPR data requests."""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page

from core.models import VersionedPage, version_label


class LegalPage(VersionedPage):
    """Terms of Service, Privacy Policy, Cookie Policy: written and published by editors, each
    wording with a version label (see core.models.VersionedPage)."""

    intro = models.CharField(max_length=300, blank=True)
    body = RichTextField(features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("version"),
        FieldPanel("last_reviewed"),
    ]
    parent_page_types = ["home.HomePage"]
    subpage_types = []


@register_setting(icon="info-circle")
class CookieConsentSettings(BaseSiteSetting):
    """The cookie banner and the optional scripts it asks about (Settings → Cookie banner).

    With no optional category on, the site sets only strictly necessary cookies (session, CSRF,
    the banner's own), so the banner is a notice with one "OK": offering a choice would pretend
    there is something to refuse. Turning analytics on makes it ask, and the analytics snippet
    is rendered only for visitors who accepted (legal.consent decides who has).
    """

    enabled = models.BooleanField(
        "show the banner",
        default=True,
        help_text="While analytics is off the banner is only a notice, which you may hide.",
    )
    message = models.CharField(
        "notice text",
        max_length=400,
        default="We use only the cookies this site needs to work (your session and form security).",
        help_text="Shown while no optional cookies are used.",
    )
    choice_message = models.CharField(
        "question text",
        max_length=400,
        default="We would like to use analytics cookies to learn which pages people read, so we "
        "can improve the site. They are set only if you accept.",
        help_text="Shown while analytics is on, above “Accept analytics” and “Reject non-essential”.",
    )
    policy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Cookie Policy page",
    )
    policy_version = models.CharField(
        "cookie policy version",
        max_length=20,
        default="1",
        validators=[version_label],
        help_text="Change it whenever the Cookie Policy changes in substance: every visitor's "
        "earlier answer then counts for nothing and the banner asks again.",
    )
    analytics_enabled = models.BooleanField(
        "use analytics",
        default=False,
        help_text="Ask visitors for consent to analytics, and run the snippet below for those who accept.",
    )
    analytics_snippet = models.TextField(
        blank=True,
        help_text="The HTML your analytics provider gives you (e.g. Plausible's or Google's "
        "<script> tag). It runs unchecked on every public page of visitors who accept, so whoever "
        "may edit this setting can run any script there: give this permission only to people you "
        "trust with the whole site. The site's Content-Security-Policy blocks inline scripts, and "
        "the provider's host must be added to CSP_EXTRA_SCRIPT_SRC (and CSP_EXTRA_CONNECT_SRC) "
        "by whoever runs the site, or browsers will refuse the script.",
    )

    panels = [
        FieldPanel("enabled"),
        FieldPanel("message"),
        FieldPanel("policy_page"),
        FieldPanel("policy_version"),
        MultiFieldPanel(
            [FieldPanel("analytics_enabled"), FieldPanel("choice_message"), FieldPanel("analytics_snippet")],
            heading="Analytics (optional cookies)",
        ),
    ]

    class Meta:
        verbose_name = "Cookie banner"

    def clean(self):
        super().clean()
        if self.analytics_enabled and not self.analytics_snippet.strip():
            raise ValidationError(
                {"analytics_snippet": "Paste the analytics snippet, or turn analytics off."}
            )
        if self.analytics_enabled and not self.enabled:
            # Without the banner nobody could be asked, and the snippet must never run unasked.
            raise ValidationError(
                {"enabled": "The banner must be shown while analytics is on: it asks for consent."}
            )

    @property
    def asks_for_consent(self) -> bool:
        """Whether an optional category is on, so the banner offers a real choice."""
        return self.analytics_enabled and bool(self.analytics_snippet.strip())


def one_month_after(received: date) -> date:
    """The day a request must be answered by: one calendar month after it was received.

    The GDPR (and Jersey's Data Protection Law) give a month, counted as the same day of the
    next month; a day the next month lacks (31 January) falls on that month's last day.
    """
    year, month = (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    return received.replace(
        year=year, month=month, day=min(received.day, calendar.monthrange(year, month)[1])
    )


# An answer due within this many days is shown as due soon (on the dashboard, in the list's
# filter): a week is time enough to handle a request without rushing it.
DUE_SOON_DAYS = 7


class DataRequestQuerySet(models.QuerySet):
    """The requests staff still owe an answer, and those whose month has run out.

    The same rules as `DataRequest.is_open` and `is_overdue`, for filtering in the database.
    """

    def open(self):
        return self.filter(status__in=DataRequest.OPEN)

    def overdue(self, today: date | None = None):
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def due_soon(self, today: date | None = None):
        """Open and due within DUE_SOON_DAYS from today, but not overdue yet."""
        today = today or timezone.localdate()
        return self.open().filter(due_on__gte=today, due_on__lte=today + timedelta(days=DUE_SOON_DAYS))


class DataRequest(models.Model):
    """A person's request about their data: send them a copy (export), or erase it.

    A request from the web form waits (RECEIVED) until the requester opens the link e-mailed to
    the address, which proves it is theirs; one that staff record from an e-mail or a letter is
    confirmed by staff, who write how they checked the person's identity. Staff then export,
    erase or reject it. The address itself is erased with the rest of the person's data; the
    request stays, as the record that it was honoured.
    """

    class Kind(models.TextChoices):
        ERASURE = "erasure", "Erasure"
        EXPORT = "export", "Export"

    class Status(models.TextChoices):
        RECEIVED = "received", "Waiting for the requester to confirm"
        CONFIRMED = "confirmed", "Confirmed, to be handled"
        COMPLETED = "completed", "Completed"
        REJECTED = "rejected", "Rejected"

    class Channel(models.TextChoices):
        WEB = "web", "Web form (confirmed by the e-mailed link)"
        EMAIL = "email", "E-mail"
        LETTER = "letter", "Letter"
        PHONE = "phone", "Phone"
        IN_PERSON = "in_person", "In person"

    OPEN = (Status.RECEIVED, Status.CONFIRMED)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Blank once the person's data is erased: the request outlives the address it was about.
    email = models.EmailField(blank=True, verbose_name="E-mail")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    channel = models.CharField("received by", max_length=16, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField("received", auto_now_add=True)
    due_on = models.DateField("answer due by", db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name="Confirmed by its e-mailed link")
    identity_check = models.TextField(
        "how the identity was checked",
        blank=True,
        help_text="For a request made by e-mail, letter or phone: what you checked, and how.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Recorded by",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Answered by",
    )
    handled_at = models.DateTimeField(null=True, blank=True, verbose_name="Answered")
    # What was done, in counts ("2 orders anonymised"); never the person's data.
    outcome = models.CharField(max_length=255, blank=True)
    rejection_reason = models.TextField(blank=True, verbose_name="Why it was refused")
    notes = models.TextField(blank=True)

    objects = DataRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("handle_datarequest", "Can export, erase and reject personal data")]

    def __str__(self):
        return f"{self.get_kind_display()} request #{self.pk}"

    def save(self, *args, **kwargs):
        if self.due_on is None:
            self.due_on = one_month_after(timezone.localdate(self.created_at or timezone.now()))
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()

    @property
    def days_left(self) -> int:
        """Days until the answer is due: 0 on the day itself, negative once overdue."""
        return (self.due_on - timezone.localdate()).days


class ErasedPerson(models.Model):
    """The erasure ledger: one row per person whose data was erased, by a hash of their address.

    A backup restored after an erasure brings the person's details back; `manage.py
    reapply_erasures` finds the orders and requests whose address hashes to a row here and
    erases them again. The hash is keyed with ERASURE_LEDGER_SALT, so the ledger itself cannot
    be read back into addresses by hashing a list of guesses (`legal.privacy.address_hash`).
    """

    address_hash = models.CharField(max_length=64, unique=True, verbose_name="E-mail address (hashed)")
    erased_at = models.DateTimeField(default=timezone.now, verbose_name="Erased")
    # The last time reapply_erasures (or a repeated erasure) found and erased data again.
    reapplied_at = models.DateTimeField(null=True, blank=True, verbose_name="Last erased again")

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = "erased person"
        verbose_name_plural = "erased people"

    def __str__(self):
        return f"Erasure of {timezone.localtime(self.erased_at):%d %b %Y %H:%M}"
