from django.core.management.base import BaseCommand

from core.wording import counted
from ticketing.holds import expire_orders


class Command(BaseCommand):
    help = "End the holds of unpaid orders whose time ran out and release their tickets."

    def handle(self, *args, **options):
        count = expire_orders()
        self.stdout.write(f"Expired {counted(count, 'order', 'orders')}.")
