import json

from django.core.management.base import BaseCommand, CommandError

from core.wording import counted
from legal import privacy


class Command(BaseCommand):
    help = (
        "After restoring a backup: erase again every person in the erasure ledger whose orders or "
        "data requests the backup brought back (tickets to come stay valid)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ledger",
            metavar="FILE",
            help=(
                "Merge this ledger first: `manage.py dumpdata legal.ErasedPerson` of the database as it "
                "was before the restore, which holds erasures made after the backup was taken."
            ),
        )

    def handle(self, *args, ledger, **options):
        if ledger:
            try:
                with open(ledger, encoding="utf-8") as file:
                    added = privacy.merge_ledger(json.load(file))
            except (OSError, ValueError) as error:
                raise CommandError(f"Could not read the ledger {ledger}: {error}") from None
            self.stdout.write(f"Ledger: {counted(added, 'erasure', 'erasures')} added from {ledger}.")
        report = privacy.reapply_erasures()
        self.stdout.write(f"Erasures re-applied: {report.summary()}.")
