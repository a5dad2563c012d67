from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from perfmgmt import views
from perfmgmt.oidc import SsoCallback, SsoStart

org_patterns: list[URLPattern | URLResolver] = [
    path("settings/", views.org_settings, name="org-settings"),
    path("settings/api-keys/", views.api_keys, name="api-keys"),
    path("settings/api-keys/<uuid:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path(
        "settings/api-keys/<uuid:key_id>/take-over/",
        views.api_key_take_over,
        name="api-key-take-over",
    ),
    path("", include("metrics.urls_cascade")),
    path("", include("objectives.urls")),
    path("", include("metrics.urls")),
    path("", include("reviews.urls")),
    path("people/", include("reviews.people.urls")),
]

urlpatterns = [
    path("", views.org_picker, name="org-picker"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("oidc/authenticate/", SsoStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", SsoCallback.as_view(), name="oidc_authentication_callback"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", views.two_factor, name="two-factor"),
    path("accounts/two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("o/<slug:org_slug>/", include(org_patterns)),
    path("api/", include("perfmgmt.api_urls")),
]

# Errors outside a DRF view: JSON under /api/, the site's page elsewhere (perfmgmt/errors.py).
handler400 = "perfmgmt.errors.bad_request"
handler403 = "perfmgmt.errors.permission_denied"
handler404 = "perfmgmt.errors.page_not_found"
handler500 = "perfmgmt.errors.server_error"
