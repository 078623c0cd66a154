from django.core.management.base import BaseCommand

from legal import privacy


class Command(BaseCommand):
    help = (
        "Erase the personal data of orders whose event ended more than PERSONAL_DATA_RETENTION_DAYS ago, "
        "and of data requests that no longer need it (also run daily by the worker). Safe any time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=200, help="Orders per transaction (%(default)s)."
        )

    def handle(self, *args, batch_size, **options):
        report = privacy.anonymise_old_orders(batch_size=max(batch_size, 1))
        self.stdout.write(f"Retention: {report.summary()}.")
