"""Users, API keys and refresh tokens (docs/data-model.md)."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huntaze.emails import normalize_email


class Plan(models.TextChoices):
    FREE = "FREE", _("Gratuit")
    PRO = "PRO", _("Pro")
    ENTERPRISE = "ENTERPRISE", _("Entreprise")


class Role(models.TextChoices):
    CREATOR = "CREATOR", _("Créateur")
    ADMIN = "ADMIN", _("Admin (staff)")


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Django calls this name; the rule is ``huntaze.emails.normalize_email``."""
        return normalize_email(email)

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email__iexact=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["role"] = Role.ADMIN
        return self.create_user(email, password, **extra)

    def authenticatable(self) -> models.QuerySet[User]:
        """Users a credential may authenticate: not deleted, active. Every loader of an access
        token's user starts here (accounts.authentication)."""
        return self.filter(deleted_at__isnull=True, is_active=True)


class User(AbstractBaseUser):
    """The AUTH_USER_MODEL: email login, no username.

    ``role`` ADMIN makes a user staff with every admin permission; there are no Django
    groups or per-model permissions to keep in step. Deleting is soft (``deleted_at``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Stored lower-cased (save() and the manager), so ``unique`` is case-insensitive; the
    # functional constraint on Lower(email) guards writes that bypass save().
    email = models.EmailField(_("adresse email"), max_length=254, unique=True)
    # No length limit in the database: the API bounds what creators send (200, 500), not the
    # rows imported from the old app (docs/migration.md).
    name = models.CharField(_("nom"), max_length=None, blank=True, default="")
    avatar = models.URLField(_("avatar (URL)"), max_length=None, blank=True, null=True)
    # The plan: it follows Stripe (billing webhooks), never typed in the admin.
    subscription = models.CharField(
        _("formule"), max_length=16, choices=Plan.choices, default=Plan.FREE
    )
    stripe_customer_id = models.CharField(
        _("client Stripe"), max_length=255, null=True, blank=True, unique=True
    )
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.CREATOR)
    is_active = models.BooleanField(_("actif"), default=True)
    password_changed_at = models.DateTimeField(_("mot de passe changé le"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("supprimé le"), null=True, blank=True)
    # The address a soft-deleted user had, kept (until purge) only so staff can restore the
    # account; ``email`` itself holds a placeholder meanwhile, freeing the address.
    deleted_email = models.EmailField(
        _("adresse avant suppression"), max_length=254, null=True, blank=True
    )
    created_at = models.DateTimeField(_("inscrit le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "users"
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["deleted_at"], name="users_deleted_at_idx")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def is_staff(self) -> bool:
        return self.is_active and self.deleted_at is None and self.role == Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list, obj=None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


class RevocableCredential:
    """What API keys and refresh tokens share: an optional expiry and a revocation time."""

    expires_at: models.DateTimeField
    revoked_at: models.DateTimeField

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class ApiKey(RevocableCredential, models.Model):
    """A scoped API key. The plain key is shown once; only its SHA-256 digest is stored."""

    class Scope(models.TextChoices):
        PROFILE_READ = "profile:read"
        CONTENT_READ = "content:read"
        CONTENT_WRITE = "content:write"
        BILLING_READ = "billing:read"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("utilisateur")
    )
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(_("préfixe"), max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    permissions = ArrayField(
        models.CharField(max_length=32), default=list, blank=True, verbose_name=_("permissions")
    )
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        db_table = "api_keys"
        verbose_name = _("clé API")
        verbose_name_plural = _("clés API")
        indexes = [models.Index(fields=["user", "-created_at"], name="api_keys_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class RefreshToken(RevocableCredential, models.Model):
    """An opaque, single-use refresh token, stored as a SHA-256 digest.

    Every token descended from one sign-in shares a ``family``; presenting a spent token revokes
    the whole family (reuse detection).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="refresh_tokens",
        verbose_name=_("utilisateur"),
    )
    jti = models.UUIDField(_("identifiant (jti)"), unique=True, default=uuid.uuid4)
    token_hash = models.CharField(max_length=64, unique=True)
    family = models.UUIDField(_("session (famille)"), db_index=True)
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        db_table = "refresh_tokens"
        verbose_name = _("jeton de rafraîchissement")
        verbose_name_plural = _("jetons de rafraîchissement")
        indexes = [
            models.Index(fields=["user"], name="refresh_tokens_user_idx"),
            models.Index(fields=["expires_at"], name="refresh_tokens_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"refresh {self.jti}"


class MfaChallenge(models.Model):
    """The second step of a sign-in with two-factor on: what ``POST /api/auth/signin`` answers
    as ``mfa_token`` (and the admin keeps in its session) after the right password.

    The plain token is returned once; only its SHA-256 digest is stored. A challenge lives
    ``MFA_CHALLENGE_LIFETIME``, is spent by a right code (``used_at``) and dies after
    ``MFA_CHALLENGE_MAX_ATTEMPTS`` wrong ones; ``accounts.services.mfa`` changes it under a row
    lock only.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mfa_challenges")
    token_hash = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "mfa_challenges"
        indexes = [models.Index(fields=["expires_at"], name="mfa_challenges_expires_idx")]

    def __str__(self) -> str:
        return f"mfa challenge {self.pk}"


class TotpPendingSecret(models.Model):
    """A TOTP secret handed out for set-up and not yet confirmed by a code (one per user; a new
    set-up replaces it). The API is stateless, so it waits here rather than in a session; it
    becomes allauth's ``Authenticator`` when confirmed, and expires unconfirmed after an hour."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="totp_pending"
    )
    secret = models.TextField()  # encrypted (accounts/mfa_adapter.py)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "totp_pending_secrets"

    def __str__(self) -> str:
        return f"pending TOTP of {self.user_id}"
