"""Where Wagtail learns about the staff sign-in pages (core/staff_views.py)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from core import sign_in_lockouts, staff_views, two_factor


@hooks.register("register_admin_urls")
def register_sign_in_urls():
    return [
        path("2fa/verify/", staff_views.verify, name="two_factor_verify"),
        path("2fa/setup/", staff_views.setup, name="two_factor_setup"),
        path("sign-in-locks/", staff_views.sign_in_locks, name="sign_in_locks"),
    ]


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_settings_menu_item")
def register_sign_in_locks_menu_item():
    return SuperuserMenuItem(
        "Locked-out sign-ins", reverse("sign_in_locks"), name="sign-in-locks", icon_name="lock", order=650
    )


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    return {
        "url": reverse("two_factor_setup"),
        "label": "Two-factor sign-in",
        "help_text": "Set up (or replace) the authenticator app whose code each sign-in asks for.",
    }


@hooks.register("register_log_actions")
def register_sign_in_log_actions(actions):
    actions.register_action(sign_in_lockouts.LOG_UNLOCK, "Unlock sign-in", "Sign-in lock lifted")
    actions.register_action(two_factor.LOG_SET_UP, "Two-factor set up", "Two-factor sign-in set up")
    actions.register_action(
        two_factor.LOG_RESET, "Two-factor reset", "Two-factor sign-in reset by a superuser"
    )
