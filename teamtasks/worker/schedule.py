"""When the scheduler kicks each job: cron strings from the settings (UTC).

The delivery sweep picks up whatever a lost kick left behind; the reminders run every minute
(the hour-before reminder, and the 09:00 digest in each company's own time zone).
"""

from __future__ import annotations

from taskiq import ScheduledTask, ScheduleSource

from teamtasks.config import Settings
from teamtasks.worker.broker import (
    BILLING,
    DELIVER_DUE,
    PRUNE,
    RECONCILE_PAYMENTS,
    REFUND_STARS,
    REMINDERS,
    SWEEP_FILES,
)


def schedules(settings: Settings) -> list[ScheduledTask]:
    crons = {
        DELIVER_DUE: settings.schedule_delivery,
        BILLING: settings.schedule_billing,
        REMINDERS: settings.schedule_reminders,
        SWEEP_FILES: settings.schedule_file_sweep,
        RECONCILE_PAYMENTS: settings.schedule_payments,
        REFUND_STARS: settings.schedule_refunds,
        PRUNE: settings.schedule_prune,
    }
    return [
        ScheduledTask(
            task_name=name, labels={}, args=[], kwargs={}, cron=cron.strip(), schedule_id=name
        )
        for name, cron in crons.items()
    ]


class SettingsSchedule(ScheduleSource):
    """The schedules above; they change only with the settings, that is with a restart."""

    def __init__(self, settings: Settings) -> None:
        self._schedules = schedules(settings)

    async def get_schedules(self) -> list[ScheduledTask]:
        return list(self._schedules)
