"""Staff admin for privacy: the "Privacy" menu, its data requests and where personal data lives.

One module a screen, each complete where it is defined (its forms, buttons, permission):

* `requests` - the list of data requests (due dates, overdue first), a request's page with its
  actions, and recording a request that reached staff by e-mail, letter, phone or in person;
* `actions` - export, erase and reject, each confirmed on its own page;
* `bulk` - erasing several confirmed erasure requests at once;
* `census` - "Where personal data lives": what is held, how old, and what retention clears next;
* `dashboard` - the dashboard's count of data requests overdue or due within a week;
* `menu` - the "Privacy" menu group.

As in `ticketing.admin`, nothing here registers anything: `legal/wagtail_hooks.py` is the one
place that tells Wagtail about these screens. They parse, confirm and show; the work is done by
`legal.handling` (which also writes Wagtail's audit log), on top of `legal.privacy` and
`legal.data_requests`.

Every action checks `legal.handle_datarequest` before it looks anything up, so other staff
(box office, door staff, editors) are refused without learning which requests exist.
"""

PERMISSION = "legal.handle_datarequest"
