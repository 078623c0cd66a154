from django.core.management.base import BaseCommand

from legal import privacy


class Command(BaseCommand):
    help = (
        "After restoring a backup: erase again every person in the erasure ledger whose orders or "
        "data requests the backup brought back (tickets to come stay valid)."
    )

    def handle(self, *args, **options):
        report = privacy.reapply_erasures()
        self.stdout.write(f"Erasures re-applied: {report.summary()}.")
