"""Signals other apps listen to, so ticketing need not know who caches what."""

from django.dispatch import Signal

# Sent after a transaction that changed an event's stock has committed. Args: event_id.
availability_changed = Signal()
