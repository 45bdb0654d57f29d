"""GET /api/v1/audit/events/ and /{id}/: the trail for auditors and admins. No write methods (405)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from audit.filters import AuditEventFilter
from audit.pagination import AuditEventCursorPagination
from audit.selectors import event_list
from audit.serializers import AuditEventOutputSerializer
from core.permissions import ActionPermission
from core.views import ApiViewSet

_VIEW = ["audit.view_auditevent"]


class AuditEventViewSet(ApiViewSet):
    """The tamper-evident audit trail, newest first."""

    serializer_class = AuditEventOutputSerializer
    pagination_class = AuditEventCursorPagination
    filterset_class = AuditEventFilter
    permission_classes = [ActionPermission]
    action_permissions = {"list": _VIEW, "retrieve": _VIEW, "metadata": _VIEW}
    lookup_value_converter = "int"

    def get_queryset(self):
        return event_list()

    @extend_schema(tags=["audit"], summary="List audit events (cursor-paginated, newest first)")
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["audit"], summary="One audit event")
    def retrieve(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)
