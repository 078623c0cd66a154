"""The door scanner in the admin: a menu entry for staff who may check tickets in, and the
landing page of those whose only job that is.

The scanner itself is `/tickets/check-in/` (`ticketing.ticket_views`): a page made for a phone
at the door, outside the admin's layout.
"""

from django.shortcuts import redirect
from django.urls import reverse
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.home import HomeView

from ticketing.checkin import CHECK_IN_PERMISSION

# What a member of staff who only checks tickets in holds: signing in, and checking in.
DOOR_ONLY = frozenset({"wagtailadmin.access_admin", CHECK_IN_PERMISSION})


def only_checks_tickets_in(user) -> bool:
    """Whether the door is the user's whole job in the admin (the "Door staff" group's case).

    Anyone holding one permission more (the box office also checks tickets in) has a dashboard
    worth landing on; superusers always do.
    """
    if user.is_superuser or not user.has_perm(CHECK_IN_PERMISSION):
        return False
    return user.get_all_permissions() <= DOOR_ONLY


class StaffHomeView(HomeView):
    """Wagtail's dashboard, except for door staff, who are sent straight on to the scanner.

    The dashboard would only offer them an empty page and a menu with one entry: after signing
    in they land where they work. Mounted in place of Wagtail's home in `config/urls.py`.
    """

    def get(self, request, *args, **kwargs):
        if only_checks_tickets_in(request.user):
            return redirect("ticketing:check-in")
        return super().get(request, *args, **kwargs)


class ScannerMenuItem(MenuItem):
    """ "Check-in scanner" in the admin menu, for staff who may use it; hidden from the others."""

    def __init__(self):
        super().__init__(
            "Check-in scanner", reverse("ticketing:check-in"), icon_name="circle-check", order=190
        )

    def is_shown(self, request):
        return request.user.has_perm(CHECK_IN_PERMISSION)
