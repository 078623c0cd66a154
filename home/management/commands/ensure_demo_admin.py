"""`manage.py ensure_demo_admin`: the demo's superuser `admin`, created once.

The password comes from DEMO_ADMIN_PASSWORD, or is generated and printed this one time (it is
stored only as a hash). A DEMO_ADMIN_PASSWORD must pass the site's password rules (twelve
characters or more, not a common or an all-digit one), as any staff password chosen in the admin. An existing `admin` is left exactly as it is, so re-running
`make demo` never resets a password someone has changed.
"""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Create the superuser 'admin' if it does not exist (password from DEMO_ADMIN_PASSWORD or generated)."
    )

    def handle(self, *args, **options):
        user_model = get_user_model()
        if user_model.objects.filter(**{user_model.USERNAME_FIELD: USERNAME}).exists():
            self.stdout.write(f"Superuser '{USERNAME}' already exists; left unchanged.")
            return
        password = os.environ.get("DEMO_ADMIN_PASSWORD")
        generated = not password
        if not generated:
            try:
                validate_password(password, user_model(username=USERNAME, email="admin@example.com"))
            except ValidationError as error:
                raise CommandError(f"DEMO_ADMIN_PASSWORD is too weak: {' '.join(error.messages)}") from None
        if generated:
            password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(USERNAME, "admin@example.com", password)
        if generated:
            self.stdout.write(
                self.style.SUCCESS(f"Created superuser '{USERNAME}' with password: {password}")
                + "\n(shown only this once; set DEMO_ADMIN_PASSWORD to choose your own)"
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Created superuser '{USERNAME}' (password from DEMO_ADMIN_PASSWORD).")
            )
