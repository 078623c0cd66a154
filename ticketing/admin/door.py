"""The door scanner in the admin: a menu entry for staff who may check tickets in, and who
counts as door staff only (they land on the scanner: `ticketing.admin.dashboard`).

The scanner itself is `/tickets/check-in/` (`ticketing.ticket_views`): a page made for a phone
at the door, outside the admin's layout.
"""

from django.urls import reverse
from wagtail.admin.menu import MenuItem

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


class ScannerMenuItem(MenuItem):
    """The admin menu's "Check-in scanner", for staff who may use it; hidden from the others."""

    def __init__(self):
        super().__init__(
            "Check-in scanner", reverse("ticketing:check-in"), icon_name="circle-check", order=190
        )

    def is_shown(self, request):
        return request.user.has_perm(CHECK_IN_PERMISSION)
