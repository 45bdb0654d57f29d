"""A test-only URLconf: tiny DRF views whose responses keep or break their documented contract."""

from django.http import HttpResponse
from django.urls import include, path
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.schema import problem


class ContractWidgetOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    secret = serializers.CharField(write_only=True, required=False)


class ContractWidgetInputSerializer(serializers.Serializer):
    name = serializers.CharField()


WIDGET = {"id": "7b0a3c1e-2a52-4f5e-9a53-4d5a0d7c3f10", "name": "gear", "size": 3}


class IsEditorLike(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_staff)


class WidgetView(APIView):
    """Returns `WIDGET` changed by the `variant` path segment, so each test picks how the body breaks."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(responses={200: ContractWidgetOutputSerializer, 409: problem("Already there.")})
    def get(self, request, variant: str):
        variants = {
            "good": Response(WIDGET),
            "wrong-type": Response({**WIDGET, "size": "big"}),
            "missing-field": Response({"id": WIDGET["id"], "size": 1}),
            "bad-uuid": Response({**WIDGET, "id": "not-a-uuid"}),
            "write-only-leak": Response({**WIDGET, "secret": "s3cr3t"}),
            "undocumented-status": Response(WIDGET, status=202),
            "wrong-media": HttpResponse("gear", content_type="text/plain"),
            "conflict": Response({"detail": "x"}, status=409),
        }
        return variants[variant]


class GuardedWidgetView(APIView):
    """A write with every implied error: body, credentials, a custom permission, a path id, throttling."""

    permission_classes = [permissions.IsAuthenticated, IsEditorLike]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(request=ContractWidgetInputSerializer, responses={201: ContractWidgetOutputSerializer})
    def post(self, request, widget_id: str):
        return Response(WIDGET, status=201)  # pragma: no cover - only its schema is used


class PublicWidgetListView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(responses={200: ContractWidgetOutputSerializer})
    def get(self, request):
        return Response(WIDGET)  # pragma: no cover - only its schema is used


api_patterns = [
    path("widgets/", PublicWidgetListView.as_view(), name="widget-list"),
    path("widgets/<str:widget_id>/guarded/", GuardedWidgetView.as_view(), name="widget-guarded"),
    path("widgets/<str:variant>/", WidgetView.as_view(), name="widget-variant"),
]
urlpatterns = [path("api/v1/", include((api_patterns, "v1"), namespace="v1"))]
