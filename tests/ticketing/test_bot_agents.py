"""The checkout turns away automation by its own name, and never a person's phone or browser."""

import pytest
from django.urls import reverse

from tests.factories import make_event, make_event_page, ticket_types
from ticketing import fraud
from ticketing.models import Order

PEOPLE = {
    "cubot-android": (
        "Mozilla/5.0 (Linux; Android 10; CUBOT P40) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.144 Mobile Safari/537.36"
    ),
    "cubot-note": (
        "Mozilla/5.0 (Linux; Android 11; CUBOT_NOTE_20_PRO Build/RP1A.200720.011) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36"
    ),
    "samsung-internet": (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36"
    ),
    "iphone-safari": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1"
    ),
    "firefox-windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "chrome-mac": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36"
    ),
    "edge-windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"
    ),
}

AUTOMATION = {
    "curl": "curl/8.5.0",
    "wget": "Wget/1.21.4",
    "python-requests": "python-requests/2.32.3",
    "python-urllib": "Python-urllib/3.11",
    "httpx": "python-httpx/0.27.0",
    "aiohttp": "Python/3.11 aiohttp/3.9.5",
    "go": "Go-http-client/2.0",
    "java": "Java/17.0.11",
    "okhttp": "okhttp/4.12.0",
    "headless-chrome": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/126.0.0.0 Safari/537.36"
    ),
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "googlebot-smartphone": (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    ),
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "ahrefs": "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "baidu-spider": "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "empty": "",
    "blank": "   ",
}


@pytest.mark.parametrize("agent", PEOPLE.values(), ids=PEOPLE.keys())
def test_real_phones_and_browsers_are_people(agent):
    assert not fraud.is_bot(agent)


@pytest.mark.parametrize("agent", AUTOMATION.values(), ids=AUTOMATION.keys())
def test_scripts_headless_browsers_and_crawlers_are_bots(agent):
    assert fraud.is_bot(agent)


def test_the_patterns_are_a_setting(settings):
    settings.BOT_USER_AGENTS = [r"\bSamsungBrowser/"]
    assert fraud.is_bot(PEOPLE["samsung-internet"])
    assert not fraud.is_bot(AUTOMATION["curl"])


@pytest.mark.django_db
def test_a_cubot_phone_can_buy_tickets(client, sumup_sandbox):
    event = make_event("Comedy Club", types=[("Adult", "15.00", 10)])
    make_event_page(event)
    (adult,) = ticket_types(event)
    data = {"name": "Ann", "email": "ann@example.com", "accept_terms": "on", f"quantity_{adult.pk}": 1}
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]), data, HTTP_USER_AGENT=PEOPLE["cubot-android"]
    )
    assert response.status_code == 303
    assert Order.objects.count() == 1
