"""What is sold (Event, TicketType), what was bought (Order, OrderLine, Ticket) and how it was
paid (Payment, WebhookEvent, Refund).

The `sold` counters on Event and TicketType are written only by `ticketing.inventory`, with
conditional UPDATEs. Every other save leaves them out (see `SoldCounterProtected`), because a
full-row save of a form loaded a minute ago would silently overwrite the sales made since.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel, get_all_child_relations

from core.money import format_money
from ticketing import signals
from ticketing.codes import new_order_reference, new_secret_token, new_ticket_code

FEW_LEFT_THRESHOLD = 10


class GuardedColumnsModel(models.Model):
    """A model with columns that only one service module may change, by conditional UPDATE.

    `guarded_columns` names them: a save of an existing row leaves them out, because a full-row
    save of an object loaded a minute ago (an admin form, a data migration) would silently
    overwrite what the owning module changed since. On `Event` and `TicketType` that is the
    `sold` counter (`ticketing.inventory`), on `Order` its `status` (`ticketing.orders`).
    """

    guarded_columns: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                *(
                    f.name
                    for f in self._meta.concrete_fields
                    if not f.primary_key and f.name not in self.guarded_columns
                ),
                # A ClusterableModel commits only the child relations named here (an event's
                # inline ticket types, edited in the same admin form).
                *(rel.get_accessor_name() for rel in get_all_child_relations(self)),
            ]
        elif kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = [f for f in kwargs["update_fields"] if f not in self.guarded_columns]
        super().save(*args, **kwargs)


class SoldCounterProtected(GuardedColumnsModel):
    """A model whose `sold` counter only `ticketing.inventory` may change."""

    guarded_columns = ("sold",)

    class Meta:
        abstract = True

    def refresh_sold(self):
        self.sold = type(self).objects.values_list("sold", flat=True).get(pk=self.pk)
        return self.sold


class Event(SoldCounterProtected, ClusterableModel):
    """Something we sell tickets for. Its page content lives in `home.EventPage`."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ON_SALE = "on_sale", "On sale"
        CANCELLED = "cancelled", "Cancelled"

    class SalesState(models.TextChoices):
        """What a buyer sees; derived from status, dates and stock, never stored."""

        DRAFT = "draft", "Not on sale"
        NOT_YET = "not_yet", "Not yet on sale"
        ON_SALE = "on_sale", "On sale"
        SOLD_OUT = "sold_out", "Sold out"
        CLOSED = "closed", "Sales closed"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField(verbose_name="Starts")
    ends_at = models.DateTimeField(null=True, blank=True, verbose_name="Ends")
    venue = models.CharField(max_length=200)
    capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Optional limit on tickets of all types together (e.g. the room's size).",
        verbose_name="Capacity (all ticket types)",
    )
    sold = models.PositiveIntegerField(default=0, editable=False, verbose_name="Tickets sold or held")
    sales_start = models.DateTimeField(default=timezone.now, verbose_name="Sales open")
    sales_end = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Leave empty to sell until the event starts.",
        verbose_name="Sales close",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default="GBP")
    # The buyer's own cancellation (`ticketing.self_service`): allowed until this many days
    # before the start; empty means buyers cannot cancel on their own (staff still refund).
    buyer_cancel_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Buyers may cancel tickets on their order page until this many days before the "
        "start (0: until it starts). Leave empty to let only staff refund.",
        verbose_name="Buyers may cancel until (days before)",
    )
    buyer_cancel_fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="Kept from each cancelled ticket's price (never more than the price). 0: full refund.",
        verbose_name="Cancellation fee per ticket",
    )

    class AttendeeNames(models.TextChoices):
        OFF = "off", "Not asked"
        OPTIONAL = "optional", "Asked, optional"
        REQUIRED = "required", "Asked, one name per ticket required"

    # Whether the buyer names each ticket's holder on the order page (`ticketing.attendee_names`).
    attendee_names = models.CharField(
        max_length=16,
        choices=AttendeeNames.choices,
        default=AttendeeNames.OFF,
        help_text="Buyers name each ticket's holder on their order page, until the event starts; "
        "the name is shown at check-in and on the door list.",
        verbose_name="Attendee names",
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="Created")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="Last changed")

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(sold__lte=models.F("capacity")),
                name="event_sold_within_capacity",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.starts_at):%d %b %Y})"

    def save(self, *args, **kwargs):
        """An event given an overall capacity has its `sold` recounted from its types.

        Sales touch the event's row only under a capacity (`ticketing.inventory`), so a capacity
        just set would otherwise start from a stale count. The stock's owner hears of it through
        `signals.capacity_being_set` / `capacity_set` and locks the types first, the order every
        sale takes its rows in, so a sale under way finishes first and is counted. Any
        other save leaves `sold` alone, as before.
        """
        if (
            self._state.adding
            or self.pk is None
            or self.capacity is None
            or self._stored_capacity() is not None
        ):
            return super().save(*args, **kwargs)
        with transaction.atomic():
            signals.capacity_being_set.send(sender=Event, event_id=self.pk)
            super().save(*args, **kwargs)
            signals.capacity_set.send(sender=Event, event_id=self.pk)

    def _stored_capacity(self):
        return type(self).objects.filter(pk=self.pk).values_list("capacity", flat=True).first()

    def _sold_before_save(self) -> int:
        """Tickets sold or held: the event's counter under a capacity, else its types' (inventory)."""
        stored = type(self).objects.filter(pk=self.pk).values("capacity", "sold").first()
        if stored is not None and stored["capacity"] is not None:
            return stored["sold"]
        return TicketType.objects.filter(event_id=self.pk).aggregate(n=models.Sum("sold", default=0))["n"]

    def clean(self):
        errors = {}
        if self.ends_at and self.ends_at < self.starts_at:
            errors["ends_at"] = "The event cannot end before it starts."
        if self.sales_end and self.sales_start and self.sales_end < self.sales_start:
            errors["sales_end"] = "Sales cannot end before they start."
        if not re.fullmatch(r"[A-Z]{3}", self.currency or ""):
            errors["currency"] = "Use a three-letter ISO currency code, e.g. GBP."
        if self.pk and self.capacity is not None:
            sold = self._sold_before_save()
            if self.capacity < sold:
                errors["capacity"] = f"{sold} tickets are already sold or held; capacity cannot be lower."
        if errors:
            raise ValidationError(errors)

    @property
    def effective_sales_end(self):
        return self.sales_end or self.starts_at

    @property
    def remaining(self):
        """Tickets left under the event-wide capacity, or None when there is none."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.sold, 0)

    def sales_state(self, now=None, ticket_types=None):
        """The state a buyer sees. Pass `ticket_types` already loaded to avoid a query."""
        now = now or timezone.now()
        if self.status == self.Status.CANCELLED:
            return self.SalesState.CANCELLED
        if self.status == self.Status.DRAFT:
            return self.SalesState.DRAFT
        if now < self.sales_start:
            return self.SalesState.NOT_YET
        if now >= self.effective_sales_end:
            return self.SalesState.CLOSED
        types = ticket_types if ticket_types is not None else list(self.ticket_types.all())
        if self.remaining == 0 or not any(t.remaining_of_type > 0 for t in types):
            return self.SalesState.SOLD_OUT
        return self.SalesState.ON_SALE

    @property
    def is_on_sale(self):
        return self.sales_state() == self.SalesState.ON_SALE

    def next_sales_change(self, now=None):
        """When sales next open or close by the clock alone (None if they never will)."""
        now = now or timezone.now()
        for moment in (self.sales_start, self.effective_sales_end):
            if moment and moment > now:
                return moment
        return None

    def why_not_on_sale(self, now=None):
        """Why a checkout must be refused now, in the buyer's words; None when sales are open.

        Stock is not considered here: whether tickets remain is settled by the inventory's
        conditional UPDATE, the only check that cannot be stale.
        """
        now = now or timezone.now()
        if self.status == self.Status.CANCELLED:
            return "This event has been cancelled."
        if self.status != self.Status.ON_SALE:
            return "Tickets for this event are not on sale."
        if now < self.sales_start:
            return "Tickets for this event are not on sale yet."
        if now >= self.effective_sales_end:
            return "Ticket sales for this event have closed."
        return None


class TicketType(SoldCounterProtected):
    """A kind of ticket for an event (Adult, Child, VIP) with its own price and stock."""

    event = ParentalKey(Event, on_delete=models.CASCADE, related_name="ticket_types")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    capacity = models.PositiveIntegerField()
    sold = models.PositiveIntegerField(default=0, editable=False, verbose_name="Sold or held")
    max_per_order = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1)],
        help_text="Most of this type one order may hold.",
        verbose_name="Most per order",
    )
    sort_order = models.IntegerField(null=True, blank=True, editable=False, verbose_name="Position")

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sold__lte=models.F("capacity")), name="ticket_type_sold_within_capacity"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="ticket_type_price_not_negative"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.price is not None and self.price < 0:
            raise ValidationError({"price": "A price cannot be negative."})
        if self.price is not None and self.price == 0:
            # SumUp cannot take a payment of nothing, and there is no free-ticket path yet.
            raise ValidationError(
                {"price": "Tickets sold online cost at least 0.01: free tickets are not supported."}
            )
        if self.pk and self.capacity is not None:
            sold = type(self).objects.values_list("sold", flat=True).get(pk=self.pk)
            if self.capacity < sold:
                raise ValidationError(
                    {"capacity": f"{sold} tickets are already sold or held; capacity cannot be lower."}
                )

    @property
    def remaining_of_type(self):
        return max(self.capacity - self.sold, 0)

    @property
    def remaining(self):
        """What a buyer can still get: this type's stock, capped by the event's overall stock."""
        event_remaining = self.event.remaining
        if event_remaining is None:
            return self.remaining_of_type
        return min(self.remaining_of_type, event_remaining)

    @property
    def few_left(self):
        return 0 < self.remaining <= FEW_LEFT_THRESHOLD

    @property
    def max_purchasable(self):
        return min(self.max_per_order, self.remaining)


def event_with_ticket_types(event_id) -> tuple["Event", list[TicketType]]:
    """An event and its ticket types in their order (`TicketType.Meta.ordering`), in one query.

    The event page, the checkout and the page cache's judgement after each sale read both on
    every request. Written out, with the rows made into models by `Model.from_db` as the ORM
    does: composing the join cost the ORM six times what the query costs the database, the
    largest single item of a checkout. Raises Event.DoesNotExist.
    """
    (event_fields, event_names), (type_fields, type_names), sql = _EVENT_WITH_TYPES
    with connection.cursor() as cursor:
        cursor.execute(sql, [event_id])
        rows = cursor.fetchall()
    if not rows:
        raise Event.DoesNotExist(f"No event {event_id}.")
    split = len(event_fields)
    event = _made(Event, event_fields, event_names, rows[0][:split])
    ticket_types = []
    for row in rows:
        if row[split] is None:  # the LEFT JOIN's row of an event with no types
            continue
        ticket_type = _made(TicketType, type_fields, type_names, row[split:])
        ticket_type.event = event  # one event object, as a prefetch would give
        ticket_types.append(ticket_type)
    return event, ticket_types


def _values(fields, raw):
    """Database values as the fields hold them (on SQLite, decimals and dates need converting)."""
    if len(raw) != len(fields):
        raise ValueError(f"{len(raw)} columns for {len(fields)} fields")
    values = list(raw)
    for index, column, converters in _converters(fields):
        value = values[index]
        for convert in converters:
            value = convert(value, column, connection)
        values[index] = value
    return values


# {(id of a connection's operations, id of a fields tuple): (the operations, the tuple, [(index,
# column, its converters)])}. Per connection, as its converters are its own (each thread has its
# connection); the objects are kept with their entry so that no other can take their ids while
# it lives. Bounded, as threads come and go in some processes.
_CONVERTERS = {}
_CONVERTERS_MAX = 1000


def _converters(fields):
    """The fields that need converting, with their converters: asked of Django once per fields.

    Asking for every value of every row was a tenth of the order page's CPU; on PostgreSQL only
    the JSON fields have any.
    """
    operations = connection.ops
    key = (id(operations), id(fields))
    known = _CONVERTERS.get(key)
    if known is None or known[0] is not operations or known[1] is not fields:
        found = []
        for index, field in enumerate(fields):
            column = field.cached_col
            converters = operations.get_db_converters(column) + field.get_db_converters(connection)
            if converters:
                found.append((index, column, converters))
        if len(_CONVERTERS) >= _CONVERTERS_MAX:
            _CONVERTERS.clear()
        known = _CONVERTERS[key] = (operations, fields, found)
    return known[2]


def _selected(model, alias):
    """The model's concrete fields, their attribute names, and the SELECT list of its columns."""
    fields = model._meta.concrete_fields
    return fields, [f.attname for f in fields], [f"{alias}.{f.column}" for f in fields]


