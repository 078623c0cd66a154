from django.utils.functional import SimpleLazyObject

from legal import consent


def cookie_consent(request):
    """`cookie_consent`: what this visitor agreed to, for the banner and the analytics snippet.

    Lazy, so responses that draw no page (and cached pages) pay nothing for it.
    """
    return {"cookie_consent": SimpleLazyObject(lambda: consent.for_request(request))}
