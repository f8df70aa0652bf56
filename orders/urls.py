from django.urls import path

from orders import views

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path("orders/changes/", views.order_changes, name="order_changes"),
    path("sync-status/", views.sync_status, name="sync_status"),
    path("healthz", views.healthz, name="healthz"),
]
