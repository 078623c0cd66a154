"""The QR payload: the ticket code signed with HMAC-SHA256, its own salt, and key rotation."""

import base64
import hashlib
import hmac

import pytest
from django.core import signing

from tests.delivery.helpers import decode_png, decode_svg
from ticketing import tickets
from ticketing.codes import new_ticket_code

CODE = "ABCDEFGHJKMNPQRS"


def test_payload_is_the_code_and_its_sha256_signature():
    payload = tickets.sign_ticket_code(CODE)
    code, signature = payload.split(":")
    assert code == CODE
    # 32 bytes of HMAC-SHA256 in unpadded base64url: 43 characters (MD5 would give 22, SHA-1 27).
    assert len(signature) == 43
    assert tickets.verify_payload(payload) == CODE


def test_the_signature_is_django_signings_hmac_sha256_under_our_salt(settings):
    payload = tickets.sign_ticket_code(CODE)
    key = hashlib.sha256((tickets.QR_SALT + "signer" + settings.SECRET_KEY).encode()).digest()
    expected = base64.urlsafe_b64encode(hmac.new(key, CODE.encode(), hashlib.sha256).digest()).rstrip(b"=")
    assert payload.split(":")[1] == expected.decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: "Z" + p[1:],  # another ticket's code under this signature
        lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"),  # a changed signature
        lambda p: p.split(":")[0],  # the signature dropped
        lambda p: p.split(":")[0] + ":",  # an empty signature
        lambda p: p.lower(),
    ],
)
def test_a_tampered_payload_is_refused(tamper):
    with pytest.raises(signing.BadSignature):
        tickets.verify_payload(tamper(tickets.sign_ticket_code(CODE)))


def test_a_signature_made_for_something_else_on_the_site_is_refused():
    with pytest.raises(signing.BadSignature):
        tickets.verify_payload(signing.Signer(algorithm="sha256").sign(CODE))
    with pytest.raises(signing.BadSignature):
        tickets.verify_payload(signing.Signer(salt="another.purpose", algorithm="sha256").sign(CODE))


def test_rotating_the_secret_key_keeps_issued_tickets_valid(settings):
    settings.SECRET_KEY = "the-old-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = []
    issued = tickets.sign_ticket_code(CODE)

    settings.SECRET_KEY = "the-new-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-" + "x" * 40]
    assert tickets.verify_payload(issued) == CODE
    # New tickets are signed with the new key, and verify too.
    fresh = tickets.sign_ticket_code(CODE)
    assert fresh != issued and tickets.verify_payload(fresh) == CODE

    # Once the old key is dropped from the fallbacks, its signatures are refused.
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(signing.BadSignature):
        tickets.verify_payload(issued)
    assert tickets.verify_payload(fresh) == CODE


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ABCD-EFGH-JKMN-PQRS", CODE),
        ("abcd-efgh-jkmn-pqrs", CODE),
        ("abcdefghjkmnpqrs", CODE),
        ("  ABCD EFGH JKMN PQRS \n", CODE),
        ("ABCD-EFGH-JKMN-PQR", None),  # too short
        ("ABCD-EFGH-JKMN-PQRST", None),  # too long
        ("ABCD-EFGH-JKMN-PQR0", None),  # 0 is not in the alphabet (nor O, 1, I, L)
        ("ABCD-EFGH-JKMN-PQRO", None),
        ("", None),
    ],
)
def test_typed_codes_are_normalised(typed, expected):
    assert tickets.normalise_typed_code(typed) == expected


def test_png_and_svg_qr_codes_decode_to_the_signed_payload():
    code = new_ticket_code()
    payload = tickets.sign_ticket_code(code)
    assert decode_png(tickets.qr_png(payload)) == payload
    svg = tickets.qr_svg(payload, label="QR code for ticket X")
    assert decode_svg(svg) == payload
    assert tickets.verify_payload(decode_svg(svg)) == code


def test_svg_is_inline_markup_without_styles_or_scripts():
    svg = str(tickets.qr_svg(tickets.sign_ticket_code(CODE), label='A "quoted" <label>'))
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "style" not in svg and "<script" not in svg and "<?xml" not in svg
    assert 'aria-label="A &quot;quoted&quot; &lt;label&gt;"' in svg
    assert len(svg) < 5000  # qrcode's own SVG writer: about 9 KB
