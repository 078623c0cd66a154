from django.apps import AppConfig


class SumUpSandboxConfig(AppConfig):
    name = "sumup_sandbox"
    label = "sumup_sandbox"
    verbose_name = "SumUp sandbox"
