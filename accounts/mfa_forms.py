"""allauth's two-factor forms (``MFA_FORMS``) checking codes the way the API and the admin do
(``accounts.services.mfa.mfa_code_check``): each TOTP code accepted once across every door
(allauth only remembers used codes in the cache for one period), wrong codes counted in the
same per-user bucket."""

from __future__ import annotations

from allauth.mfa.adapter import get_adapter
from allauth.mfa.base import forms as allauth_forms
from allauth.mfa.models import Authenticator
from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled

from accounts.services import mfa
from huntaze.exceptions import ValidationFailed

_TYPE = {"totp": Authenticator.Type.TOTP, "recovery_code": Authenticator.Type.RECOVERY_CODES}


class _CodeCheck:
    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        try:
            method = mfa.mfa_code_check(user=self.user, code=code)
        except ValidationFailed:
            raise get_adapter().validation_error("incorrect_code") from None
        except Throttled as exc:
            raise forms.ValidationError(
                _("Trop de codes erronés. Réessayez dans %(seconds)s secondes.")
                % {"seconds": exc.wait}
            ) from None
        self.authenticator = Authenticator.objects.get(user_id=self.user.pk, type=_TYPE[method])
        self.authenticator.user = self.user
        return code


class AuthenticateForm(_CodeCheck, allauth_forms.AuthenticateForm):
    pass


class ReauthenticateForm(_CodeCheck, allauth_forms.ReauthenticateForm):
    pass
