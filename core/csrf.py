"""A cheaper `get_token` for pages served from the cache.

Django's `get_token` draws each random character of a CSRF token with a call to os.urandom:
64 calls to mint and mask a new visitor's secret, which was most of the cost of a page served
from the cache. This draws the same alphabet from one urandom call per string (rejection
sampling, so every character is equally likely) and masks the secret exactly as Django's
`_mask_cipher_secret` does, so CsrfViewMiddleware accepts the token unchanged; the tests
prove it by posting such tokens through the real middleware.
"""

import os

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_CHARS = CSRF_ALLOWED_CHARS
_INDEX = {char: index for index, char in enumerate(_CHARS)}
_BASE = len(_CHARS)
# Bytes at or above this would make the first characters likelier than the rest: dropped.
_UNBIASED_BELOW = 256 - 256 % _BASE
_TO_CHAR = bytes(ord(_CHARS[byte % _BASE]) for byte in range(256))
_BIASED = bytes(range(_UNBIASED_BELOW, 256))


def random_chars(length):
    chars = b""
    while len(chars) < length:
        chars += os.urandom(length + 8).translate(_TO_CHAR, _BIASED)
    return chars[:length].decode("ascii")


def get_token(request):
    """Like django.middleware.csrf.get_token: a fresh masked token, the secret minted if new."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = random_chars(CSRF_SECRET_LENGTH)
        request.META["CSRF_COOKIE"] = secret
    # As Django does: send the cookie back, so its expiry is renewed.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = random_chars(CSRF_SECRET_LENGTH)
    cipher = "".join(_CHARS[(_INDEX[s] + _INDEX[m]) % _BASE] for s, m in zip(secret, mask, strict=True))
    return mask + cipher
