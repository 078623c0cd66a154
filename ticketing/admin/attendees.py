"""Who is coming to an event: the attendee list, its CSV, and the printable door list.

* the attendee list (permission `ticketing.view_ticket`, the box office's): every valid ticket
  of the event with its buyer's name and e-mail, ticket type, code and check-in time, and its
  CSV download (written by `core.csv`, so no cell is a spreadsheet formula; each download is
  recorded in the event's history, as personal data leaving the site);
* the door list (permission `ticketing.check_in_ticket`, the box office's and door staff's):
  the same people on paper (by the attendee's name when the buyer gave one, `ticketing.attendee_names`), for when the scanner cannot be used, with a box to tick and only
  the end of each code, so that a lost sheet admits nobody (the scanner wants the whole code);
* the page to choose an event, reached from the "Attendees" entry of the Ticketing menu and
  from each event's buttons in the Events list.

A valid ticket is one its order owns (`Order.OWNS_TICKETS`) and no refund voided. Every page
reads the tickets in one query, whatever their number, and sorts them in Python by surname.
"""

import unicodedata

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import log
from wagtail_modeladmin.helpers import ButtonHelper

from core.csv import csv_response
from ticketing.checkin import CHECK_IN_PERMISSION
from ticketing.models import Event, Order, Ticket

ATTENDEES_PERMISSION = "ticketing.view_ticket"
# Recorded on the event each time its attendee list is downloaded (no buyer's data in it).
LOG_ATTENDEES_DOWNLOADED = "ticketing.attendees_downloaded"
# How many characters of a ticket's code the door list prints: the last group of its display
# code, enough to tell two people of one name apart, far too few to be typed into the scanner.
DOOR_LIST_CODE_LENGTH = 4
EVENTS_PER_PAGE = 50


def may_see_attendees(user) -> bool:
    return user.has_perm(ATTENDEES_PERMISSION)


def may_print_door_list(user) -> bool:
    return user.has_perm(CHECK_IN_PERMISSION)


def attendees_url(event) -> str:
    return reverse("ticketing_event_attendees", args=[event.pk])


def door_list_url(event) -> str:
    return reverse("ticketing_event_door_list", args=[event.pk])


# --- Who is coming ----------------------------------------------------------------------------


def _folded(text: str) -> str:
    """`text` as staff look it up: case and accents ignored ("Ávila" under A, not after Z)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def surname_key(name: str) -> tuple[str, str]:
    """How a list is sorted: by the last word of the name, regardless of case, then the whole name.

    "Mary Le Sueur" sorts under "Sueur": a name gives no sure way to find a multi-word surname,
    and the last word is what staff would look under first.
    """
    words = name.split()
    return (_folded(words[-1]) if words else "", _folded(name))


def valid_tickets(event: Event) -> list[Ticket]:
    """The event's valid tickets with their orders and types, sorted by the buyer's surname.

    One query: the orders and ticket types come joined. Tickets of one buyer stay together, in
    the order they were issued.
    """
    tickets = (
        Ticket.objects.filter(
            order__event=event, order__status__in=Order.OWNS_TICKETS, voided_at__isnull=True
        )
        .select_related("order", "ticket_type")
        .order_by("id")
    )
    return sorted(tickets, key=lambda ticket: surname_key(attendee(ticket)))


def attendee(ticket: Ticket) -> str:
    """Who the ticket is for: the attendee's name when the buyer gave one, else the buyer's."""
    return ticket.attendee_name or ticket.order.name


def short_code(ticket: Ticket) -> str:
    return ticket.code[-DOOR_LIST_CODE_LENGTH:]


def checked_in_text(ticket: Ticket) -> str:
    """When the ticket was admitted, in the site's time zone; empty if not yet."""
    if ticket.checked_in_at is None:
        return ""
    return timezone.localtime(ticket.checked_in_at).strftime("%Y-%m-%d %H:%M")


# --- The pages --------------------------------------------------------------------------------


class EventStaffView(WagtailAdminTemplateMixin, TemplateView):
    """A page about one event for staff holding `permission_required`; 403 for everyone else.

    The permission is checked before the event is looked up, so that staff who may not see the
    page cannot probe which events exist.
    """

    permission_required = None
    header_icon = "group"

    def dispatch(self, request, pk):
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        self.event = get_object_or_404(Event, pk=pk)
        return super().dispatch(request, pk)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("ticketing_attendees"), "label": "Attendees"},
            {"url": "", "label": self.event.title},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, tickets=valid_tickets(self.event), **kwargs)


