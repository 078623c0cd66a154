"""Where Wagtail learns about the pages' part of the admin: the editor's event-and-page flow."""

from django.contrib import messages
from django.urls import path
from wagtail import hooks

from home.admin import EventPageForEventView, event_page_url_for


@hooks.register("register_admin_urls")
def register_event_page_urls():
    return [
        path(
            "pages/events/<int:event_id>/add-page/",
            EventPageForEventView.as_view(),
            name="home_event_page_add",
        ),
    ]


# Named by ticketing (`ticketing.admin.events.AFTER_CREATE_EVENT`): a new event is saved.
@hooks.register("after_create_event")
def on_to_the_new_events_page(request, event):
    """From a new event straight to writing its page, the next thing its editor does."""
    url = event_page_url_for(request.user, event)
    if url:
        messages.info(request, "Now write the page buyers will see for it, then publish it.")
    return url
