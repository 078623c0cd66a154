"""A `db_worker` sending through the real Mailgun backend (django-anymail), at an address the
test chooses (`MAILGUN_API_URL`): a local server that plays the provider (test_email_outage.py)."""

import os

from tests.worker_settings import *  # noqa: F403

EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
ANYMAIL = {
    "MAILGUN_API_KEY": "key-for-the-local-stand-in",
    "MAILGUN_SENDER_DOMAIN": "mg.example.org",
    "MAILGUN_API_URL": os.environ["MAILGUN_API_URL"],
}
