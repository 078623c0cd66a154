"""Who is buying: the client's address, bots at the door, velocity limits and risk flags.

Limits count *clients* and *mailboxes*, not spellings: `client_key` turns an address into the
network one connection is given, `email_key` turns an address into the mailbox it reaches.
Both are stored on the order, so velocity limits compare like with like in one indexed query.
"""

import functools
import hashlib
import ipaddress
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from ticketing.models import Order

# The one client every request without a readable address counts as: a forged or broken
# X-Forwarded-For earns no free pass, it shares one rate limit and one velocity limit.
UNPARSEABLE_CLIENT = "unparseable"

# Google delivers every dotted spelling of a Gmail name, at either domain, to one mailbox.
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


class VelocityLimitExceeded(Exception):
    """Too many tickets for one event from one client or one mailbox."""


def client_ip(request) -> str | None:
    """The buyer's address: X-Forwarded-For is believed only as far as TRUSTED_PROXY_COUNT says.

    Each trusted proxy appends the address it saw, so the client is the entry that many places
    from the right; anything further left was written by the client and may be forged. None
    when that entry is not an address. An IPv6 zone (`%eth0`) is dropped: it names an interface
    of the machine that saw the address, not the client, and the database cannot store it.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= trusted:
            remote = hops[-trusted]
    try:
        return str(ipaddress.ip_address(remote.partition("%")[0]))
    except ValueError:
        return None


def client_key(address: str | None) -> str:
    """The client an address counts as for rate and velocity limits.

    IPv4: the address itself. IPv6: its network of IPV6_CLIENT_PREFIX bits (a /64 by
    default), because one connection is usually given a whole /64 and may use any address in
    it. An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) is that IPv4 address. Anything
    unreadable is UNPARSEABLE_CLIENT.
    """
    try:
        ip = ipaddress.ip_address((address or "").partition("%")[0])
    except ValueError:
        return UNPARSEABLE_CLIENT
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{settings.IPV6_CLIENT_PREFIX}", strict=False))
    return str(ip)


def request_client_key(request) -> str:
    """The client a request comes from, for the rate limits' keys."""
    return client_key(client_ip(request))


def email_key(email: str) -> str:
    """The mailbox an address reaches, so trivial variants of one address are one buyer.

    Lower-cased; a `+tag` in the name is dropped (`ann+jazz@` is `ann@`) unless nothing would
    be left; at gmail.com and googlemail.com the dots in the name are dropped and the domain
    is gmail.com. Other providers' dots are kept: elsewhere `a.nn@` and `ann@` may be two people.
    """
    name, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    name = name.split("+", 1)[0] or name
    if domain in GMAIL_DOMAINS:
        name, domain = name.replace(".", "") or name, "gmail.com"
    return f"{name}@{domain}"


@dataclass(frozen=True)
class BuyerKeys:
    """Who a buyer is for the limits: the client they connect from and the mailbox they use."""

    client: str
    email: str


def buyer_keys(ip: str | None, email: str) -> BuyerKeys:
    return BuyerKeys(client=client_key(ip), email=email_key(email))


@functools.lru_cache(maxsize=8)
def _bot_pattern(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def is_bot(user_agent) -> bool:
    """An empty agent, or one matching a BOT_USER_AGENTS pattern (a scripting client, a
    headless browser, a crawler naming itself), is refused.

    The patterns name automation precisely (a client's own product token such as `curl/`, a
    crawler's `…bot/` token), so a person's phone whose model happens to contain "bot" (a
    Cubot) is not turned away. Matched case-insensitively anywhere in the agent.
    """
    agent = (user_agent or "").strip()
    if not agent:
        return True
    patterns = tuple(settings.BOT_USER_AGENTS)
    return bool(patterns) and _bot_pattern(patterns).search(agent) is not None


def queue_buyer(event_id, keys: BuyerKeys) -> None:
    """Make this buyer's simultaneous checkouts for the event wait for each other, until commit.

    Velocity limits count the orders that committed before, so two checkouts of one client
    (or one mailbox) must not run side by side, or both would see the other's tickets missing.
    One PostgreSQL advisory lock per key (the event and the client; the event and the mailbox),
    taken in a fixed order so two buyers sharing one key never deadlock, and before any stock
    row: other buyers do not queue here at all, unlike a lock on the event's row. On SQLite
    the IMMEDIATE transaction already serialises every writer.
    """
    if connection.vendor != "postgresql":
        return
    locks = sorted({_lock_id(event_id, "client", keys.client), _lock_id(event_id, "email", keys.email)})
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(locks)), locks)


