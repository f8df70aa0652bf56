"""The dashboard's pages and actions."""

from django.urls import path

from orders import (
    address_views,
    bulk_views,
    comment_views,
    document_views,
    export_views,
    group_views,
    preference_views,
    queue_views,
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/export/", export_views.order_list_export, name="order_list_export"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path(
        "orders/<uuid:order_id>/export/",
        export_views.order_numbers_export,
        name="order_numbers_export",
    ),
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
    path(
        "sub-orders/<uuid:sub_order_id>/requirement-group/",
        group_views.requirement_group_attach,
        name="requirement_group_attach",
    ),
    path(
        "sub-orders/<uuid:sub_order_id>/comments/", comment_views.comment_post, name="comment_post"
    ),
    path(
        "comments/<uuid:comment_id>/read/",
        comment_views.comment_mark_read,
        name="comment_mark_read",
    ),
    path("queue/", queue_views.queue, name="queue"),
    path("queue/export/", queue_views.queue_export, name="queue_export"),
    path("settings/", preference_views.preferences, name="preferences"),
    path("orders/changes/", views.order_changes, name="order_changes"),
    path("sync-status/", views.sync_status, name="sync_status"),
    path("bulk-fixes/new/", bulk_views.bulk_fix_new, name="bulk_fix_new"),
    path("bulk-fixes/<int:bulk_fix_id>/", bulk_views.bulk_fix_detail, name="bulk_fix_detail"),
    path("bulk-fixes/<int:bulk_fix_id>/retry/", bulk_views.bulk_fix_retry, name="bulk_fix_retry"),
]
