from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Telnyx webhooks"

    def ready(self) -> None:
        # The order page's history shows the events: orders knows nothing of this app.
        from orders.selectors.history import history_source_register
        from webhooks.selectors import order_history_events

        history_source_register(order_history_events)
