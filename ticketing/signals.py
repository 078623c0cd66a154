"""Signals other apps listen to, so ticketing need not know who caches what."""

from django.dispatch import Signal

# Sent after a transaction that changed an event's stock has committed. Args: event_id, and
# `sold_types` (a frozenset of ticket type ids) when the change only took seats from those types
# (a sale): a listener may then judge from what it shows of them whether anything changed. Without
# it, seats may have come back (a release, a cancellation): assume anything may have changed.
availability_changed = Signal()

# Sent inside the transaction that gave seats back to an event (an order's hold ended, a refund
# or cancellation voided tickets, a waiting-list offer ran out), with the event's stock row
# locked: whoever listens can take the seats in that same transaction, before any other buyer
# sees them. The waiting list listens (`ticketing.waiting_list.offer_released_seats`). Args: event_id.
seats_released = Signal()

# Sent by `Event.save` when an event is first given an overall capacity, in one transaction:
# `capacity_being_set` before the row is saved, `capacity_set` after. Sales count against the
# event's own row only under a capacity, so its `sold` must be recounted from its types then;
# the stock's owner listens (`ticketing.inventory`: lock the types first, then recount), so the
# models need not know who keeps the counters. Args: event_id.
capacity_being_set = Signal()
capacity_set = Signal()
