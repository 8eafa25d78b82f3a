"""Two-factor in the admin (docs/admin.md, Two-factor): the login's second step, the set-up
page, and ``STAFF_MFA_REQUIRED`` (``accounts.middleware.StaffMfaMiddleware``).

- **Login.** ``admin_login(site)`` is the admin site's login view (installed by
  ``AccountsConfig.ready``, inside the login rate limit). After the right password, a staff
  member with TOTP on is not signed in yet: a challenge (``accounts.services.mfa``, the API's
  own: 5 minutes, 5 wrong codes, codes accepted once, wrong codes limited per user) waits in
  the session and the browser goes to ``/admin/mfa/code/``, a form with one field ``code`` (TOTP
  or recovery code). Only a right code signs the session in (Django's ``login``, which changes
  the session key).
- **Set-up** (``/admin/mfa/setup/``, any signed-in staff member): the QR code drawn here as
  inline SVG (allauth's adapter with ``qrcode``, no CDN) and the secret as text; the first right
  code turns TOTP on and the page shows the 10 recovery codes once (they are not stored in
  clear, and not in the session).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth.views import LoginView
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.exceptions import Throttled

from accounts.services import mfa
from huntaze.exceptions import DomainError, InvalidCredentials

PENDING = "admin_mfa_pending"  # session key: {"token": mfa_token, "next": url}
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class CodeInput(forms.TextInput):
    """Never echoes a code back into the page (a wrong one is typed again from scratch)."""

    def format_value(self, value):
        return None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=mfa.CODE_MAX,
        widget=CodeInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )


class AdminMfaLoginView(LoginView):
    """Django's admin login, stopping after the password for a user with TOTP on."""

    def form_valid(self, form):
        user = form.get_user()
        if not mfa.totp_is_on(user=user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "token": mfa.mfa_challenge_start(user=user),
            "next": self.get_success_url(),
        }
        return HttpResponseRedirect(reverse("admin-mfa-code"))


def admin_login(site):
    """The login view of ``site``: Django's ``AdminSite.login`` with ``AdminMfaLoginView``."""

    def view(request, extra_context=None):
        if request.method == "GET" and site.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=site.name))
        context = {
            **site.each_context(request),
            "title": _("Connexion"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=site.name)
        context.update(extra_context or {})
        request.current_app = site.name
        return AdminMfaLoginView.as_view(
            extra_context=context,
            authentication_form=site.login_form or AdminAuthenticationForm,
            template_name=site.login_template or "admin/login.html",
        )(request)

    return view


def _site():
    from django.contrib import admin

    return admin.site


def _context(request, **extra) -> dict:
    return {**_site().each_context(request), "subtitle": None, **extra}


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def code_view(request):
    """The login's second step: one ``code`` field (TOTP or recovery code)."""
    pending = request.session.get(PENDING)
    if not pending:
        return HttpResponseRedirect(reverse("admin:login"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, method = mfa.mfa_challenge_verify(
                token=pending["token"], code=form.cleaned_data["code"]
            )
        except Throttled as exc:
            form.add_error(
                "code",
                _("Trop de codes erronés. Réessayez dans %(seconds)s secondes.")
                % {"seconds": exc.wait},
            )
        except InvalidCredentials:
            if not mfa.mfa_challenge_is_open(token=pending["token"]):
                request.session.pop(PENDING, None)
                messages.error(request, _("Trop d'essais ou délai dépassé : reconnectez-vous."))
                return HttpResponseRedirect(reverse("admin:login"))
            form.add_error("code", _("Code incorrect ou déjà utilisé."))
        else:
            if user.is_staff:
                next_url = pending.get("next") or ""
                login(request, user, backend=LOGIN_BACKEND)  # a new session key
                if method == "recovery_code":
                    messages.warning(
                        request,
                        _(
                            "Vous vous êtes connecté avec un code de secours : il ne servira "
                            "plus. Il vous en reste %(n)d."
                        )
                        % {"n": mfa.mfa_status(user=user).recovery_codes_left},
                    )
                if not url_has_allowed_host_and_scheme(
                    next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    next_url = reverse("admin:index")
                return HttpResponseRedirect(next_url)
            request.session.pop(PENDING, None)
            return HttpResponseRedirect(reverse("admin:login"))
    context = _context(request, title=_("Code de vérification"), form=form)
    return TemplateResponse(request, "admin/mfa/code.html", context)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def setup_view(request):
    """Set up TOTP for the signed-in staff member (the only page open to a staff member without
    it when ``STAFF_MFA_REQUIRED``)."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        login_url = reverse("admin:login")
        return HttpResponseRedirect(f"{login_url}?{REDIRECT_FIELD_NAME}={request.path}")
    if mfa.totp_is_on(user=user):
        context = _context(request, title=_("Double authentification"), enabled=True)
        return TemplateResponse(request, "admin/mfa/setup.html", context)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.totp_setup_confirm(user=user, code=form.cleaned_data["code"])
        except Throttled as exc:
            form.add_error(
                "code",
                _("Trop de codes erronés. Réessayez dans %(seconds)s secondes.")
                % {"seconds": exc.wait},
            )
        except DomainError:
            form.add_error("code", _("Code incorrect : vérifiez l'heure du téléphone."))
        else:
            context = _context(request, title=_("Codes de secours"), recovery_codes=codes)
            return TemplateResponse(request, "admin/mfa/recovery_codes.html", context)
    setup = mfa.totp_setup_pending(user=user) or mfa.totp_setup_begin(user=user)
    context = _context(
        request,
        title=_("Activer la double authentification"),
        form=form,
        # qrcode's SVG of our own otpauth URI: paths only, no user text.
        qr_svg=mark_safe(_svg_body(setup.qr_svg())),  # noqa: S308
        secret=" ".join(setup.secret[i : i + 4] for i in range(0, len(setup.secret), 4)),
        required=settings.STAFF_MFA_REQUIRED,
    )
    return TemplateResponse(request, "admin/mfa/setup.html", context)


def _svg_body(svg: str) -> str:
    """The ``<svg>`` element alone (no XML declaration inside HTML)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


urlpatterns = [
    path("code/", code_view, name="admin-mfa-code"),
    path("setup/", setup_view, name="admin-mfa-setup"),
]
