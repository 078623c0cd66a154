from django.core.management.base import BaseCommand, CommandError

from core.wording import counted
from ticketing.inventory import check_inventory


class Command(BaseCommand):
    help = "Recompute every sold counter from pending and paid orders and report differences."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Set each counter to what the orders say.")

    def handle(self, *args, fix=False, **options):
        differences = check_inventory(fix=fix)
        for d in differences:
            self.stdout.write(
                f"{d['kind']} {d['id']} ({d['name']}): sold={d['sold']} orders say {d['expected']}"
            )
        if not differences:
            self.stdout.write(self.style.SUCCESS("Inventory matches the orders."))
        elif fix:
            self.stdout.write(
                self.style.WARNING(f"Fixed {counted(len(differences), 'counter', 'counters')}.")
            )
        else:
            raise CommandError(
                f"{counted(len(differences), 'counter differs', 'counters differ')} from the orders; run with --fix to correct."
            )
