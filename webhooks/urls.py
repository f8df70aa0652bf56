from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("telnyx/", views.telnyx, name="telnyx"),
]
