"""Terms, Privacy and Cookie pages, the cookie banner's wording, and GDPR data requests."""

import calendar
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page

from core.models import CachedPage


class LegalPage(CachedPage):
    """Terms of Service, Privacy Policy, Cookie Policy: written and published by editors."""

    intro = models.CharField(max_length=300, blank=True)
    body = RichTextField(features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])
    last_reviewed = models.DateField(null=True, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("last_reviewed"),
    ]
    parent_page_types = ["home.HomePage"]
    subpage_types = []


@register_setting(icon="info-circle")
class CookieConsentSettings(BaseSiteSetting):
    """The cookie banner. The site itself sets only strictly necessary cookies (session,
    CSRF), so the banner informs and records the choice; it gates any optional cookies
    added later."""

    enabled = models.BooleanField(default=True)
    message = models.CharField(
        max_length=400,
        default="We use only the cookies this site needs to work (your session and form security).",
    )
    policy_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [FieldPanel("enabled"), FieldPanel("message"), FieldPanel("policy_page")]

    class Meta:
        verbose_name = "Cookie banner"


def one_month_after(received: date) -> date:
    """The day a request must be answered by: one calendar month after it was received.

    The GDPR (and Jersey's Data Protection Law) give a month, counted as the same day of the
    next month; a day the next month lacks (31 January) falls on that month's last day.
    """
    year, month = (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    return received.replace(
        year=year, month=month, day=min(received.day, calendar.monthrange(year, month)[1])
    )


class DataRequestQuerySet(models.QuerySet):
    """The requests staff still owe an answer, and those whose month has run out.

    The same rules as `DataRequest.is_open` and `is_overdue`, for filtering in the database.
    """

    def open(self):
        return self.filter(status__in=DataRequest.OPEN)

    def overdue(self, today: date | None = None):
        return self.open().filter(due_on__lt=today or timezone.localdate())


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
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    channel = models.CharField("received by", max_length=16, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField("received", auto_now_add=True)
    due_on = models.DateField("answer due by", db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    identity_check = models.TextField(
        "how the identity was checked",
        blank=True,
        help_text="For a request made by e-mail, letter or phone: what you checked, and how.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    # What was done, in counts ("2 orders anonymised"); never the person's data.
    outcome = models.CharField(max_length=255, blank=True)
    rejection_reason = models.TextField(blank=True)
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

    address_hash = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField(default=timezone.now)
    # The last time reapply_erasures (or a repeated erasure) found and erased data again.
    reapplied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = "erased person"
        verbose_name_plural = "erased people"

    def __str__(self):
        return f"Erasure of {timezone.localtime(self.erased_at):%d %b %Y %H:%M}"
