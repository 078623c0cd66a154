"""The SumUp emulator, a development and test tool: only the dev and test settings install it.

The label predates the move to a top-level app and stays, so that databases migrated
under the old location keep their tables and migration history.
"""

from django.apps import AppConfig


class SumUpSandboxConfig(AppConfig):
    name = "sumup_sandbox"
    label = "sumup_sandbox"
    verbose_name = "SumUp sandbox"
