from django.apps import AppConfig


class SumUpSandboxConfig(AppConfig):
    name = "ticketing.payments.sandbox"
    label = "sumup_sandbox"
    verbose_name = "SumUp sandbox"
