"""Staff admin for ticketing: the "Ticketing" menu, payment mismatches and the staff actions.

One module a screen, each complete where it is defined (its forms, buttons, permission):

* `events` - events with their ticket types, edited as one form;
* `promo_codes` - promo codes, made by Editors, with how often each is used;
* `orders` - orders (buyers' contact details editable, nothing else) and their tickets;
* `resend` and `refunds` - the staff actions on one order, and the list of refunds;
* `order_actions` - the box office's actions on one order (cancel while unpaid, mark reviewed,
  correct the buyer's name or e-mail);
* `payments` - payments and webhook deliveries, read-only evidence;
* `emails` - the ticket e-mails, queued, sent, retrying or failed;
* `jobs` - the worker's scheduled jobs;
* `mismatches` - payment mismatches, and marking one resolved;
* `dashboard` - the admin's home page (door staff sent on to the scanner) and its payments panel;
* `door` - the scanner in the admin menu, and who counts as door staff only;
* `attendees` - an event's attendee list, its CSV and the printable door list;
* `waiting_list` - the waiting list per event and ticket type (place in line, address, state, offers);
* `menu` - the "Ticketing" menu group.

Nothing in this package registers anything: importing it only defines classes. The one place
that tells Wagtail about them is `ticketing/wagtail_hooks.py`, the module Wagtail discovers,
which registers the menus, URLs, log actions and panel explicitly and in one place. So no
registration depends on which module happens to be imported first, and Django's admin
autodiscovery (which imports `ticketing.admin` because `django.contrib.admin` is installed)
has no side effect.

The screens here parse, confirm and show; the rules and the writes are in service modules
(`ticketing.catalogue`, `ticketing.delivery`, `ticketing.boxoffice`, `ticketing.payments.refunds`,
`ticketing.payments.reconcile`), which also write Wagtail's audit log. Two rules shape every
listing: it renders in a fixed number of queries whatever its length (each admin names the
relations its columns read), and records written by the payment flow are read-only here.
"""
