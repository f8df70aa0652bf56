from django.urls import path

from orders import address_views, document_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path(
        "orders/<uuid:order_id>/requirements/",
        views.order_update,
        name="order_update",
    ),
    path(
        "orders/<uuid:order_id>/requirements/<uuid:requirement_id>/picker/",
        address_views.requirement_picker,
        name="requirement_picker",
    ),
    path(
        "orders/<uuid:order_id>/requirements/<uuid:requirement_id>/address/",
        address_views.address_create,
        name="address_create",
    ),
    path(
        "documents/<uuid:document_id>/download/",
        document_views.document_download,
        name="document_download",
    ),
    path("orders/<uuid:order_id>/refresh/", views.order_refresh, name="order_refresh"),
    path("sub-orders/<uuid:sub_order_id>/cancel/", views.sub_order_cancel, name="sub_order_cancel"),
    path("orders/changes/", views.order_changes, name="order_changes"),
    path("sync-status/", views.sync_status, name="sync_status"),
]