def _made(model, fields, names, raw):
    """One model from its columns of a row, as the ORM makes it (`Model.from_db`)."""
    return model.from_db(connection.alias, names, _values(fields, raw))


def _event_with_types_sql():
    event_fields, event_names, event_columns = _selected(Event, "e")
    type_fields, type_names, type_columns = _selected(TicketType, "t")
    sql = (
        f"SELECT {', '.join(event_columns + type_columns)} FROM {Event._meta.db_table} e"  # noqa: S608 - model metadata only
        f" LEFT JOIN {TicketType._meta.db_table} t ON t.event_id = e.id"
        " WHERE e.id = %s ORDER BY t.sort_order, t.id"
    )
    return (event_fields, event_names), (type_fields, type_names), sql


_EVENT_WITH_TYPES = _event_with_types_sql()


class PromoCode(GuardedColumnsModel):
    """A code a buyer types at the checkout for money off: per event or site-wide.

    The rules (who it applies to, when, and what it takes off) are `ticketing.promo_codes`'s.
    `used` counts the orders holding the code (placed and not given back by an expiry or a
    cancellation); only `ticketing.inventory` changes it, with a conditional UPDATE, exactly as
    it changes the `sold` counters, so concurrent checkouts never use it more than `max_uses`.
    """

    guarded_columns = ("used",)

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off each ticket"
        AMOUNT = "amount", "Fixed amount off each ticket"

    code = models.CharField(
        max_length=40,
        unique=True,
        help_text="What buyers type, in any mix of capitals and small letters (stored in capitals).",
    )
    event = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="promo_codes",
        help_text="Leave empty for a code that works for every event.",
    )
    ticket_types = models.ManyToManyField(
        TicketType,
        blank=True,
        related_name="promo_codes",
        verbose_name="Ticket types",
        help_text="Leave empty for every ticket type. Only for a code of one event.",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERCENT, verbose_name="Discount")
    value = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        verbose_name="Amount off",
        help_text="A percentage (e.g. 10 for 10% off) or an amount in the event's currency (e.g. 5.00).",
    )
    max_uses = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="Most uses",
        help_text="How many orders may use it. Leave empty for no limit.",
    )
    used = models.PositiveIntegerField(default=0, editable=False, verbose_name="Used by orders")
    valid_from = models.DateTimeField(null=True, blank=True, verbose_name="Valid from")
    valid_until = models.DateTimeField(null=True, blank=True, verbose_name="Valid until")
    active = models.BooleanField(default=True, help_text="Untick to stop the code working at once.")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="Created")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "promo code"
        verbose_name_plural = "promo codes"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(used__lte=models.F("max_uses")),
                name="promo_code_used_within_max_uses",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="promo_code_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lt=100), name="promo_code_percent_below_100"
            ),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        self.code = (self.code or "").strip().upper()
        errors = {}
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]*", self.code):
            errors["code"] = "Use letters, digits, - and _ only (no spaces)."
        if self.kind == self.Kind.PERCENT and self.value is not None and self.value >= 100:
            # Free tickets cannot be issued online: SumUp takes no payment of nothing.
            errors["value"] = "A percentage below 100: free tickets cannot be issued online."
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = "The code must stop working after it starts."
        if self.pk and self.max_uses is not None:
            used = type(self).objects.values_list("used", flat=True).get(pk=self.pk)
            if self.max_uses < used:
                errors["max_uses"] = f"{used} orders already use it; the limit cannot be lower."
        if errors:
            raise ValidationError(errors)


