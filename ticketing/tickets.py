"""What a ticket carries: its signed QR payload, and that payload drawn as a QR code.

The payload is the ticket's `code` signed with HMAC-SHA256 by `django.core.signing.Signer`
under a salt of its own (`QR_SALT`):

* the salt keeps signatures made for anything else on the site (sessions, password resets,
  other signed values) from ever passing as a ticket, and ticket signatures from passing as
  anything else;
* the Signer also accepts signatures made with a key in `SECRET_KEY_FALLBACKS`, so rotating
  `SECRET_KEY` keeps the tickets already in buyers' inboxes valid;
* the signature lets the door tell a forged or damaged QR code ("forged") from a typo in a
  typed code ("unknown") before touching the database.

The code on its own also admits (door staff type it when a phone screen is cracked): it is 16
random characters from a 31-letter alphabet, about 79 bits, so it cannot be guessed either.

QR codes are drawn as SVG for web pages (inline markup: crisp at any size, prints sharply,
needs no extra request and no inline style, which the Content-Security-Policy forbids) and as
PNG for e-mail (mail clients do not show SVG).
"""

import io
from dataclasses import dataclass

import qrcode
from django.core import signing
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from PIL import Image

from ticketing.codes import ALPHABET, TICKET_CODE_LENGTH

QR_SALT = "ticketing.ticket-qr"
QR_ALGORITHM = "sha256"
# M (15% of the symbol can be lost) survives a scuffed print-out or a scratched phone screen
# and keeps the symbol small (version 4, 33 x 33 modules, for our ~60-character payload).
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules
# One fixed mask instead of qrcode's search: it tries all eight masks and scores each symbol,
# most of a QR code's CPU. Any mask gives a valid symbol every reader decodes; the search only
# picks the one with the fewest awkward patterns, which a phone camera or door scanner does not need.
QR_MASK_PATTERN = 0

BadSignature = signing.BadSignature


def _signer():
    # Built per call: the key and its fallbacks are read from settings each time, so a
    # rotation (or a test overriding them) is seen at once.
    return signing.Signer(salt=QR_SALT, algorithm=QR_ALGORITHM)


def sign_ticket_code(code: str) -> str:
    """The QR payload for a ticket code: `<code>:<HMAC-SHA256 signature, base64url>`."""
    return _signer().sign(code)


def verify_payload(payload: str) -> str:
    """The ticket code a QR payload signs; raises `BadSignature` if it was not signed by us."""
    return _signer().unsign(payload)


def looks_like_signed_payload(text: str) -> bool:
    return ":" in text


def normalise_typed_code(text: str) -> str | None:
    """A code as typed at the door ("abcd-efgh jkmn-pqrs") in its stored form, or None.

    Dashes and spaces are ignored and case does not matter; anything that cannot be a ticket
    code (wrong length, a letter outside the alphabet) gives None.
    """
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != TICKET_CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def _qr(payload: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(
        error_correction=QR_ERROR_CORRECTION, border=QR_BORDER, box_size=1, mask_pattern=QR_MASK_PATTERN
    )
    qr.add_data(payload)
    qr.make(fit=True)
    return qr


def qr_svg(payload: str, *, label: str = "Ticket QR code") -> SafeString:
    """The QR code as inline SVG markup: one path, one unit per module, scaled by CSS.

    Each row's dark modules are merged into runs, which keeps a ticket's SVG near 4 KB
    (qrcode's own SVG writer draws every module separately: about 9 KB).
    """
    matrix = _qr(payload).get_matrix()
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return format_html(
        '<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        'width="{size}" height="{size}" role="img" aria-label="{label}" shape-rendering="crispEdges">'
        '<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{path}"/></svg>',
        size=size,
        label=label,
        path=mark_safe("".join(runs)),  # noqa: S308 - digits and path letters we wrote above
    )


_MODULE_TO_GREY = bytes([255, 0]) + bytes(254)


def qr_png(payload: str, *, module_pixels: int = 8) -> bytes:
    """The QR code as a black-and-white PNG (about 500 bytes), `module_pixels` pixels per module.

    Drawn from the module matrix in one step (one pixel per module, scaled up) rather than by
    qrcode's PIL writer, which draws each dark module as its own rectangle; the image is the same.
    Compressed at zlib's default level: the best level (`optimize`) made the PNG a tenth smaller
    (450 bytes, not 500) for four times the CPU: more than half of what drawing the QR code cost.
    """
    matrix = _qr(payload).get_matrix()  # quiet zone included
    size = len(matrix)
    pixels = b"".join(bytes(row) for row in matrix).translate(_MODULE_TO_GREY)  # dark: 0, light: 255
    image = Image.frombytes("L", (size, size), pixels).convert("1")
    image = image.resize((size * module_pixels, size * module_pixels), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class TicketCard:
    """One ticket as the buyer's ticket page shows it."""

    ticket: object
    qr_svg: SafeString | None  # None when the ticket is void: nothing to scan

    @property
    def is_void(self):
        return self.ticket.voided_at is not None

    @property
    def checked_in_local(self):
        at = self.ticket.checked_in_at
        return timezone.localtime(at) if at else None


def ticket_cards(order) -> list[TicketCard]:
    """The order's tickets for its ticket page: a QR code for each valid one, void ones marked."""
    cards = []
    for ticket in order.tickets.select_related("ticket_type").order_by("ticket_type__sort_order", "id"):
        svg = None
        if ticket.voided_at is None:
            svg = qr_svg(sign_ticket_code(ticket.code), label=f"QR code for ticket {ticket.display_code}")
        cards.append(TicketCard(ticket=ticket, qr_svg=svg))
    return cards
