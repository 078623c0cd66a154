import argparse
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ticketing.payments import sumup
from ticketing.payments.reconcile import DEFAULT_LOOKBACK, reconcile_payments


def since_value(text: str) -> datetime:
    """A date (from local midnight) or an ISO date-time; naive times are local."""
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO date-time.")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Compare SumUp's transaction history with our orders, payments and refunds; confirm missed "
        "payments through the normal path; record, report and alert on mismatches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=since_value,
            help=f"Start of the history to read: YYYY-MM-DD or an ISO date-time (default: {DEFAULT_LOOKBACK.days} days ago).",
        )

    def handle(self, *args, **options):
        try:
            report = reconcile_payments(since=options["since"])
        except sumup.SumUpError as error:
            raise CommandError(f"SumUp's transaction history could not be read: {error.message}") from error
        for line in report.lines():
            self.stdout.write(line)
