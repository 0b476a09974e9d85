from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.LoginCodeView.as_view(), name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("tokens/", views.TokensView.as_view(), name="tokens"),
    path("tokens/new/", views.TokenCreateView.as_view(), name="token_create"),
    path("tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    path("2fa/", views.TwoFactorView.as_view(), name="two_factor"),
    path("2fa/setup/", views.TwoFactorSetupView.as_view(), name="two_factor_setup"),
    path("2fa/confirm/", views.TwoFactorConfirmView.as_view(), name="two_factor_confirm"),
    path("2fa/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("2fa/disable/", views.TwoFactorDisableView.as_view(), name="two_factor_disable"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_changed"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_changed.html"),
        name="password_changed",
    ),
]
