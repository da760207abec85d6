from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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
