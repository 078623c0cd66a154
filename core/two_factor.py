"""Two-factor sign-in for staff: who must use it, setting up an authenticator app, the code.

A code from an authenticator app (TOTP, django-otp) comes after the password. Whoever has
confirmed an app is asked for its code at every sign-in; members of ADMIN_2FA_REQUIRED_GROUPS
(Finance and Privacy: refunds and buyers' personal data) and, with ADMIN_2FA_FOR_SUPERUSERS,
superusers must set one up first and can reach nothing else in the admin until they have.
Everyone else may set one up from their account menu.

Wrong codes are slowed down twice over: django-otp makes each device wait 1, 2, 4, 8 … seconds
after successive wrong codes, and every wrong code counts as a failed sign-in of the account
and the address in django-axes (core/sign_in_lockouts.py), so guessing codes locks the sign-in
exactly as guessing passwords does.

A lost phone is recovered by a superuser: `manage.py reset_two_factor USERNAME` removes the
user's devices, and the next sign-in sets up a new one.
"""

import base64
import io
import re
from urllib.parse import quote

import django_otp
import qrcode
from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from wagtail.log_actions import log

# Wagtail audit-log actions (Reports → Site history), on the user concerned.
LOG_SET_UP = "core.two_factor_set_up"
LOG_RESET = "core.two_factor_reset"
# Where the secret of an app being set up waits for its first code.
PENDING_KEY_SESSION_KEY = "two_factor_pending_key"
_HEX_KEY = re.compile(r"[0-9a-f]{40}")
# The name a device is given; staff see it nowhere but the authenticator app's own label.
DEVICE_NAME = "Authenticator app"
# Paths of the admin a signed-in user who still owes a code may reach: the two-factor pages,
# signing out, and what those pages load (the translations and the icon sprite, which the page
# would otherwise fetch as a redirect to itself and draw inside its own icons).
OPEN_PATHS = ("/admin/2fa/", "/admin/logout/", "/admin/login/", "/admin/jsi18n/", "/admin/sprite/")
_GUARDED_PREFIXES = ("/admin/", "/django-admin/")


def is_required(user) -> bool:
    """Whether `user` may not use the admin without a confirmed authenticator app."""
    if not user.is_authenticated:
        return False
    if user.is_superuser and settings.ADMIN_2FA_FOR_SUPERUSERS:
        return True
    return user.groups.filter(name__in=settings.ADMIN_2FA_REQUIRED_GROUPS).exists()


def confirmed_device(user) -> TOTPDevice | None:
    """The authenticator app `user` signs in with, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def pending_device(request) -> TOTPDevice:
    """The app being set up by this session's user. Its secret is kept in the session until a
    code confirms it: reloading the setup page keeps the entry just scanned, and looking at the
    page writes nothing. The device is stored at the first code typed (its wrong-code count
    must survive between tries)."""
    key = request.session.get(PENDING_KEY_SESSION_KEY)
    if not (isinstance(key, str) and _HEX_KEY.fullmatch(key)):
        key = request.session[PENDING_KEY_SESSION_KEY] = default_key()
    stored = TOTPDevice.objects.filter(user=request.user, confirmed=False, key=key).first()
    # By id: request.user is a lazy wrapper, which Wagtail's audit log would not recognise.
    return stored or TOTPDevice(user_id=request.user.pk, name=DEVICE_NAME, key=key, confirmed=False)


def secret(device: TOTPDevice) -> str:
    """The device's secret as an authenticator app asks for it when typed: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def setup_qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// link as a QR code, a PNG data URI (the admin's CSP allows data: images)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    qr.add_data(device.config_url)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return "data:image/png;base64," + quote(base64.b64encode(buffer.getvalue()).decode())


def code_is_throttled(device: TOTPDevice) -> bool:
    """True while django-otp makes the device wait after wrong codes."""
    allowed, _ = device.verify_is_allowed()
    return not allowed


def check_code(device: TOTPDevice, code: str) -> bool:
    """Whether `code` is the device's current code (each code is accepted once, as it should).

    Anything but six digits is wrong without being looked at.
    """
    code = (code or "").strip().replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        device.throttle_increment()
        return False
    return device.verify_token(code)


@transaction.atomic
def confirm_setup(request, device: TOTPDevice) -> None:
    """Make `device` the user's one authenticator app, and this session verified by it."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save()
    request.session.pop(PENDING_KEY_SESSION_KEY, None)
    django_otp.login(request, device)
    log(device.user, LOG_SET_UP, user=device.user, title=device.user.get_username())


def mark_verified(request, device: TOTPDevice) -> None:
    """This session has given the device's code."""
    django_otp.login(request, device)


@transaction.atomic
def reset(user, *, by=None) -> int:
    """Remove every authenticator app of `user` (a lost phone); the number removed. Their next
    sign-in sets up a new one if they must have one."""
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    if count:
        log(user, LOG_RESET, user=by, title=user.get_username())
    return count


def _owes_a_code(user) -> str | None:
    """ "verify" when the session must still give a code, "setup" when an app must be set up first."""
    if user.is_verified():
        return None
    if confirmed_device(user) is not None:
        return "verify"
    if is_required(user):
        return "setup"
    return None


class TwoFactorMiddleware:
    """Close the admin to a signed-in user who still owes a code, or owes an app.

    Below django-otp's OTPMiddleware, which tells whether this session gave a code. Every other
    admin URL (and Django's admin, if it is ever mounted) redirects to the code page or the
    setup page, with the address they asked for to come back to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(_GUARDED_PREFIXES) and not path.startswith(OPEN_PATHS):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and (step := _owes_a_code(user)):
                target = reverse("two_factor_verify" if step == "verify" else "two_factor_setup")
                return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)
