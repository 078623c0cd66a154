"""The site's error pages: each keeps its status and words; the 500 page needs nothing at all."""

import pytest
from django.test import Client, RequestFactory

from config import views

ERROR_PAGES = [
    (views.bad_request, 400, "Bad request", "We couldn’t understand that request"),
    (views.permission_denied, 403, "Access denied", "You can’t see this page"),
    (views.page_not_found, 404, "Page not found", "We can’t find that page"),
    (views.csrf_failure, 403, "Your session expired", "Your session expired"),
    (views.rate_limited, 429, "Too many attempts", "Too many attempts"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("view", "status", "title", "heading"), ERROR_PAGES)
def test_each_error_page_has_its_status_and_words_in_the_site_design(view, status, title, heading):
    response = view(RequestFactory().get("/somewhere/"))
    html = response.content.decode()
    assert response.status_code == status
    assert f"<title>{title} · Jersey Events</title>" in html
    assert f'<p class="error-page__code" aria-hidden="true">{status}</p>' in html
    assert f'<h1 class="error-page__title">{heading}</h1>' in html
    assert 'class="site-header"' in html and 'href="/">Go to the home page</a>' in html


@pytest.mark.django_db
def test_the_pages_after_a_refused_form_say_nothing_was_charged():
    for view in (views.csrf_failure, views.rate_limited):
        html = view(RequestFactory().post("/tickets/")).content.decode()
        assert "Nothing was changed and you have not been charged." in html


@pytest.mark.django_db
def test_a_refused_rate_limit_says_when_to_try_again():
    assert views.rate_limited(RequestFactory().get("/"))["Retry-After"] == "60"


@pytest.mark.django_db
def test_an_expired_form_gets_the_session_expired_page():
    response = Client(enforce_csrf_checks=True).post("/legal/cookies/", {"choice": "all"})
    assert response.status_code == 403
    assert "Your session expired" in response.content.decode()
    assert "error_page.html" in [template.name for template in response.templates]


def test_the_500_page_renders_without_a_database_or_a_request():
    """No django_db mark: any query would raise. The handler gets no context processors."""
    response = views.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, something went wrong" in html
    assert "if your payment went through, your tickets will be sent to you" in html