class AttendeeListView(EventStaffView):
    """Every valid ticket of one event, with its buyer: for the box office."""

    permission_required = ATTENDEES_PERMISSION
    template_name = "ticketing/admin/attendees.html"

    def get_page_title(self):
        return f"Attendees · {self.event.title}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            csv_url=reverse("ticketing_event_attendees_csv", args=[self.event.pk]),
            door_list_url=door_list_url(self.event) if may_print_door_list(self.request.user) else None,
            **kwargs,
        )


class AttendeeCsvView(EventStaffView):
    """The attendee list as a CSV file, each download recorded in the event's history."""

    permission_required = ATTENDEES_PERMISSION
    HEADER = ("Name", "E-mail", "Ticket type", "Ticket code", "Order", "Checked in", "Attendee")

    def get(self, request, pk):
        tickets = valid_tickets(self.event)
        rows = [
            (
                ticket.order.name,
                ticket.order.email,
                ticket.ticket_type.name,
                ticket.display_code,
                ticket.order.reference,
                checked_in_text(ticket),
                ticket.attendee_name,
            )
            for ticket in tickets
        ]
        # Who took the buyers' details out of the site, and how many: never whose they were.
        log(self.event, LOG_ATTENDEES_DOWNLOADED, user=request.user, data={"tickets": len(rows)})
        filename = f"attendees-{self.event.pk}-{slugify(self.event.title)[:40] or 'event'}.csv"
        return csv_response(filename, self.HEADER, rows)


class DoorListView(EventStaffView):
    """The printable door list: names by surname, ticket type, the end of the code, a box to tick."""

    permission_required = CHECK_IN_PERMISSION
    template_name = "ticketing/admin/door_list.html"

    def get_page_title(self):
        return f"Door list · {self.event.title}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            printed_at=timezone.localtime(), code_length=DOOR_LIST_CODE_LENGTH, **kwargs
        )
        context["rows"] = [
            {"ticket": ticket, "short_code": short_code(ticket)} for ticket in context["tickets"]
        ]
        return context


class ChooseEventView(WagtailAdminTemplateMixin, TemplateView):
    """The events, newest first, each with its valid tickets' count and the lists the user may open."""

    template_name = "ticketing/admin/attendees_events.html"
    page_title = "Attendees"
    header_icon = "group"

    def dispatch(self, request):
        if not (may_see_attendees(request.user) or may_print_door_list(request.user)):
            raise PermissionDenied
        return super().dispatch(request)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": "Attendees"}]

    def get_context_data(self, **kwargs):
        valid = Q(orders__status__in=Order.OWNS_TICKETS, orders__tickets__voided_at__isnull=True)
        events = Event.objects.annotate(attendees=Count("orders__tickets", filter=valid)).order_by(
            "-starts_at", "pk"
        )
        # get_page: a page number that is not one (junk, 0, past the end) shows the nearest page.
        page = Paginator(events, EVENTS_PER_PAGE).get_page(self.request.GET.get("p"))
        return super().get_context_data(
            page=page,
            may_see_attendees=may_see_attendees(self.request.user),
            may_print_door_list=may_print_door_list(self.request.user),
            **kwargs,
        )


# --- Where staff find them ----------------------------------------------------------------------


class AttendeesMenuItem(MenuItem):
    """ "Attendees" in the Ticketing menu, for staff who may open either list."""

    def __init__(self, order):
        super().__init__("Attendees", reverse("ticketing_attendees"), icon_name="group", order=order)

    def is_shown(self, request):
        return may_see_attendees(request.user) or may_print_door_list(request.user)


class EventButtonHelper(ButtonHelper):
    """An event's buttons in the Events list, with "Attendees" for staff who may see them."""

    def get_buttons_for_obj(self, obj, *args, **kwargs):
        buttons = super().get_buttons_for_obj(obj, *args, **kwargs)
        if may_see_attendees(self.request.user):
            buttons.append(
                {
                    "url": attendees_url(obj),
                    "label": "Attendees",
                    "classname": "button button-secondary button-small",
                    "title": f"Who is coming to {obj.title}",
                }
            )
        return buttons