class Order(GuardedColumnsModel):
    """A buyer's order: holds its tickets while `pending`, owns them once `paid`.

    Its `status` changes only through `ticketing.orders`, which declares every transition.
    """

    guarded_columns = ("status",)

    wagtail_reference_index_ignore = True  # no page links to these; skip the per-save task

    class Status(models.TextChoices):
        PENDING = "pending", "Pending payment"
        PAID = "paid", "Paid"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        NEEDS_REVIEW = "needs_review", "Needs review"

    # The groups of states every rule speaks of, defined here and nowhere else.
    # Hold stock: counted in the `sold` counters and in velocity limits.
    HOLDS_STOCK = (Status.PENDING, Status.PAID, Status.PARTIALLY_REFUNDED)
    # Own valid tickets: they admit at the door, can be resent and refunded.
    OWNS_TICKETS = (Status.PAID, Status.PARTIALLY_REFUNDED)
    # Were paid, whatever refunds followed: a PAID checkout arriving now cannot pay them again.
    WAS_PAID = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)
    # Held tickets once but the hold ended unpaid: a payment arriving now must take them again.
    HOLD_ENDED = (Status.EXPIRED, Status.CANCELLED)

    reference = models.CharField(max_length=16, unique=True, default=new_order_reference, editable=False)
    token = models.CharField(
        max_length=64, unique=True, default=new_secret_token, editable=False, verbose_name="Order link secret"
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="orders")
    email = models.EmailField(verbose_name="E-mail")
    name = models.CharField(max_length=200, verbose_name="Buyer's name")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="GBP")
    expires_at = models.DateTimeField(db_index=True, verbose_name="Hold ends")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="Placed")
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name="Paid at")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="Last changed")
    created_ip = models.GenericIPAddressField(null=True, blank=True, verbose_name="Created from")
    # Who the order counts as for velocity limits (`ticketing.fraud`): the client it came from
    # (an IPv4 address, an IPv6 network, or "unparseable") and the mailbox of the address it
    # was placed with. Stored, so the limits are one indexed query on any database; a later
    # correction of `email` by staff does not move the order to another buyer.
    client_key = models.CharField(max_length=64, blank=True, editable=False, verbose_name="Counted as client")
    email_key = models.CharField(
        max_length=254, blank=True, editable=False, verbose_name="Counted as mailbox"
    )
    user_agent = models.CharField(max_length=400, blank=True, verbose_name="Browser")
    risk_flags = models.JSONField(default=list, blank=True, verbose_name="Risk flags")
    # While set and in the future, one payment attempt is opening a SumUp checkout for this
    # order (`ticketing.checkout.start_payment`): a second attempt waits its turn.
    payment_lease_until = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name="Payment being opened until"
    )
    # When the buyer's name, address and client details were erased (`legal.privacy`): the
    # order itself stays, as the record accounting needs (amounts, dates, SumUp ids).
    personal_data_erased_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name="Personal data erased"
    )
    # The Terms the buyer accepted at the checkout: the Terms page's live revision then (its
    # exact words) and the version label editors gave them; empty when no Terms page was set.
    # PROTECT: those words are the evidence of what the buyer agreed to, so Wagtail may not
    # delete the revision (`purge_revisions` skips protected ones; deleting the page itself is
    # refused in the admin, see ticketing/wagtail_hooks.py).
    terms_revision = models.ForeignKey(
        "wagtailcore.Revision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name="Terms accepted (revision)",
    )
    terms_version = models.CharField(
        "Terms version accepted", max_length=20, blank=True, default="", editable=False
    )
    # When a person at the box office looked at this order's risk flags or review, and who:
    # from then on it no longer counts as waiting for a person (`ticketing.boxoffice`).
    # Reviewing changes nothing else: an unpaid order stays unpaid.
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # The promo code the buyer typed, and what it took off the order (the lines' prices are
    # already the discounted ones: what the buyer pays, and what a refund gives back per ticket).
    # PROTECT: an order's code is part of the record of what was charged.
    promo_code = models.ForeignKey(
        PromoCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        editable=False,
        verbose_name="Promo code",
    )
    discount = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), editable=False, verbose_name="Discount"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["event", "created_ip"]),
            models.Index(fields=["event", "email"]),
            models.Index(fields=["event", "client_key"]),
            models.Index(fields=["event", "email_key"]),
        ]
        permissions = [
            ("check_in_ticket", "Can check in tickets at the door"),
            # Its own permission, not "change order": the box office resends (correcting the
            # address in the resend form) without being able to edit orders.
            ("resend_tickets", "Can e-mail an order's tickets again"),
            # The box office's own actions on one order (`ticketing.boxoffice`).
            ("cancel_unpaid_order", "Can cancel an unpaid order"),
            ("review_order", "Can mark a flagged order reviewed"),
            ("correct_buyer_contact", "Can correct a buyer's name or e-mail"),
        ]

    def __str__(self):
        return self.reference

    @property
    def ticket_count(self):
        return sum(line.quantity for line in self.lines.all())

    @property
    def is_hold_active(self):
        return self.status == self.Status.PENDING and self.expires_at > timezone.now()

    @property
    def terms_accepted(self) -> str:
        """What staff read about the Terms this buyer accepted."""
        if self.terms_revision_id is None:
            return "None recorded (no Terms page was set when the order was placed)"
        version = f"version {self.terms_version}" if self.terms_version else "an unversioned page"
        return f"{version} (page revision {self.terms_revision_id})"


