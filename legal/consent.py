"""What a visitor has agreed to in the cookie banner: the one module that reads and writes the
consent cookie, and so the one that decides whether the banner shows and the analytics runs.

The cookie holds the answer and the Cookie Policy version it was given for,
`<answer>:<policy version>`:

* `ok` — the notice was read and dismissed (while the site sets only necessary cookies);
* `analytics` — "Accept analytics";
* `necessary` — "Reject non-essential".

It records a choice, so it is itself strictly necessary, and it need not be signed: a visitor
who forges it only forges their own consent. Anything else in it (garbage, an old format, a
policy version that is no longer the current one) counts as no answer, so the banner asks
again. Only `analytics`, for the current version, while analytics is on, lets the snippet run.

The page cache (core.page_cache) keeps one entry per page for each of three states a visitor
can be in, `page_variant`: "ask" (the banner shows), "quiet" (answered, no analytics) and
"analytics" (answered yes). Nothing else a visitor puts in the cookie makes another entry.
"""

import time
from dataclasses import dataclass

from django.core.exceptions import DisallowedHost
from django.db.models.signals import post_save

from core import site_furniture
from legal.models import CookieConsentSettings

CONSENT_COOKIE = "cookie_consent"
# A year: long enough not to nag, short enough that consent is asked for again now and then.
CONSENT_MAX_AGE = 365 * 24 * 3600

NOTICE_SEEN = "ok"
ACCEPTED = "analytics"
REJECTED = "necessary"
ANSWERS = (NOTICE_SEEN, ACCEPTED, REJECTED)
# Longer than any answer and version label put together (core.models.VersionedPage: 20).
_MAX_COOKIE_LENGTH = 64

ASK, QUIET, ANALYTICS = "ask", "quiet", "analytics"


@dataclass(frozen=True)
class Consent:
    """One visitor's consent, read against the site's current banner settings."""

    settings: CookieConsentSettings
    answer: str | None  # their answer for the current policy version, or None
    banner: str | None  # "notice", "choice", or None when nothing is to be shown
    analytics: bool  # whether the analytics snippet may run for them

    @property
    def page_variant(self) -> str:
        if self.banner:
            return ASK
        return ANALYTICS if self.analytics else QUIET


def read_answer(value: str | None, policy_version: str) -> str | None:
    """The answer a consent cookie holds for `policy_version`; None for anything else."""
    if not value or len(value) > _MAX_COOKIE_LENGTH:
        return None
    answer, separator, version = value.partition(":")
    if not separator or answer not in ANSWERS or version != policy_version:
        return None
    return answer


def decide(cookie_value: str | None, banner: CookieConsentSettings) -> Consent:
    """What this visitor sees: the notice, the choice, or nothing; and whether analytics runs."""
    answer = read_answer(cookie_value, banner.policy_version)
    if banner.asks_for_consent:
        # Dismissing the notice, before analytics was on, was no answer to this question.
        if answer in (ACCEPTED, REJECTED):
            return Consent(banner, answer, None, answer == ACCEPTED)
        return Consent(banner, None, "choice", False)
    shows_notice = banner.enabled and answer is None
    return Consent(banner, answer, "notice" if shows_notice else None, False)


def for_request(request) -> Consent:
    """This visitor's consent, from the site's current settings (read once per request)."""
    consent = getattr(request, "_cookie_consent", None)
    if consent is None:
        banner = _settings_for(request)
        _remember_settings(request, banner)
        consent = decide(request.COOKIES.get(CONSENT_COOKIE), banner)
        request._cookie_consent = consent
    return consent


def accepts(answer: str) -> bool:
    """Whether `answer` is one the banner's buttons can send."""
    return answer in ANSWERS


def remember(response, request, answer: str) -> None:
    """Store the visitor's answer, for the current Cookie Policy version, on `response`."""
    banner = _settings_for(request)
    response.set_cookie(
        CONSENT_COOKIE,
        f"{answer}:{banner.policy_version}",
        max_age=CONSENT_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,  # no script of ours reads it; the server renders the banner
    )


# Where Wagtail's own `CookieConsentSettings.for_request` keeps the row on the request: the two
# agree, whichever asks first.
_REQUEST_ATTRIBUTE = CookieConsentSettings.get_cache_attr_name()


def _settings_for(request) -> CookieConsentSettings:
    """The banner settings of the request's site, read once per request.

    Every page draws the banner, so the row is kept in the shared cache
    (core.site_furniture.site_setting) until an editor saves it, and on the request, so a page
    rendered after the page cache was asked reads the same settings.
    """
    banner = getattr(request, _REQUEST_ATTRIBUTE, None)
    if banner is not None:
        return banner
    if _host(request) is None:
        return CookieConsentSettings()  # the site's 400 page, for a host we do not serve
    site = site_furniture.site_for_request(request)
    if site is None:  # a host no Site answers: the defaults (a notice, no analytics)
        return CookieConsentSettings()
    banner = site_furniture.site_setting(CookieConsentSettings, site)
    setattr(request, _REQUEST_ATTRIBUTE, banner)
    return banner


# --- For the page cache -----------------------------------------------------------------------
# A cache hit must cost no database query, so which entry answers a visitor is worked out from
# the banner settings this process read at most SETTINGS_SECONDS ago (the page cache keeps its
# own copies of entries that long too). A page rendered always uses the settings read for its
# own request, and is stored under the variant it showed.

SETTINGS_SECONDS = 1.0
_recent_settings = {}  # host -> (valid until, CookieConsentSettings)
_RECENT_MAX = 100


def page_variant(request) -> str:
    """Which of the page cache's entries this visitor gets: "ask", "quiet" or "analytics"."""
    consent = getattr(request, "_cookie_consent", None)
    if consent is None:
        consent = decide(request.COOKIES.get(CONSENT_COOKIE), _recent_settings_for(request))
    return consent.page_variant


def _host(request) -> str | None:
    try:
        return request.get_host()
    except DisallowedHost:
        return None


def _recent_settings_for(request) -> CookieConsentSettings:
    recent = _recent_settings.get(_host(request))
    if recent is not None and recent[0] > time.monotonic():
        return recent[1]
    banner = _settings_for(request)
    _remember_settings(request, banner)
    return banner


def _remember_settings(request, banner):
    host = _host(request)
    if host is None:
        return
    if len(_recent_settings) >= _RECENT_MAX:
        _recent_settings.clear()
    _recent_settings[host] = (time.monotonic() + SETTINGS_SECONDS, banner)


def forget_recent_settings(**kwargs):
    """Read the banner settings afresh (they were saved, or the page cache forgot its copies)."""
    _recent_settings.clear()


def listen_for_banner_changes():
    """Saving the settings reaches the next request: in the shared cache, and in this process."""
    site_furniture.keep_site_setting("legal.CookieConsentSettings")
    post_save.connect(forget_recent_settings, sender=CookieConsentSettings, dispatch_uid="consent-saved")
