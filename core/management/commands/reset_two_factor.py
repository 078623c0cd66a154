"""`manage.py reset_two_factor USERNAME`: a lost phone. The user's authenticator apps are
removed; at their next sign-in they set up a new one (required for Finance and Privacy)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core import two_factor
from core.wording import counted


class Command(BaseCommand):
    help = "Remove a user's two-factor devices, so that their next sign-in sets up a new one."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        users = get_user_model().objects
        try:
            user = users.get(**{users.model.USERNAME_FIELD: username})
        except users.model.DoesNotExist:
            raise CommandError(f"No user is called {username!r}.") from None
        removed = two_factor.reset(user)
        if removed:
            self.stdout.write(
                f"Removed {counted(removed, 'two-factor device', 'two-factor devices')} of {username}; the next sign-in sets up a new one."
            )
        else:
            self.stdout.write(f"{username} had no two-factor device; nothing changed.")
