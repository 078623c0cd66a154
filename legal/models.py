"""Terms, Privacy and Cookie pages, the cookie banner's wording, and GDPR data requests."""

from django.conf import settings
from django.db import models
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


class DataRequest(models.Model):
    """A GDPR request from a person about their data: erase it, or send them a copy."""

    class Kind(models.TextChoices):
        ERASURE = "erasure", "Erasure"
        EXPORT = "export", "Export"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        CONFIRMED = "confirmed", "Confirmed by the requester"
        COMPLETED = "completed", "Completed"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    email = models.EmailField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} request #{self.pk}"