class OrderLine(models.Model):
    wagtail_reference_index_ignore = True  # no page links to these; skip the per-save task

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    # Copied at purchase: a later price change must not change what this buyer paid. With a
    # promo code it is the discounted price: what each ticket was paid, and what refunding it gives back.
    unit_price = models.DecimalField(max_digits=8, decimal_places=2, verbose_name="Price each")

    class Meta:
        ordering = ["ticket_type__sort_order", "ticket_type_id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "ticket_type"], name="one_line_per_ticket_type"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
        ]

    @property
    def line_total(self):
        return self.unit_price * self.quantity


class Ticket(models.Model):
    """One admission. Created when its order is paid; `code` is what the QR code signs."""

    wagtail_reference_index_ignore = True  # no page links to these; skip the per-save task

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tickets")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.PROTECT, related_name="tickets")
    code = models.CharField(
        max_length=32, unique=True, default=new_ticket_code, editable=False, verbose_name="Ticket code"
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="Issued")
    checked_in_at = models.DateTimeField(null=True, blank=True, verbose_name="Checked in")
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Checked in by",
    )
    voided_at = models.DateTimeField(null=True, blank=True, verbose_name="Voided")
    # Who the ticket is for, typed by the buyer when the event asks (`ticketing.attendee_names`);
    # personal data, erased with the order (`legal.privacy`).
    attendee_name = models.CharField(max_length=100, blank=True, default="", verbose_name="Attendee's name")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.ticket_type.name} · {self.display_code}"

    @property
    def display_code(self):
        """Groups of four, easier to read and type at the door."""
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))


def valid_tickets_of(order) -> list[Ticket]:
    """The order's tickets that admit (not voided), each with its type, as every page and
    e-mail lists them: by the type's place among the event's types, then as issued.

    One written-out query, like `order_with_payments`: the order page reads them on every view and
    the ticket e-mail on every send, and the ORM's join and ordering cost several times the
    query. `delivery.valid_tickets` is the same set as a queryset, for counting them.
    """
    ticket_part, type_part, sql = _VALID_TICKETS
    return _with_types(sql, order.pk, Ticket, ticket_part, type_part)


