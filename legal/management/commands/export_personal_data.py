import json

from django.core.management.base import BaseCommand, CommandError

from legal import privacy


class Command(BaseCommand):
    help = "Print, as JSON, everything held about an e-mail address (matched ignoring case)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            export = privacy.export_person(email)
        except ValueError as error:
            raise CommandError(str(error)) from None
        # The one command that prints an address: the operator asked for this person's data.
        self.stdout.write(json.dumps(export, indent=2, ensure_ascii=False))
