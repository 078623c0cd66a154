"""Random identifiers a person may have to read aloud or type: no look-alike characters."""

import secrets

# No 0/O, 1/I/L: door staff type ticket codes, buyers read references over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# Sixteen characters of that alphabet, about 79 bits: too many to guess. The door refuses a
# typed code of any other length before it looks the code up.
TICKET_CODE_LENGTH = 16


def random_code(length):
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_order_reference():
    return f"JE-{random_code(8)}"


def new_ticket_code():
    return random_code(TICKET_CODE_LENGTH)


def new_secret_token():
    """The secret in buyer-facing URLs: knowing it is what lets someone see an order."""
    return secrets.token_urlsafe(24)
