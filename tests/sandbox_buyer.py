"""A buyer's browser on the sandbox's hosted payment page, over real HTTP."""

import re

import httpx

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def press_on_hosted_page(hosted_url, action="pay"):
    """Open SumUp's (sandbox) hosted page and press Pay or Decline, as a browser would."""
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(hosted_url)
        assert page.status_code == 200, page.text[:500]
        token = _CSRF.search(page.text)
        data = {"action": action}
        if token:
            data["csrfmiddlewaretoken"] = token.group(1)
        result = browser.post(hosted_url, data=data, headers={"Referer": hosted_url})
        assert result.status_code == 200, result.text[:500]
        return result
