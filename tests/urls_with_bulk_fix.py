"""The site's URLs plus a stand-in for the bulk fix page another branch adds (`bulk_fix_new`), so
that the queue's link to it can be tested before the two meet."""

from django.http import HttpResponse
from django.urls import path

from ordersite.urls import urlpatterns as site

urlpatterns = [
    path("bulk-fix/new/", lambda request: HttpResponse(), name="bulk_fix_new"),
    *site,
]