def lines_of(order) -> list[OrderLine]:
    """The order's lines, each with its ticket type, in `OrderLine.Meta.ordering`.

    One query for a copy of an order, and none after it: lines never change once the order is
    placed (`orders.place` writes them, nothing updates or deletes them), so they are kept on
    the copy. The visit that confirms a payment reads them once, to issue the tickets, and its
    page lists the same rows.
    """
    try:
        return order._lines
    except AttributeError:
        line_part, type_part, sql = _LINES
        order._lines = _with_types(sql, order.pk, OrderLine, line_part, type_part)
        return order._lines


def _with_types(sql, order_id, model, own_part, type_part):
    """Rows of `model` joined to their ticket type, made as the ORM makes them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [order_id])
        rows = cursor.fetchall()
    after = len(own_part[0])
    made = []
    for row in rows:
        item = _made(model, *own_part, row[:after])
        item.ticket_type = _made(TicketType, *type_part, row[after:])
        made.append(item)
    return made


def _joined_to_types_sql(model, alias, where, order_by):
    own_fields, own_names, own_columns = _selected(model, alias)
    type_fields, type_names, type_columns = _selected(TicketType, "y")
    sql = (
        f"SELECT {', '.join(own_columns + type_columns)} FROM {model._meta.db_table} {alias}"  # noqa: S608 - model metadata only
        f" JOIN {TicketType._meta.db_table} y ON y.id = {alias}.ticket_type_id"
        f" WHERE {alias}.order_id = %s{where} ORDER BY {order_by}"
    )
    return (own_fields, own_names), (type_fields, type_names), sql


_VALID_TICKETS = _joined_to_types_sql(Ticket, "k", " AND k.voided_at IS NULL", "y.sort_order, k.id")
_LINES = _joined_to_types_sql(OrderLine, "l", "", "y.sort_order, l.ticket_type_id")


class Payment(models.Model):
    """One SumUp checkout (one payment attempt) for an order."""

    wagtail_reference_index_ignore = True  # no page links to these; skip the per-save task

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        PAID = "PAID", "Paid"
        FAILED = "FAILED", "Failed"
        EXPIRED = "EXPIRED", "Expired"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    checkout_id = models.CharField(max_length=64, unique=True, verbose_name="SumUp checkout")
    checkout_reference = models.CharField(max_length=64, unique=True, verbose_name="Checkout reference")
    hosted_checkout_url = models.URLField(max_length=500, blank=True, verbose_name="SumUp payment page")
    transaction_id = models.CharField(
        max_length=64, blank=True, db_index=True, verbose_name="SumUp transaction"
    )
    transaction_code = models.CharField(max_length=32, blank=True, verbose_name="SumUp receipt code")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    # SumUp's own status words; it may add more, so any string is kept.
    status = models.CharField(max_length=20, default=Status.PENDING)
    raw = models.JSONField(default=dict, blank=True, verbose_name="SumUp's last answer")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="Started")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="Last changed")
    # When this payment made its order paid. At most one payment of an order has it (it is set
    # in the transaction that moves the order to `paid`); any other PAID payment of a paid
    # order is a duplicate, refunded automatically (ticketing.payments.refunds).
    confirmed_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name="Paid the order at"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.order.reference} · {self.checkout_reference}"


def order_with_payments(token) -> Order:
    """The order with this token, its event, its promo code (or None) and its payments, newest
    first, in one query. Raises Order.DoesNotExist.

    The buyer's order page reads them on every view, and a buyer waiting for their payment
    reloads it. Written out like `event_with_ticket_types`: the ORM's joins cost it more than
    twice what the order's own row does, and compiling its prefetch of the payments cost more
    than the page's order, event and lines together. An order has one payment, or a few when
    the buyer tried again, so repeating the order's columns on each payment's row costs less
    than a second round trip.

    The payments are kept on the order as `prefetch_related("payments")` keeps them, so
    `order.payments.all()` (the order page, `order_summary`, `refunds.paying_payment`) reads no
    more, and each payment's `order` is this very order, as the prefetch would make it.
    """
    (order_part, event_part, promo_part, payment_part), sql = _ORDER_WITH_PAYMENTS
    with connection.cursor() as cursor:
        cursor.execute(sql, [token])
        rows = cursor.fetchall()
    if not rows:
        raise Order.DoesNotExist("No order with that token.")
    after_order = len(order_part[0])
    after_event = after_order + len(event_part[0])
    after_promo = after_event + len(promo_part[0])
    first = rows[0]
    order = _made(Order, *order_part, first[:after_order])
    order.event = _made(Event, *event_part, first[after_order:after_event])
    promo_columns = first[after_event:after_promo]
    order.promo_code = None if promo_columns[0] is None else _made(PromoCode, *promo_part, promo_columns)
    payments = [
        _made(Payment, *payment_part, row[after_promo:]) for row in rows if row[after_promo] is not None
    ]
    for payment in payments:
        payment.order = order
    # Stored where Django's prefetch stores it (`prefetch_one_level`): the manager's own
    # queryset holding the rows, so a further `.filter()` on it still filters this order's.
    order._prefetched_objects_cache = {}
    kept = order.payments.get_queryset()
    kept._result_cache = payments
    kept._prefetch_done = True
    order._prefetched_objects_cache["payments"] = kept
    return order


def payment_for_checkout(checkout_id: str) -> Payment | None:
    """The payment of this SumUp checkout, with its order, or None: one written-out query.

    SumUp's callback for every payment asks; the ORM's join cost the webhook most of its time.
    """
    payment_fields, payment_names, payment_columns = _PAYMENT_COLUMNS
    order_fields, order_names, order_columns = _ORDER_COLUMNS
    with connection.cursor() as cursor:
        cursor.execute(_PAYMENT_FOR_CHECKOUT_SQL, [checkout_id])
        row = cursor.fetchone()
    if row is None:
        return None
    payment = _made(Payment, payment_fields, payment_names, row[: len(payment_columns)])
    payment.order = _made(Order, order_fields, order_names, row[len(payment_columns) :])
    return payment


_PAYMENT_COLUMNS = _selected(Payment, "m")
_ORDER_COLUMNS = _selected(Order, "o")


def _order_with_payments_sql():
    order_fields, order_names, order_columns = _ORDER_COLUMNS
    event_fields, event_names, event_columns = _selected(Event, "e")
    promo_fields, promo_names, promo_columns = _selected(PromoCode, "p")
    payment_fields, payment_names, payment_columns = _PAYMENT_COLUMNS
    sql = (
        f"SELECT {', '.join(order_columns + event_columns + promo_columns + payment_columns)}"  # noqa: S608 - model metadata only
        f" FROM {Order._meta.db_table} o JOIN {Event._meta.db_table} e ON e.id = o.event_id"
        f" LEFT JOIN {PromoCode._meta.db_table} p ON p.id = o.promo_code_id"
        f" LEFT JOIN {Payment._meta.db_table} m ON m.order_id = o.id"
        " WHERE o.token = %s ORDER BY m.created_at DESC, m.id DESC"
    )
    parts = (
        (order_fields, order_names),
        (event_fields, event_names),
        (promo_fields, promo_names),
        (payment_fields, payment_names),
    )
    return parts, sql


_ORDER_WITH_PAYMENTS = _order_with_payments_sql()
_PAYMENT_FOR_CHECKOUT_SQL = (
    f"SELECT {', '.join(_PAYMENT_COLUMNS[2] + _ORDER_COLUMNS[2])} FROM {Payment._meta.db_table} m"  # noqa: S608 - model metadata only
    f" JOIN {Order._meta.db_table} o ON o.id = m.order_id WHERE m.checkout_id = %s"
)


class WebhookEvent(models.Model):
    """A webhook delivery from SumUp, kept with what we did about it."""

    wagtail_reference_index_ignore = True  # no page links to these; skip the per-save task

    dedupe_key = models.CharField(max_length=128, unique=True, verbose_name="Delivery key")
    event_type = models.CharField(max_length=64, blank=True, verbose_name="SumUp event")
    checkout_id = models.CharField(max_length=64, blank=True, db_index=True, verbose_name="SumUp checkout")
    payload = models.JSONField(default=dict, blank=True, verbose_name="What SumUp sent")
    signed = models.BooleanField(default=False, verbose_name="Signed by SumUp")
    deliveries = models.PositiveIntegerField(default=1, verbose_name="Times delivered")
    outcome = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, verbose_name="First received")
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name="Handled")

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.event_type or 'webhook'} {self.checkout_id} ({self.outcome or 'received'})"


class Refund(models.Model):
    """Money given back through SumUp: asked for by staff, or made automatically (ticketing.payments.refunds)."""

    wagtail_reference_index_ignore = True  # no page links to these; skip the per-save task

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        # SumUp was asked but its answer never came (a timeout, a dropped connection): the money
        # may or may not have gone back. Settled by asking SumUp (`payments.refunds`).
        UNKNOWN = "unknown", "SumUp did not answer; checking"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    # A refund in these states may still move money: at most one per payment at a time.
    IN_FLIGHT = (Status.REQUESTED, Status.UNKNOWN)

    class Kind(models.TextChoices):
        STAFF = "staff", "By staff"
        LATE_PAYMENT = "late_payment", "Automatic: paid after the tickets were gone"
        DUPLICATE_PAYMENT = "duplicate_payment", "Automatic: second payment for a paid order"
        BUYER = "buyer", "Cancelled by the buyer on the order page"

    AUTOMATIC_KINDS = (Kind.LATE_PAYMENT, Kind.DUPLICATE_PAYMENT)
    # Refunds of chosen tickets that a person asked for: staff in the admin, or the buyer.
    TICKET_KINDS = (Kind.STAFF, Kind.BUYER)

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    provider_reference = models.CharField(max_length=64, blank=True, verbose_name="SumUp refund reference")
    reason = models.CharField(max_length=255, blank=True)
    tickets = models.ManyToManyField(Ticket, blank=True, related_name="refunds")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True, verbose_name="SumUp's error")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="Asked for")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STAFF)
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name="Completed")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One refund of a payment at SumUp at a time: a double click, or two staff at once,
            # cannot refund the same money twice.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=["requested", "unknown"]),
                name="one_refund_in_flight_per_payment",
            ),
            # Concurrent webhook deliveries of one late or duplicate payment refund it once.
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=Q(kind__in=["late_payment", "duplicate_payment"]),
                name="one_automatic_refund_per_payment",
            ),
        ]

    def __str__(self):
        return f"Refund {format_money(self.amount, self.payment.currency)} for {self.payment.order.reference}"


def refunds_of(payment_ids) -> list[Refund]:
    """The refunds of these payments that were not refused (all but failed ones), newest first.

    One written-out query: the order page of every paid order asks, and almost always there is
    none. Their tickets are not read here (`order_summary` prefetches them when there are any).
    """
    ids = list(payment_ids)
    if not ids:
        return []
    fields, names, columns = _REFUND_COLUMNS
    sql = (
        f"SELECT {', '.join(columns)} FROM {Refund._meta.db_table} r"  # noqa: S608 - model metadata only
        f" WHERE r.payment_id IN ({', '.join(['%s'] * len(ids))}) AND r.status <> %s"
        " ORDER BY r.created_at DESC, r.id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, Refund.Status.FAILED.value])
        return [_made(Refund, fields, names, row) for row in cursor.fetchall()]


_REFUND_COLUMNS = _selected(Refund, "r")


class BuyerEmail(models.Model):
    """One promise to e-mail a buyer: their tickets, or news of a refund of their money.

    A row is written by `ticketing.outbox` in the transaction that makes the promise (the one
    that pays, resends or records a refund), so it exists exactly when that change does, and it
    outlives any job: `ticketing.delivery` sends it, retries it with back-off and records each
    attempt here, where staff see it. Neither tickets nor refunds depend on it: they are in the
    database whatever happens to the e-mail.

    It holds no personal data: neither the address (the order's, read at each attempt, so a
    corrected address is used by a retry too) nor the body, which erasure would then have to find.
    """

    wagtail_reference_index_ignore = True  # no page links to these; skip the per-save work

    class Kind(models.TextChoices):
        TICKETS = "tickets", "Tickets"
        REFUND = "refund", "Refund notice"
        LATE_PAYMENT = "late_payment", "Apology: paid after the tickets were gone, money returned"
        DUPLICATE_PAYMENT = "duplicate_payment", "Notice: charged twice, second payment refunded"

    class Reason(models.TextChoices):
        """Why tickets are sent; refund notices have none (their refund says why)."""

        PAID = "paid", "Order paid"
        RESEND = "resend", "Resent by staff"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Cancelled (nothing to send)"

    # The accessor keeps the name it had when this model held ticket e-mails only: the order
    # admin reads it by that name.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="buyer_emails")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TICKETS)
    # PROTECT: a notice is rendered from its refund at each attempt, and a refund is a record
    # of money given back, never to be deleted; deleting one fails loudly instead of leaving
    # notices that can no longer say what they are about.
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="buyer_emails"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True, default=Reason.PAID)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name="Tries")
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name="Next try")
    last_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name="Last try")
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name="Sent")
    # The exception's class and message, e-mail addresses blanked out; or why it was cancelled.
    last_error = models.CharField(max_length=300, blank=True, verbose_name="Last error")
    # The task (django-tasks result id) that will make the next attempt, when one is queued.
    task_id = models.CharField(max_length=64, blank=True, verbose_name="Worker job")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="Queued")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            # A refund notice (every kind but tickets) cannot be written without the refund it
            # is about, and tickets are never sent "about" a refund.
            models.CheckConstraint(
                condition=(
                    Q(kind="tickets", refund__isnull=True)
                    | Q(kind__in=["refund", "late_payment", "duplicate_payment"], refund__isnull=False)
                ),
                name="buyer_email_refund_matches_kind",
            ),
        ]
        verbose_name = "e-mail to buyer"
        verbose_name_plural = "e-mails to buyers"

    def __str__(self):
        what = self.get_kind_display()
        return f"E-mail to the buyer of {self.order.reference}: {what} ({self.get_status_display()})"


class ScheduledJob(models.Model):
    """The state of one periodic job that the worker runs (see `ticketing.schedule`)."""

    name = models.CharField(max_length=64, unique=True)
    # The queued django-tasks-db result that will make the next run: there is exactly one.
    pending_task_id = models.UUIDField(null=True, blank=True, verbose_name="Queued run")
    next_run_at = models.DateTimeField(null=True, blank=True, verbose_name="Next run")
    last_started_at = models.DateTimeField(null=True, blank=True, verbose_name="Last started")
    last_finished_at = models.DateTimeField(null=True, blank=True, verbose_name="Last finished")
    last_outcome = models.CharField(max_length=16, blank=True, verbose_name="Last outcome")
    last_result = models.CharField(max_length=255, blank=True, verbose_name="Last result")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ReconciliationMismatch(models.Model):
    """A disagreement between SumUp's money and our orders that a person must look at.

    Written by the webhook's confirmation checks (amount, currency, reference, merchant) and by
    the daily reconciliation (`ticketing.payments.reconcile`). `key` names the problem (its kind and the
    payment or SumUp transaction), so finding it again updates this row instead of adding one.
    Holds references and amounts only, no personal data.
    """

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        AMOUNT = "amount", "Amount differs"
        CURRENCY = "currency", "Currency differs"
        REFERENCE = "reference", "Checkout reference differs"
        MERCHANT = "merchant", "Paid to another merchant"
        PAID_AT_SUMUP_ONLY = "paid_at_sumup_only", "Paid at SumUp, not here"
        PAID_HERE_ONLY = "paid_here_only", "Paid here, not at SumUp"
        REFUND_AT_SUMUP_ONLY = "refund_at_sumup_only", "Refunded at SumUp, not here"
        REFUND_HERE_ONLY = "refund_here_only", "Refunded here, not at SumUp"
        CONFIRMED_LATE = "confirmed_late", "Missed payment, confirmed by reconciliation"

    key = models.CharField(max_length=160, unique=True, verbose_name="Problem key")
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    transaction_id = models.CharField(max_length=64, blank=True, verbose_name="SumUp transaction")
    transaction_code = models.CharField(max_length=32, blank=True, verbose_name="SumUp receipt code")
    sumup_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, verbose_name="Amount at SumUp"
    )
    our_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, verbose_name="Our amount"
    )
    currency = models.CharField(max_length=3, blank=True)
    detail = models.CharField(max_length=255)
    source = models.CharField(
        max_length=16, default="reconcile", verbose_name="Found by"
    )  # "webhook" or "reconcile"
    first_seen_at = models.DateTimeField(auto_now_add=True, verbose_name="First seen")
    last_seen_at = models.DateTimeField(default=timezone.now, verbose_name="Last seen")
    times_seen = models.PositiveIntegerField(default=1, verbose_name="Times seen")
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name="Resolved")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Resolved by",
    )
    resolution = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["resolved_at", "-last_seen_at"]
        verbose_name = "payment mismatch"
        verbose_name_plural = "payment mismatches"
        # Permissions belong to a model in Django; refunding is grouped here with the other
        # money-review work of this app, as `ticketing.refund_order`. Resolving is its own
        # permission rather than "change payment mismatch": nobody edits one, they record
        # what was done about it.
        permissions = [
            ("refund_order", "Can refund orders through SumUp"),
            ("resolve_mismatch", "Can mark payment mismatches resolved"),
        ]

    def __str__(self):
        subject = self.order.reference if self.order_id else (self.transaction_code or self.transaction_id)
        return f"{self.get_kind_display()} · {subject}"

    @property
    def is_open(self):
        return self.resolved_at is None

    @classmethod
    def record(cls, *, key, **fields):
        """Record a mismatch found (again); returns (mismatch, created).

        Seen again, the row's figures are refreshed and counted; a row staff resolved stays
        resolved (they decided about it), unless `reopen=True`.
        """
        reopen = fields.pop("reopen", False)
        now = timezone.now()
        mismatch, created = cls.objects.get_or_create(key=key[:160], defaults={**fields, "last_seen_at": now})
        if not created:
            updates = {name: value for name, value in fields.items() if name not in ("kind", "source")}
            updates.update(last_seen_at=now, times_seen=models.F("times_seen") + 1)
            if reopen:
                updates.update(resolved_at=None, resolved_by=None, resolution="")
            cls.objects.filter(pk=mismatch.pk).update(**updates)
            mismatch.refresh_from_db()
        return mismatch, created


class EventCancellation(models.Model):
    """An event called off by staff: sales stopped, and every buyer's money is being given back.

    Made once per event by `ticketing.cancellation.cancel_event`, which also stops sales; the
    refunds are made afterwards by the worker (`refund_orders`, resumed every few minutes), so
    this row is also the record of how far they have got. `refunds` are the refunds it asked
    SumUp for, failed ones included, with SumUp's reasons. The counts are what was planned when
    staff confirmed; progress is read from the orders themselves (`cancellation.progress`).
    """

    wagtail_reference_index_ignore = True

    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="cancellation")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    paid_orders = models.PositiveIntegerField(default=0)
    tickets = models.PositiveIntegerField(default=0)
    pending_orders = models.PositiveIntegerField(default=0)
    refunds = models.ManyToManyField(Refund, blank=True, related_name="+")
    # While set and in the future, one run of `refund_orders` is working through the orders:
    # another run (the periodic resume, a second worker) leaves them to it.
    working_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-requested_at"]
        permissions = [("cancel_event", "Can cancel an event and refund every buyer")]

    def __str__(self):
        return f"Cancellation of {self.event}"


class OrderLookup(models.Model):
    """A "Find my tickets" request waiting for the worker: the address to e-mail its orders to.

    The job names this row by id, never the address (a job row outlives its work and must hold
    no personal data), and deletes the row as it starts: it lives seconds, not days.
    `legal.privacy` erases any still waiting.
    """

    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Order lookup {self.pk}"


class WaitingListEntry(models.Model):
    """One person in line for a sold-out ticket type, and the offer they get when seats come back.

    The line is the order of joining (`joined_at`, then id). `ticketing.waiting_list` makes the
    offer: the head of the line moves `waiting → offered` with a conditional UPDATE, so an entry
    is offered once; the offered seats are counted in the ticket type's `sold` (reserved through
    `ticketing.inventory`), so nobody else can buy them while the offer lasts. The offer ends
    `claimed` (its checkout placed an order, which then holds the seats), `expired` (its time ran
    out: the seats pass to the next in line) or `withdrawn` (staff or erasure).

    The offer e-mail is recorded here (its state, tries, last error): the entry is the only thing
    it is about, and it holds the address; `ticketing.outbox` promises it, `ticketing.waiting_list`
    sends and retries it. Personal data: the address; the whole row is erased with the person.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered seats"
        CLAIMED = "claimed", "Took the offer"
        EXPIRED = "expired", "Offer ran out"
        WITHDRAWN = "withdrawn", "Taken off the list"

    class NoticeStatus(models.TextChoices):
        NONE = "", "Not needed yet"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Cancelled (offer over)"

    # The states that keep a person on the list: one such entry per mailbox and ticket type.
    ON_THE_LIST = (Status.WAITING, Status.OFFERED)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="waiting_list")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.CASCADE, related_name="waiting_list")
    email = models.EmailField(max_length=254, verbose_name="E-mail address")
    quantity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], verbose_name="Tickets wanted"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    joined_at = models.DateTimeField(default=timezone.now, verbose_name="Joined")
    offer_token = models.CharField(
        max_length=64, unique=True, default=new_secret_token, editable=False, verbose_name="Offer link secret"
    )
    offered_quantity = models.PositiveSmallIntegerField(default=0, verbose_name="Tickets offered")
    offered_at = models.DateTimeField(null=True, blank=True, verbose_name="Offered at")
    offer_expires_at = models.DateTimeField(null=True, blank=True, verbose_name="Offer ends")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="Order placed"
    )
    notice_status = models.CharField(
        max_length=16,
        choices=NoticeStatus.choices,
        blank=True,
        default=NoticeStatus.NONE,
        verbose_name="Offer e-mail",
    )
    notice_attempts = models.PositiveSmallIntegerField(default=0, verbose_name="Tries")
    notice_next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name="Next try")
    notice_last_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name="Last try")
    notice_sent_at = models.DateTimeField(null=True, blank=True, verbose_name="Sent")
    # The exception's class and message, addresses blanked out (`delivery.describe_error`).
    notice_last_error = models.CharField(max_length=300, blank=True, verbose_name="Last error")

    class Meta:
        ordering = ["ticket_type_id", "joined_at", "id"]
        indexes = [models.Index(fields=["ticket_type", "status", "joined_at"])]
        constraints = [
            # Joining twice changes nothing: one place in line per mailbox and ticket type.
            models.UniqueConstraint(
                Lower("email"),
                "ticket_type",
                condition=Q(status__in=["waiting", "offered"]),
                name="waiting_list_one_place_per_mailbox",
            ),
        ]
        verbose_name = "waiting list entry"
        verbose_name_plural = "waiting list"

    def __str__(self):
        return f"Waiting list {self.pk}: {self.ticket_type} ({self.get_status_display()})"
