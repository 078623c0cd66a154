"""The base of the staff actions on one order (resend its tickets, refund it)."""

from core.admin import ObjectActionView
from ticketing.models import Order


class OrderActionView(ObjectActionView):
    """A staff action on one order: permission first, then the form, under the order's page.

    Templates get `order` and `inspect_url`; subclasses name `permission_required` and
    `action_label`.
    """

    queryset = Order.objects.select_related("event")
    context_object_name = "order"

    @property
    def order(self) -> Order:
        return self.object

    def object_label(self) -> str:
        return self.order.reference
