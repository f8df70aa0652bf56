"""The orders app: the cache of Telnyx number orders and everything people do with it."""

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Number orders"
