from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class TicketingConfig(AppConfig):
    name = "ticketing"
    verbose_name = "Ticketing"

    def ready(self):
        from core import page_cache
        from ticketing import delivery, inventory, schedule, shop, signals, waiting_list

        # Every deploy's release step (`migrate`) makes sure the periodic jobs are scheduled.
        post_migrate.connect(schedule.seed_after_migrate, sender=self, dispatch_uid="ticketing-schedule")

        # Event pages are served from the page cache: each sale that changes what the page shows
        # of the stock, each release, and each edit of an event or its ticket types, must make
        # the event's cached page stale at once (the rule: `shop.refresh_event_page`).
        signals.availability_changed.connect(shop.refresh_event_page, dispatch_uid="pagecache-stock")
        # Seats that come back are offered to the waiting list first, in the releasing transaction.
        signals.seats_released.connect(waiting_list.offer_released_seats, dispatch_uid="waiting-list-offers")
        signals.capacity_being_set.connect(
            inventory.lock_types_for_recount, dispatch_uid="capacity-lock-types"
        )
        signals.capacity_set.connect(inventory.recount_event, dispatch_uid="capacity-recount")
        page_cache.refresh_event_page_when_saved("ticketing.Event", event_id_field="pk")
        # The ticket and refund e-mails keep the site's name and contact address in the cache.
        for signal in (post_save, post_delete):
            signal.connect(
                delivery.site_details_changed,
                sender="core.SiteSettings",
                dispatch_uid=f"site-details-{id(signal)}",
            )
        page_cache.refresh_event_page_when_saved("ticketing.TicketType", event_id_field="event_id")
