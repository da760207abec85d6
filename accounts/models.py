import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


class User(AbstractUser):
    """A person who logs in. The public never does."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Regional coordinator")
        MINISTRY = "ministry", _("Ministry staff")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.COORDINATOR)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def save(self, *args, **kwargs):
        # The role decides admin access; the flags follow it so they never disagree.
        if self.is_superuser:
            self.role = self.Role.ADMIN
        self.is_staff = self.role in (self.Role.MINISTRY, self.Role.ADMIN)
        super().save(*args, **kwargs)

    @property
    def is_national(self):
        """Ministry staff and administrators work across every region."""
        return self.is_active and self.role in (self.Role.MINISTRY, self.Role.ADMIN)

    @property
    def is_portal_admin(self):
        return self.is_active and self.role == self.Role.ADMIN

    @property
    def requires_second_factor(self):
        """Staff and administrators read every region's evidence: a password alone is not enough."""
        return self.is_national


class RecoveryCodes(TimestampMixin, ThrottlingMixin, Device):
    """The ten single-use codes that let someone in when the phone with the authenticator app is lost.

    django-otp's static device keeps its codes in clear; these are kept as keyed digests
    (HMAC with SECRET_KEY), so a copy of the database alone does not let anyone in. Each code
    has about 50 random bits: a fast digest is enough, and verifying stays one query.
    """

    COUNT = 10
    LENGTH = 10
    ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread from paper

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def get_throttle_factor(self):
        return getattr(settings, "OTP_RECOVERY_THROTTLE_FACTOR", 1)

    @classmethod
    def normalise(cls, code):
        return "".join(code.split()).replace("-", "").lower()

    @classmethod
    def digests(cls, code):
        """The digest under the current secret key and each fallback, so a key rotation keeps codes valid."""
        code = cls.normalise(code)
        keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        return [salted_hmac("accounts.RecoveryCodes", code, secret=key, algorithm="sha256").hexdigest() for key in keys]

    def replace_codes(self):
        """Forget the old codes and return ten new ones, in clear, to be shown once."""
        codes = ["".join(secrets.choice(self.ALPHABET) for _ in range(self.LENGTH)) for _ in range(self.COUNT)]
        self.codes.all().delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(device=self, digest=self.digests(code)[0]) for code in codes)
        return [f"{code[:5]}-{code[5:]}" for code in codes]

    def verify_token(self, token):
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        # Single use: the code is deleted by the same statement that finds it.
        used, _by_model = self.codes.filter(digest__in=self.digests(token)).delete()
        if used:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        else:
            self.throttle_increment()
        return bool(used)


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, related_name="codes", on_delete=models.CASCADE)
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self):
        return str(_("recovery code (stored as a digest)"))
