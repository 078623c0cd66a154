"""`manage.py db_worker`: django-tasks-db's worker, seeding the periodic jobs as it starts.

`ticketing` is listed before `django_tasks_db` in INSTALLED_APPS, so this command replaces the
library's one of the same name; the Procfile's fixed `worker: python manage.py db_worker`
therefore runs the schedule too, with no extra service.
"""

from ticketing.schedule import WorkerCommand as Command  # noqa: F401
