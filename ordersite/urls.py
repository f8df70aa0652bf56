from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ordersite import views

# Not django.contrib.auth.urls: no e-mail is configured, so its password reset could only fail
# (or, once mail works, mail reset links to whoever knows a user's address).
accounts = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts)),
    path("webhooks/", include("webhooks.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("orders.urls")),
]
