"""Signals other apps listen to, so ticketing need not know who caches what."""

from django.dispatch import Signal

# Sent after a transaction that changed an event's stock has committed. Args: event_id.
availability_changed = Signal()

# Sent inside the transaction that gave seats back to an event (an order's hold ended, a refund
# or cancellation voided tickets, a waiting-list offer ran out), with the event's stock row
# locked: whoever listens can take the seats in that same transaction, before any other buyer
# sees them. The waiting list listens (`ticketing.waiting_list.offer_released_seats`). Args: event_id.
seats_released = Signal()
