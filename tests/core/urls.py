"""A test-only URLconf: tiny DRF views that exercise the cross-cutting error handling under /api/."""

import errno
import logging

import redis
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django_redis.exceptions import ConnectionInterrupted
from drf_spectacular.utils import extend_schema
from psycopg_pool import PoolTimeout
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import StrictSerializer
from core.throttles import AnonThrottle

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiNDIiLCJ0b2tlbl90eXBlIjoiYWNjZXNzIn0."
    "c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw"
)
API_KEY = "ck_Ab3dEf6hIjKlMnOpQrStUvWxYz0123456789-_abcd"
PASSWORD = "correct horse battery staple 42!"
SECRET_FIXTURES = (JWT, PASSWORD, API_KEY)
logger = logging.getLogger("tests.core")


class CoreEchoInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=20)
    tags = serializers.ListField(child=serializers.CharField(max_length=5), required=False)


class CoreEchoOutputSerializer(serializers.Serializer):
    name = serializers.CharField()


class OncePerMinuteThrottle(AnonThrottle):
    rate = "1/min"


class EchoView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []

    @extend_schema(request=CoreEchoInputSerializer, responses={201: CoreEchoOutputSerializer})
    def post(self, request):
        serializer = CoreEchoInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"name": serializer.validated_data["name"]}, status=201)


class ThrottledView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [OncePerMinuteThrottle]

    @extend_schema(responses={200: CoreEchoOutputSerializer})
    def get(self, request):
        return Response({"name": "ok"})


class BoomView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(responses={200: CoreEchoOutputSerializer})
    def get(self, request):
        raise RuntimeError("SELECT password FROM accounts_user -- internal detail")


class DatabaseDownView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(responses={200: CoreEchoOutputSerializer})
    def get(self, request):
        raise OperationalError("connection to server at 10.0.0.5 port 5432 failed: Connection refused")


class LeakyView(APIView):
    """Careless code: logs the headers and the body, then fails with a key in the message."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(request=CoreEchoInputSerializer, responses={200: CoreEchoOutputSerializer})
    def post(self, request):
        logger.warning("incoming headers %s", dict(request.headers))
        logger.warning("incoming body", extra={"body": request.data})
        raise RuntimeError(f"credentials rejected: {dict(request.data)}")


class FailingDependencyView(APIView):
    """Raises what the `failure` path segment names, as a dependency would."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []
    failures = {
        "redis-down": lambda: ConnectionInterrupted(connection=None),
        "redis-timeout": lambda: redis.exceptions.TimeoutError("Timeout reading from 10.0.0.6:6379"),
        "pool-timeout": lambda: PoolTimeout("couldn't get a connection after 5.00 sec"),
        "disk-full": lambda: OSError(errno.ENOSPC, "No space left on device", "/srv/media/blob"),
    }

    @extend_schema(responses={200: CoreEchoOutputSerializer})
    def get(self, request, failure: str):
        raise self.failures[failure]()


def plain_boom(request):
    raise RuntimeError("internal detail of a page")


@csrf_exempt
def plain_form(request):
    return HttpResponse(f"{len(request.POST)} fields")


api_patterns = [
    path("echo/", EchoView.as_view(), name="echo"),
    path("throttled/", ThrottledView.as_view(), name="throttled"),
    path("boom/", BoomView.as_view(), name="boom"),
    path("database-down/", DatabaseDownView.as_view(), name="database-down"),
    path("leaky/", LeakyView.as_view(), name="leaky"),
    path("failing/<str:failure>/", FailingDependencyView.as_view(), name="failing"),
]
urlpatterns = [
    path("api/v1/", include((api_patterns, "v1"), namespace="v1")),
    path("page/boom/", plain_boom),
    path("api/plain-form/", plain_form),
]
