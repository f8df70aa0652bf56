"""The admin's base for what the site lists there but never edits."""

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """The cache mirrors Telnyx (edits belong upstream, or in the dashboard's own actions), and
    the audit entries and webhook events are evidence: the admin only shows them."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
