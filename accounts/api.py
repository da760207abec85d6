"""API tokens: a script or a phone app trades a username and password for a token,
sends it as `Authorization: Bearer <key>` (or `Token <key>`), and revokes it when done.
"""

from django.contrib.auth import authenticate, user_logged_in
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from prevent_protect.rest import RefuseUnknownFields

from . import second_factor


class CredentialsRefused(exceptions.APIException):
    # One answer for a wrong password, an unknown user and a disabled account, so the
    # endpoint does not tell a stranger which accounts exist or are active.
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_credentials"
    default_detail = _("Unable to log in with provided credentials.")


class SecondFactorRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "second_factor_required"
    default_detail = _(
        "Ministry staff and administrators (and coordinators who turned two-step sign-in on) get a token "
        "only after the second factor: send the code your authenticator app shows as `otp_token`, "
        "or ask from a session that signed in with it."
    )


class SecondFactorNotSetUp(SecondFactorRequired):
    default_detail = _(
        "This account must set up two-step sign-in before it can have a token: sign in on the website, "
        "where the first sign-in sets it up, then ask again."
    )


class SecondFactorRefused(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "second_factor_refused"
    default_detail = _(
        "The second factor's code was not accepted. Send the code the app shows now (a new one comes every "
        "30 seconds) or an unused recovery code, and wait a few seconds after a wrong one."
    )


class CredentialsSerializer(RefuseUnknownFields, serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    otp_token = serializers.CharField(
        required=False,
        max_length=32,
        help_text=(
            "For ministry staff, administrators and coordinators who turned two-step sign-in on: the code "
            "their authenticator app shows, or one of their recovery codes."
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text="Send it as `Authorization: Bearer <token>` (or `Authorization: Token <token>`)."
    )


class TokenView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    @extend_schema(
        tags=["auth"],
        summary="Obtain a token",
        description=(
            "Trades a username and password for the user's token (the same one until it is revoked). "
            "Five failed attempts lock the account for an hour (429). Ministry staff and administrators "
            "also send `otp_token`, the code from their authenticator app (or call from a session that "
            "passed the second factor); without it they get 403 `second_factor_required`."
        ),
        request=CredentialsSerializer,
        responses={200: TokenSerializer},
        auth=[],
    )
    def post(self, request):
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        otp_token = credentials.validated_data.pop("otp_token", "")
        # The DRF request, not the Django one: django-axes counts the failure on it and flags a
        # lockout there, where its middleware (which would answer with the HTML lockout page) does
        # not look, so the lockout is answered below in the API's error shape.
        user = authenticate(request=request, **credentials.validated_data)
        if getattr(request, "axes_locked_out", False):
            raise exceptions.Throttled(
                detail=_(
                    "This account is locked for an hour after repeated failed logins. "
                    "Try again later, or reset your password."
                ),
                code="locked_out",
            )
        if user is None:
            raise CredentialsRefused()
        self.check_second_factor(request, user, otp_token)
        # A token is a login: this records last_login and lets django-axes clear the failures.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @staticmethod
    def check_second_factor(request, user, otp_token):
        """A token is a sign-in: for whoever needs the second factor, only with it."""
        enrolled = second_factor.has_second_factor(user)
        if not (user.requires_second_factor or enrolled):
            return
        if request.user.pk == user.pk and second_factor.is_verified(request.user):
            return  # a session that passed it, for the same person
        if not enrolled:
            raise SecondFactorNotSetUp()
        if not otp_token:
            raise SecondFactorRequired()
        if second_factor.second_factor_check(user, otp_token) is None:
            raise SecondFactorRefused()

    @extend_schema(
        tags=["auth"],
        summary="Revoke the token",
        description="Deletes the caller's token; requests that send it are then refused with 401.",
        request=None,
        responses={204: None},
    )
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [path("auth/token/", TokenView.as_view(), name="api-token")]
