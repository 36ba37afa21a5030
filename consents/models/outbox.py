"""The transactional outbox: a task to queue, written in the same transaction as the work it starts.

A batch or an upload committed while the broker (Redis) is unreachable, or whose commit hook never ran (the
process died right after COMMIT), still gets its task: the row commits with the work and is deleted once the
task is handed to the broker, after commit at once or by the outbox sweep (consents/outbox.py).
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TaskOutbox(models.Model):
    task = models.CharField(_("görev"), max_length=200)  # the Celery task's stable name
    args = models.JSONField(_("argümanlar"), default=list)
    created_at = models.DateTimeField(_("oluşturuldu"), default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(_("deneme"), default=0)
    last_error = models.CharField(_("son hata"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("kuyruğa verilecek görev")
        verbose_name_plural = _("kuyruğa verilecek görevler")

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
