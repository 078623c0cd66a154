"""Background tasks of the legal app, run by `python manage.py db_worker` like the shop's.

A thin entry point: the work is `legal.emails`'. The argument is the request's id, never its
address: a job row outlives the request it names, and must not keep the address of a person
who has since asked to be erased. A job names its task by import path, so rename or move one
only by keeping the old name working too.
"""

from django_tasks import task


@task()
def send_data_request_link(data_request_id: int) -> str:
    """E-mail the confirmation link of one data request to the address it is about."""
    from legal.emails import send_confirmation_link

    return send_confirmation_link(data_request_id)
