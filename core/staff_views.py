"""The admin's staff sign-in pages: the two-factor code, setting up an app, locked-out sign-ins.

Thin: the rules are in core/two_factor.py and core/sign_in_lockouts.py. Mounted under /admin/
by core/wagtail_hooks.py, so Wagtail lets only signed-in staff with admin access in.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from core import sign_in_lockouts, two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Six-digit code",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request) -> str:
    """Where to go once the code is given: the admin address first asked for, or the dashboard."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("wagtailadmin_home")


def _redirect_keeping_next(request, name):
    return redirect(f"{reverse(name)}?{urlencode({'next': _next_url(request)})}")


def _page(request, template, context, status=200):
    return TemplateResponse(request, template, {"next": _next_url(request), **context}, status=status)


@require_http_methods(["GET", "POST"])
def verify(request):
    """After the password: the code of the user's authenticator app."""
    user = request.user
    device = two_factor.confirmed_device(user)
    if device is None:
        return _redirect_keeping_next(request, "two_factor_setup")
    if user.is_verified():
        return redirect(_next_url(request))
    if sign_in_lockouts.is_locked(request, user.get_username()):
        logout(request)
        return sign_in_lockouts.locked_out_page(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if two_factor.code_is_throttled(device):
            form.add_error("code", "Too many wrong codes: wait a few seconds, then type the newest code.")
            status = 429
        elif two_factor.check_code(device, form.cleaned_data["code"]):
            two_factor.mark_verified(request, device)
            return redirect(_next_url(request))
        else:
            form.add_error("code", "That code is not right. Type the code your app shows now.")
            status = 400
        if sign_in_lockouts.record_failed_code(request, user.get_username()):
            logout(request)
            return sign_in_lockouts.locked_out_page(request)
    elif request.method == "POST":
        status = 400
    return _page(request, "core/two_factor_verify.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def setup(request):
    """Set up an authenticator app: scan the QR code (or type the secret), then give one code."""
    user = request.user
    if two_factor.confirmed_device(user) is not None and not user.is_verified():
        # Replacing the app takes the current one's code first: a password alone must not do it.
        return _redirect_keeping_next(request, "two_factor_verify")
    device = two_factor.pending_device(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        status = 400
        if two_factor.code_is_throttled(device):
            form.add_error("code", "Too many wrong codes: wait a few seconds, then type the newest code.")
            status = 429
        elif two_factor.check_code(device, form.cleaned_data["code"]):
            two_factor.confirm_setup(request, device)
            messages.success(
                request, "Two-factor sign-in is on: each sign-in now asks for a code from your app."
            )
            return redirect(_next_url(request))
        else:
            form.add_error(
                "code", "That code is not right. Check the app's clock, then type the code it shows now."
            )
    context = {
        "form": form,
        "required": two_factor.is_required(user),
        "replacing": two_factor.confirmed_device(user) is not None,
        "qr_code": two_factor.setup_qr_data_uri(device),
        "secret": two_factor.secret(device),
    }
    return _page(request, "core/two_factor_setup.html", context, status=status)


class UnlockForm(forms.Form):
    kind = forms.ChoiceField(choices=[("account", "account"), ("address", "address")])
    value = forms.CharField(max_length=255)


@require_http_methods(["GET", "POST"])
def sign_in_locks(request):
    """Settings → Locked-out sign-ins (superusers): who cannot sign in now, and "Unlock"."""
    if not request.user.is_superuser:
        raise PermissionDenied
    if request.method == "POST":
        form = UnlockForm(request.POST)
        if not form.is_valid():
            return TemplateResponse(
                request, "core/sign_in_locks.html", {"locks": sign_in_lockouts.current_locks()}, status=400
            )
        kind, value = form.cleaned_data["kind"], form.cleaned_data["value"]
        if sign_in_lockouts.unlock(kind, value, by=request.user):
            messages.success(request, f"Unlocked the {kind} {value}: it can sign in again.")
        else:
            messages.info(request, f"The {kind} {value} was not locked.")
        return redirect("sign_in_locks")
    return TemplateResponse(request, "core/sign_in_locks.html", {"locks": sign_in_lockouts.current_locks()})
