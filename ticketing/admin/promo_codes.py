"""Promo codes: Editors make them and see how often each is used (Finance sees them too).

The rules of a code (what it takes off, for whom, when) are `ticketing.promo_codes`'s; the form
here checks only what needs the code and its ticket types together. The uses counter is the
inventory's (`ticketing.inventory.take_promo_use`): shown, never edited.
"""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList

from core.admin import MoneyInspectView, StaffModelAdmin
from ticketing import promo_codes
from ticketing.models import Event, PromoCode, TicketType


class TicketTypeChoice(forms.ModelMultipleChoiceField):
    """Ticket types named with their event: "Jazz Night (12 Dec 2026) · Adult"."""

    def label_from_instance(self, obj):
        return f"{obj.event} · {obj.name}"


class PromoCodeForm(WagtailAdminModelForm):
    """A code and the ticket types it is for, checked together."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("ticket_types")
        if field is not None:
            self.fields["ticket_types"] = TicketTypeChoice(
                queryset=TicketType.objects.select_related("event").order_by(
                    "event__starts_at", "sort_order", "pk"
                ),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label=field.label,
                help_text=field.help_text,
            )

    def clean_code(self):
        code = promo_codes.normalise(self.cleaned_data.get("code"))
        if PromoCode.objects.filter(code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another promo code is already called that.")
        return code

    def clean(self):
        cleaned = super().clean()
        event = cleaned.get("event")
        chosen = list(cleaned.get("ticket_types") or [])
        if chosen and event is None:
            self.add_error("ticket_types", "Choose ticket types only for a code of one event.")
        elif any(t.event_id != event.pk for t in chosen):
            self.add_error("ticket_types", "Choose ticket types of the code’s own event only.")
        elif event is not None and cleaned.get("kind") == PromoCode.Kind.AMOUNT and cleaned.get("value"):
            # Free tickets cannot be issued online: the amount must leave every ticket a price.
            types = chosen or list(event.ticket_types.all())
            free = [t.name for t in types if t.price <= cleaned["value"]]
            if free:
                self.add_error(
                    "value",
                    f"This would make {', '.join(free)} tickets free, and free tickets cannot be issued online.",
                )
        return cleaned


class PromoCodeAdmin(StaffModelAdmin):
    model = PromoCode
    menu_label = "Promo codes"
    menu_icon = "tag"
    list_display = (
        "code",
        "for_event",
        "discount_display",
        "uses_display",
        "valid_from",
        "valid_until",
        "active",
    )
    list_filter = ("active", "kind")
    list_select_related = ("event",)
    search_fields = ("code", "event__title")
    ordering = ("-created_at",)
    inspect_view_enabled = True
    inspect_view_class = MoneyInspectView
    inspect_view_fields = (
        "code",
        "event",
        "kind",
        "value",
        "max_uses",
        "used",
        "valid_from",
        "valid_until",
        "active",
        "created_at",
    )

    panels = [
        FieldPanel("code"),
        FieldPanel("event"),
        FieldPanel("ticket_types"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("value")], heading="Discount"),
        MultiFieldPanel(
            [
                FieldPanel("max_uses"),
                FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                FieldPanel("active"),
                FieldPanel("used", read_only=True, heading="Used by orders (placed and not ended unpaid)"),
            ],
            heading="Limits",
        ),
    ]

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=PromoCodeForm)

    def for_event(self, code):
        return str(code.event) if code.event_id else "Every event"

    for_event.short_description = "For"

    def discount_display(self, code):
        # A site-wide amount is taken off in each event's own currency: shown in the usual one.
        currency = code.event.currency if code.event_id else Event._meta.get_field("currency").default
        return promo_codes.describe(code, currency)

    discount_display.short_description = "Discount"

    def uses_display(self, code):
        return f"{code.used} of {code.max_uses}" if code.max_uses is not None else f"{code.used} (no limit)"

    uses_display.short_description = "Uses"
    uses_display.admin_order_field = "used"
