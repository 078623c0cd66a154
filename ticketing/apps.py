from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketingConfig(AppConfig):
    name = "ticketing"
    verbose_name = "Ticketing"

    def ready(self):
        from ticketing import schedule

        # Every deploy's release step (`migrate`) makes sure the periodic jobs are scheduled.
        post_migrate.connect(schedule.seed_after_migrate, sender=self, dispatch_uid="ticketing-schedule")
