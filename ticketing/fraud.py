"""Who is buying: the client's address, bots at the door, velocity limits and risk flags."""

import ipaddress

from django.conf import settings
from django.db.models import Count, Q, Sum

from ticketing.models import Order, OrderLine


class VelocityLimitExceeded(Exception):
    """Too many tickets for one event from one address or one e-mail."""


def client_ip(request):
    """The buyer's address: X-Forwarded-For is believed only as far as TRUSTED_PROXY_COUNT says.

    Each trusted proxy appends the address it saw, so the client is the entry that many places
    from the right; anything further left was written by the client and may be forged.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= trusted:
            remote = hops[-trusted]
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return None


def is_bot(user_agent):
    """An empty agent or one naming a scripting client or headless browser is refused."""
    agent = (user_agent or "").strip().lower()
    if not agent:
        return True
    return any(marker in agent for marker in settings.BOT_USER_AGENTS)


def _exposure(event_id, ip, email):
    """Tickets this address and this e-mail already hold for the event, and whether the address
    holds orders under other e-mails: one query, as it runs on every checkout."""
    by_ip = Q(order__created_ip=ip) if ip else Q(pk__in=[])
    totals = OrderLine.objects.filter(
        by_ip | Q(order__email=email),
        order__event_id=event_id,
        order__status__in=Order.HOLDS_STOCK,
    ).aggregate(
        ip=Sum("quantity", filter=by_ip, default=0),
        email=Sum("quantity", filter=Q(order__email=email), default=0),
        shared=Count("order", filter=by_ip & ~Q(order__email=email)),
    )
    return totals


def check_velocity(exposure, wanted):
    """Refuse an order that would give one address or one e-mail too many tickets for an event."""
    if exposure["ip"] + wanted > settings.MAX_TICKETS_PER_IP_PER_EVENT:
        raise VelocityLimitExceeded(
            "That is more tickets for this event than we can sell to one connection. "
            "If you are buying for a group, please contact us."
        )
    if exposure["email"] + wanted > settings.MAX_TICKETS_PER_EMAIL_PER_EVENT:
        raise VelocityLimitExceeded(
            "That is more tickets for this event than we can sell to one e-mail address. "
            "If you are buying for a group, please contact us."
        )


def risk_flags(exposure, email, quantities, user_agent):
    """Reasons an order looks unusual; recorded on it for staff, never shown to the buyer."""
    flags = []
    wanted = sum(quantities.values())
    if any(n >= ticket_type.max_per_order for ticket_type, n in quantities.items()) and wanted >= 6:
        flags.append("max_quantity")
    if exposure["shared"]:
        flags.append("shared_ip_other_email")
    if len(user_agent or "") < 20:
        flags.append("short_user_agent")
    local = email.rsplit("@", 1)[0]
    if sum(ch.isdigit() for ch in local) >= 6:
        flags.append("numeric_email")
    return flags


def assess(event_id, ip, email, quantities, user_agent):
    """Velocity limits (raises VelocityLimitExceeded) and risk flags for a new order."""
    exposure = _exposure(event_id, ip, email)
    check_velocity(exposure, sum(quantities.values()))
    return risk_flags(exposure, email, quantities, user_agent)