def _lock_id(event_id, kind, key) -> int:
    """A signed 64-bit number for (event, kind, key): PostgreSQL's advisory lock ids."""
    digest = hashlib.blake2b(f"velocity:{event_id}:{kind}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Tickets this client and this mailbox already hold for the event, and how many of the client's
# order lines are under other mailboxes. Written out rather than built by the ORM: it runs on every
# checkout, and composing the three filtered aggregates cost ten times the query itself.
_EXPOSURE_SQL = """
    SELECT COALESCE(SUM(line.quantity) FILTER (WHERE ord.client_key = %s), 0),
           COALESCE(SUM(line.quantity) FILTER (WHERE ord.email_key = %s), 0),
           COUNT(*) FILTER (WHERE ord.client_key = %s AND ord.email_key <> %s)
      FROM ticketing_orderline line JOIN ticketing_order ord ON ord.id = line.order_id
     WHERE ord.event_id = %s
       AND ord.status IN ({holding})
       AND (ord.client_key = %s OR ord.email_key = %s)
""".format(holding=", ".join(["%s"] * len(Order.HOLDS_STOCK)))  # noqa: S608 - placeholders only


def _exposure(event_id, keys: BuyerKeys):
    """Tickets this client and this mailbox already hold for the event, and whether the client
    holds orders under other mailboxes: one query, as it runs on every checkout."""
    client, email = keys.client, keys.email
    params = [client, email, client, email, event_id, *map(str, Order.HOLDS_STOCK), client, email]
    with connection.cursor() as cursor:
        cursor.execute(_EXPOSURE_SQL, params)
        held_by_client, held_by_email, shared = cursor.fetchone()
    return {"client": held_by_client, "email": held_by_email, "shared": shared}


def check_velocity(exposure, wanted):
    """Refuse an order that would give one client or one mailbox too many tickets for an event."""
    if exposure["client"] + wanted > settings.MAX_TICKETS_PER_IP_PER_EVENT:
        raise VelocityLimitExceeded(
            f"We sell at most {settings.MAX_TICKETS_PER_IP_PER_EVENT} tickets for this event to one "
            "connection, counting the orders already made from it. "
            "If you are buying for a group, please contact us."
        )
    if exposure["email"] + wanted > settings.MAX_TICKETS_PER_EMAIL_PER_EVENT:
        raise VelocityLimitExceeded(
            f"We sell at most {settings.MAX_TICKETS_PER_EMAIL_PER_EVENT} tickets for this event to one "
            "e-mail address, counting the orders already made with it. "
            "If you are buying for a group, please contact us."
        )


# What each risk flag means, in the words staff read on an order's page.
RISK_FLAG_WORDS = {
    "max_quantity": "As many tickets of one type as an order may hold, and 6 or more in all",
    "shared_ip_other_email": "Placed from a connection that other e-mail addresses also bought from",
    "short_user_agent": "The browser gave little or no description of itself",
    "numeric_email": "The e-mail address is mostly digits",
}


def describe_risk_flags(flags) -> list[str]:
    """The order's risk flags in words; a flag this code no longer raises reads as itself."""
    return [RISK_FLAG_WORDS.get(flag, str(flag)) for flag in flags or ()]


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


def assess(event_id, keys: BuyerKeys, quantities, user_agent):
    """Velocity limits (raises VelocityLimitExceeded) and risk flags for a new order."""
    exposure = _exposure(event_id, keys)
    check_velocity(exposure, sum(quantities.values()))
    return risk_flags(exposure, keys.email, quantities, user_agent)
