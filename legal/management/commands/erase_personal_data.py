from django.core.management.base import BaseCommand, CommandError

from legal import privacy


class Command(BaseCommand):
    help = (
        "Erase the personal data held about an e-mail address; orders stay for the accounts, anonymous. "
        "Without --yes, says what it would do and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="Really erase.")
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument(
            "--keep-tickets",
            action="store_const",
            dest="future_tickets",
            const=privacy.KEEP,
            help="Tickets for events still to come stay valid (anonymous).",
        )
        choice.add_argument(
            "--refund-tickets",
            action="store_const",
            dest="future_tickets",
            const=privacy.REFUND,
            help="Tickets for events still to come are refunded through SumUp first.",
        )

    def handle(self, *args, email, yes, future_tickets, **options):
        try:
            plan = privacy.plan_erasure(email)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if plan.future_references and future_tickets is None:
            raise CommandError(f"{plan.describe()} Run again with --keep-tickets or --refund-tickets.")
        if not yes:
            raise CommandError(f"Nothing erased: {plan.describe()} Run again with --yes to erase.")
        try:
            report = privacy.erase_person(email, future_tickets=future_tickets)
        except privacy.DecisionNeeded as decision:  # tickets bought since the plan was made
            raise CommandError(f"{decision} Run again with --keep-tickets or --refund-tickets.") from None
        except privacy.ErasureStopped as stopped:
            raise CommandError(str(stopped)) from None
        self.stdout.write(f"Erased: {report.summary()}.")
