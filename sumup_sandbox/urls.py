"""The sandbox's URLs, mounted at ``/sandbox/sumup/`` only when ``SUMUP_SANDBOX`` is on.

The API paths are SumUp's own (the SDK joins them to its ``base_url``) and take no
trailing slash, as SumUp's do. Anything else gets a JSON 404 from the catch-all at the
end, rather than a redirect or the site's HTML 404 page.
"""

from django.urls import path, re_path
from django.views.generic import RedirectView

from . import hosted, views

app_name = "sumup_sandbox"

urlpatterns = [
    path("v0.1/checkouts", views.checkouts, name="checkouts"),
    path("v0.1/checkouts/<str:checkout_id>", views.checkout_detail, name="checkout-detail"),
    path(
        "v1.0/merchants/<str:merchant_code>/payments/<str:transaction_id>/refunds",
        views.refunds,
        name="refunds",
    ),
    path(
        "v2.1/merchants/<str:merchant_code>/transactions/history",
        views.transaction_history,
        name="transaction-history",
    ),
    path("v2.1/merchants/<str:merchant_code>/transactions", views.transaction_detail, name="transaction"),
    path("pay/<str:checkout_id>/", hosted.hosted_page, name="hosted-page"),
    # The catch-all below would answer JSON to a browser that dropped the slash.
    path("pay/<str:checkout_id>", RedirectView.as_view(pattern_name="sumup_sandbox:hosted-page")),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
