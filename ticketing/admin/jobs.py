"""The worker's periodic jobs (`ticketing.schedule`): when each last ran, how, and when next."""

from core.admin import ReadOnlyAdmin
from ticketing.models import ScheduledJob


class ScheduledJobAdmin(ReadOnlyAdmin):
    model = ScheduledJob
    menu_label = "Scheduled jobs"
    menu_icon = "time"
    list_display = (
        "name",
        "next_run_at",
        "last_started_at",
        "last_finished_at",
        "last_outcome",
        "last_result",
    )
    ordering = ("name",)
