from django.apps import AppConfig


class SandboxConfig(AppConfig):
    # Listed as an app only so that `manage.py sandbox` exists; the server itself
    # (sandbox.server) imports nothing from Django or the dashboard.
    name = "sandbox"
    verbose_name = "Telnyx sandbox"
