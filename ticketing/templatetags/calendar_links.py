"""`{% calendar_links order as links %}`: the "Add to calendar" links of an order, for the order
page, the tickets page and the ticket e-mail alike (see ticketing/calendar.py)."""

from django import template

from ticketing import calendar

register = template.Library()


@register.simple_tag
def calendar_links(order):
    return calendar.add_to_calendar(order)
