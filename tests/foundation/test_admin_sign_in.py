"""Staff sign-in resists attack: failed sign-ins lock out, Finance and Privacy give a code from an
app, idle sessions end, passwords are long enough.

Lock-outs are counted in the database (django-axes' database handler), so every web process
sees the same count: the tests that move between two test clients (two browsers, two
addresses) prove what two gunicorn processes would see, since neither keeps anything in memory.
"""

import base64
import logging
import re
import time
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

from core import two_factor
from core.staff_sessions import LAST_ACTIVITY_KEY
from tests.factories import make_staff, signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "harbour-lights-2026"
ATTACKER = "198.51.100.23"
OFFICE = "192.0.2.10"
LOGIN = "/admin/login/"


def client_at(address) -> Client:
    return Client(REMOTE_ADDR=address)


def try_password(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def is_signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def is_lockout_page(response) -> bool:
    return response.status_code == 429 and "Sign-in paused" in response.content.decode()


@pytest.fixture
def finance():
    Group.objects.get_or_create(name="Finance")
    return make_staff("fiona.ledger", "access_admin", groups=("Finance",), password=PASSWORD)


def current_code(device, steps_ahead=0) -> str:
    """The code the user's phone shows (`steps_ahead` 30-second steps later): RFC 6238 from the
    device's secret, as an authenticator app computes it."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6, drift=steps_ahead):06d}"


def secret_on_page(html) -> bytes:
    typed = re.search(r'data-secret="([A-Z2-7 ]+)"', html).group(1)
    return base64.b32decode(typed.replace(" ", ""))


def code_for_secret(key: bytes, steps_ahead=0) -> str:
    return f"{totp(key, step=30, t0=0, digits=6, drift=steps_ahead):06d}"


# --- Throttling -------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_even_from_another_address():
    make_staff("boxoffice", "access_admin", password=PASSWORD)
    attacker = client_at(ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert try_password(attacker, "boxoffice", "guess").status_code == 200  # the form again
    locked = try_password(attacker, "boxoffice", "guess")
    assert is_lockout_page(locked)
    assert f"{settings.ADMIN_LOGIN_COOLOFF_MINUTES} minutes" in locked.content.decode()

    # The real owner, in another browser at another address: the right password is refused too.
    owner = client_at(OFFICE)
    assert is_lockout_page(try_password(owner, "boxoffice", PASSWORD))
    assert not is_signed_in(owner)


def test_one_address_trying_many_accounts_is_locked_but_not_the_accounts():
    make_staff("boxoffice", "access_admin", password=PASSWORD)
    attacker = client_at(ATTACKER)
    responses = [try_password(attacker, f"user{n}", "guess") for n in range(settings.AXES_FAILURE_LIMIT)]
    assert is_lockout_page(responses[-1])
    assert is_lockout_page(try_password(attacker, "boxoffice", PASSWORD))
    assert not is_signed_in(attacker)

    office = client_at(OFFICE)
    assert try_password(office, "boxoffice", PASSWORD).status_code == 302
    assert is_signed_in(office)


def test_the_cool_off_ends_the_lock():
    make_staff("boxoffice", "access_admin", password=PASSWORD)
    attacker = client_at(ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(attacker, "boxoffice", "guess")
    # The failures happened longer ago than the cool-off (the stored time set back, not mocked).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - settings.AXES_COOLOFF_TIME
    )
    office = client_at(OFFICE)
    assert try_password(office, "boxoffice", PASSWORD).status_code == 302


def test_a_superuser_unlocks_an_account_from_the_settings_menu_and_it_is_audited():
    make_staff("boxoffice", "access_admin", password=PASSWORD)
    attacker = client_at(ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(attacker, "boxoffice", "guess")
    owner = client_at(OFFICE)
    assert is_lockout_page(try_password(owner, "boxoffice", PASSWORD))

    boss = make_staff("boss", superuser=True)
    admin = signed_in(boss)
    listing = admin.get(reverse("sign_in_locks")).content.decode()
    assert "boxoffice" in listing and ATTACKER in listing
    assert "Locked-out sign-ins" in admin.get("/admin/").content.decode()  # the Settings menu

    response = admin.post(reverse("sign_in_locks"), {"kind": "account", "value": "boxoffice"})
    assert response.status_code == 302
    after = admin.get(response["Location"]).content.decode()
    assert "Unlocked the account boxoffice" in after and "<b>boxoffice</b>" not in after
    assert f"<b>{ATTACKER}</b>" in after  # the attacker's address stays paused
    entry = ModelLogEntry.objects.get(action="core.sign_in_unlock")
    assert entry.user == boss

    assert try_password(owner, "boxoffice", PASSWORD).status_code == 302
    assert is_signed_in(owner)
    assert is_lockout_page(try_password(attacker, "boxoffice", PASSWORD))


def test_only_superusers_see_the_locked_out_sign_ins():
    editor = make_staff("ed", "access_admin", groups=("Editors",))
    client = signed_in(editor)
    make_staff("boxoffice", "access_admin", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(client_at(ATTACKER), "boxoffice", "guess")
    # Wagtail answers a refused admin page by sending the user to the dashboard with a message.
    listing = client.get(reverse("sign_in_locks"))
    assert listing.status_code == 302 and listing["Location"] == "/admin/"
    client.post(reverse("sign_in_locks"), {"kind": "account", "value": "boxoffice"})
    assert AccessAttempt.objects.filter(username="boxoffice").exists()
    assert "Locked-out sign-ins" not in client.get("/admin/").content.decode()
    anonymous = Client()
    assert anonymous.get(reverse("sign_in_locks")).status_code == 302


@pytest.mark.parametrize(
    "data", [{}, {"kind": "everyone", "value": "x"}, {"kind": "account", "value": "x" * 10_000}]
)
def test_a_bad_unlock_request_changes_nothing(data):
    make_staff("boxoffice", "access_admin", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(client_at(ATTACKER), "boxoffice", "guess")
    admin = signed_in(make_staff("boss", superuser=True))
    assert admin.post(reverse("sign_in_locks"), data).status_code == 400
    assert AccessAttempt.objects.filter(username="boxoffice").exists()


def test_axes_reset_username_lifts_the_lock_from_a_terminal():
    make_staff("boxoffice", "access_admin", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(client_at(ATTACKER), "boxoffice", "guess")
    call_command("axes_reset_username", "boxoffice", stdout=StringIO())
    assert try_password(client_at(OFFICE), "boxoffice", PASSWORD).status_code == 302


def test_no_log_record_names_the_account_tried_or_the_address(caplog, finance):
    caplog.set_level(logging.DEBUG)
    attacker = client_at(ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        try_password(attacker, "secret-username", "guess")
    # Wrong two-factor codes are failed sign-ins too.
    TOTPDevice.objects.create(user=finance, name="app", confirmed=True)
    office = client_at("192.0.2.99")
    try_password(office, "fiona.ledger", PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        office.post(reverse("two_factor_verify"), {"code": "000000"})
    call_command("axes_reset_username", "secret-username", stdout=StringIO())

    assert caplog.records, "nothing was logged: the test would prove nothing"
    for record in caplog.records:
        text = f"{record.getMessage()} {vars(record)}"
        for secret in ("secret-username", ATTACKER, "fiona.ledger", "192.0.2.99"):
            assert secret not in text, record.getMessage()


# --- Two-factor sign-in -----------------------------------------------------------------------


def admin_urls_without_arguments():
    """Every admin URL that takes no argument, as the URLconf has them."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and not re.search(r"[<(\[?*+\\]", route):
                yield "/" + route.lstrip("^").rstrip("$")

    return sorted({url for url in walk(get_resolver().url_patterns, "") if url.startswith("/admin/")})


def test_a_finance_member_without_an_app_can_reach_nothing_but_the_setup(finance):
    client = Client()
    client.force_login(finance)  # the password, and nothing more
    urls = [url for url in admin_urls_without_arguments() if not url.startswith(two_factor.OPEN_PATHS)]
    assert len(urls) > 30
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/2fa/setup/?next="), url
        assert client.post(url, {}).status_code == 302, url


def test_setting_up_with_a_real_code_opens_the_admin_and_the_next_sign_in_asks_for_a_code(finance):
    browser = client_at(OFFICE)
    assert try_password(browser, "fiona.ledger", PASSWORD).status_code == 302
    setup = browser.get("/admin/")
    assert setup["Location"].startswith(reverse("two_factor_setup"))
    page = browser.get(setup["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'src="data:image/png;base64,' in html
    key = secret_on_page(html)

    done = browser.post(reverse("two_factor_setup"), {"code": code_for_secret(key), "next": "/admin/pages/"})
    assert done.status_code == 302 and done["Location"] == "/admin/pages/"
    assert is_signed_in(browser)
    device = TOTPDevice.objects.get(user=finance)
    assert device.confirmed and device.bin_key == key
    assert ModelLogEntry.objects.filter(action=two_factor.LOG_SET_UP, object_id=str(finance.pk)).exists()

    # Another day: the password alone opens nothing; the app's code does.
    later = client_at(OFFICE)
    assert try_password(later, "fiona.ledger", PASSWORD).status_code == 302
    asked = later.get("/admin/reports/")
    assert asked.status_code == 302 and asked["Location"].startswith(reverse("two_factor_verify"))
    assert later.get(asked["Location"]).status_code == 200
    # The code the phone shows at the next step (the one just used is never accepted twice).
    answer = later.post(
        reverse("two_factor_verify"), {"code": code_for_secret(key, 1), "next": "/admin/reports/"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/admin/reports/"
    assert is_signed_in(later)


def test_a_used_code_is_not_accepted_again(finance):
    device = TOTPDevice.objects.create(user=finance, name="app", confirmed=True)
    first, second = Client(), Client()
    for client in (first, second):
        client.force_login(finance)
    code = current_code(device)
    assert first.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    assert second.post(reverse("two_factor_verify"), {"code": code}).status_code == 400
    assert not is_signed_in(second)


def test_wrong_codes_are_refused_slowed_down_and_lock_the_sign_in(finance, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # each wait is long enough that the test never outruns it
    device = TOTPDevice.objects.create(user=finance, name="app", confirmed=True)
    client = client_at(OFFICE)
    assert try_password(client, "fiona.ledger", PASSWORD).status_code == 302

    wrong = client.post(reverse("two_factor_verify"), {"code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    # Straight after a wrong code even the right one waits.
    throttled = client.post(reverse("two_factor_verify"), {"code": current_code(device)})
    assert throttled.status_code == 429 and "wait a few seconds" in throttled.content.decode()
    assert not is_signed_in(client)

    # Every wrong or early code is a failed sign-in: at the limit the session is signed out.
    for _ in range(settings.AXES_FAILURE_LIMIT - 3):
        client.post(reverse("two_factor_verify"), {"code": "123456"})
    locked = client.post(reverse("two_factor_verify"), {"code": "654321"})
    assert is_lockout_page(locked)
    assert client.get("/admin/")["Location"].startswith(LOGIN)
    # And the password no longer opens a session either.
    assert is_lockout_page(try_password(client_at(OFFICE), "fiona.ledger", PASSWORD))


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "1" * 5000])
def test_a_code_that_is_not_six_digits_gets_the_form_again(finance, code):
    TOTPDevice.objects.create(user=finance, name="app", confirmed=True)
    client = Client()
    client.force_login(finance)
    response = client.post(reverse("two_factor_verify"), {"code": code})
    assert response.status_code == 400
    assert not is_signed_in(client)


def test_a_password_alone_cannot_replace_the_app(finance):
    device = TOTPDevice.objects.create(user=finance, name="app", confirmed=True)
    client = Client()
    client.force_login(finance)
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_verify"))
    assert list(TOTPDevice.objects.filter(user=finance)) == [device]


def test_an_editor_is_not_made_to_set_up_an_app_but_may():
    editor = make_staff("ed", "access_admin", groups=("Editors",))
    client = Client()
    client.force_login(editor)
    assert is_signed_in(client)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200 and "Set up two-factor sign-in" in page.content.decode()
    # Looking writes nothing, and a reload shows the same key (the app entry just scanned).
    assert not TOTPDevice.objects.exists()
    assert secret_on_page(client.get(reverse("two_factor_setup")).content.decode()) == secret_on_page(
        page.content.decode()
    )


def test_a_privacy_member_must_set_up_an_app_too():
    privacy = make_staff("priv", groups=("Privacy",))
    client = Client()
    client.force_login(privacy)
    assert client.get("/admin/")["Location"].startswith(reverse("two_factor_setup"))


def test_superusers_must_set_up_an_app_when_the_setting_says_so(settings):
    boss = make_staff("boss", superuser=True)
    client = Client()
    client.force_login(boss)
    settings.ADMIN_2FA_FOR_SUPERUSERS = False
    assert is_signed_in(client)
    settings.ADMIN_2FA_FOR_SUPERUSERS = True
    assert client.get("/admin/")["Location"].startswith(reverse("two_factor_setup"))


def test_reset_two_factor_lets_a_user_with_a_lost_phone_set_up_a_new_app(finance):
    TOTPDevice.objects.create(user=finance, name="app", confirmed=True)
    client = signed_in(finance)
    assert is_signed_in(client)
    out = StringIO()
    call_command("reset_two_factor", "fiona.ledger", stdout=out)
    assert "Removed 1" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=finance).exists()
    assert ModelLogEntry.objects.filter(action=two_factor.LOG_RESET, object_id=str(finance.pk)).exists()
    # The session that gave the old app's code is no longer verified: set up a new app.
    assert client.get("/admin/")["Location"].startswith(reverse("two_factor_setup"))
    with pytest.raises(CommandError, match="No user"):
        call_command("reset_two_factor", "nobody", stdout=StringIO())


# --- Sessions ---------------------------------------------------------------------------------


def set_last_activity(client, seconds_ago):
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - seconds_ago
    session.save()


def test_a_session_idle_past_the_limit_is_signed_out_at_its_next_request():
    client = signed_in(make_staff("ed", "access_admin", groups=("Editors",)))
    assert is_signed_in(client)
    set_last_activity(client, settings.ADMIN_SESSION_IDLE_MINUTES * 60 + 60)
    response = client.get("/admin/pages/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not is_signed_in(client)


def test_a_session_used_within_the_limit_stays_signed_in():
    client = signed_in(make_staff("ed", "access_admin", groups=("Editors",)))
    set_last_activity(client, settings.ADMIN_SESSION_IDLE_MINUTES * 60 - 60)
    assert is_signed_in(client)
    assert time.time() - client.session[LAST_ACTIVITY_KEY] < 60  # the request counted as activity


def test_the_session_cookie_ends_with_the_browser_even_when_remember_me_is_sent():
    make_staff("ed", "access_admin", groups=("Editors",), password=PASSWORD)
    client = Client()
    page = client.get(LOGIN).content.decode()
    assert 'name="remember"' not in page
    response = client.post(LOGIN, {"username": "ed", "password": PASSWORD, "remember": "on"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value and cookie["max-age"] == "" and cookie["expires"] == ""


# --- Passwords --------------------------------------------------------------------------------


def test_staff_passwords_need_twelve_characters_and_no_common_or_numeric_ones():
    for weak in ("Short-pw-1", "password1234", "123456789012345"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("harbour-lights-2026")


def test_the_demo_admin_refuses_a_weak_demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "admin")
    with pytest.raises(CommandError, match="DEMO_ADMIN_PASSWORD"):
        call_command("ensure_demo_admin", stdout=StringIO())


def test_a_finance_member_who_will_not_set_up_an_app_can_sign_out(finance):
    client = Client()
    client.force_login(finance)
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert 'action="/admin/logout/"' in page
    assert client.post("/admin/logout/").status_code == 302
    assert client.get("/admin/")["Location"].startswith(LOGIN)
