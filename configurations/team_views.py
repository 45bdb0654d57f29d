"""HTTP views of namespace members, change requests and environment diffs (thin: validate, call, serialize)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from configurations import change_requests, history, members, selectors
from configurations.models import SLUG_PATTERN, ChangeRequest, NamespaceMember
from configurations.team_serializers import (
    ChangeRequestCreateInputSerializer,
    ChangeRequestOutputSerializer,
    ChangeRequestUpdateInputSerializer,
    DiffOutputSerializer,
    MemberCreateInputSerializer,
    MemberOutputSerializer,
    MemberUpdateInputSerializer,
)
from configurations.views import ConfigurationViewSet
from core.errors import ValidationError
from core.schema import problem
from core.views import validated


class MemberViewSet(ConfigurationViewSet):
    """Members of a namespace and their role in it (global admins and namespace admins manage them)."""

    queryset = NamespaceMember.objects.none()
    lookup_url_kwarg = "user_id"
    lookup_value_converter = "uuid"
    action_permissions = {
        "list": ["configurations.view_namespacemember"],
        "create": ["configurations.add_namespacemember"],
        "partial_update": ["configurations.change_namespacemember"],
        "destroy": ["configurations.delete_namespacemember"],
    }

    @extend_schema(summary="List a namespace's members", responses={200: MemberOutputSerializer(many=True)})
    def list(self, request: Request, ns: str) -> Response:
        page = self.paginate_queryset(members.member_list(namespace=selectors.namespace_get(slug=ns)))
        return self.get_paginated_response(MemberOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Give a user a role in this namespace",
        request=MemberCreateInputSerializer,
        responses={201: MemberOutputSerializer, 409: problem("The user is a member already (member_exists).")},
    )
    def create(self, request: Request, ns: str) -> Response:
        namespace = selectors.namespace_get(slug=ns)
        data = validated(MemberCreateInputSerializer, request)
        member = members.member_add(
            namespace=namespace, user_id=data["user"], role=data["role"], actor=request.user, request=request
        )
        return Response(MemberOutputSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a member's role", request=MemberUpdateInputSerializer, responses={200: MemberOutputSerializer}
    )
    def partial_update(self, request: Request, ns: str, user_id: str) -> Response:
        member = members.member_get(namespace=selectors.namespace_get(slug=ns), user_id=user_id)
        data = validated(MemberUpdateInputSerializer, request)
        member = members.member_change(member=member, role=data["role"], actor=request.user, request=request)
        return Response(MemberOutputSerializer(member).data)

    @extend_schema(summary="Remove a member (effective on their next request)", responses={204: None})
    def destroy(self, request: Request, ns: str, user_id: str) -> Response:
        member = members.member_get(namespace=selectors.namespace_get(slug=ns), user_id=user_id)
        members.member_remove(member=member, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


NOT_OPEN = problem("The change request is no longer open (change_request_not_open).")


class ChangeRequestViewSet(ConfigurationViewSet):
    """Reviewed, multi-entry changes of an environment; the only way to change a protected one."""

    queryset = ChangeRequest.objects.none()
    lookup_value_converter = "int"
    action_permissions = {
        "list": ["configurations.view_changerequest"],
        "retrieve": ["configurations.view_changerequest"],
        "create": ["configurations.add_changerequest"],
        "partial_update": ["configurations.change_changerequest"],
        "approve": ["configurations.approve_changerequest"],
        "reject": ["configurations.approve_changerequest"],
        "apply": ["configurations.change_changerequest"],
    }

    def _get(self, pk: int) -> ChangeRequest:
        return change_requests.change_request_get(environment=self.environment(), pk=pk)

    def _out(self, change_request: ChangeRequest, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(ChangeRequestOutputSerializer(change_request).data, status=status_code)

    @extend_schema(
        summary="List change requests, newest first", responses={200: ChangeRequestOutputSerializer(many=True)}
    )
    def list(self, request: Request, ns: str, env: str) -> Response:
        environment = self.environment()
        page = self.paginate_queryset(change_requests.change_request_list(environment=environment))
        for change_request in page:
            change_request.environment = environment
        return self.get_paginated_response(ChangeRequestOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Propose changes (works on unprotected environments too)",
        request=ChangeRequestCreateInputSerializer,
        responses={201: ChangeRequestOutputSerializer},
    )
    def create(self, request: Request, ns: str, env: str) -> Response:
        environment = self.environment()
        data = validated(ChangeRequestCreateInputSerializer, request)
        change_request = change_requests.change_request_create(
            environment=environment, **data, actor=request.user, request=request
        )
        return self._out(change_request, status.HTTP_201_CREATED)

    @extend_schema(summary="Get a change request", responses={200: ChangeRequestOutputSerializer})
    def retrieve(self, request: Request, ns: str, env: str, pk: int) -> Response:
        return self._out(self._get(pk))

    @extend_schema(
        summary="Edit an open change request (author only); every approval is withdrawn",
        request=ChangeRequestUpdateInputSerializer,
        responses={200: ChangeRequestOutputSerializer, 409: NOT_OPEN},
    )
    def partial_update(self, request: Request, ns: str, env: str, pk: int) -> Response:
        change_request = self._get(pk)
        data = validated(ChangeRequestUpdateInputSerializer, request)
        change_request = change_requests.change_request_update(
            change_request=change_request, fields=data, actor=request.user, request=request
        )
        return self._out(self._get(change_request.pk))

    @extend_schema(
        summary="Approve (not the author; twice counts once)",
        request=None,
        responses={200: ChangeRequestOutputSerializer, 409: NOT_OPEN},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, ns: str, env: str, pk: int) -> Response:
        change_requests.change_request_approve(change_request=self._get(pk), actor=request.user, request=request)
        return self._out(self._get(pk))

    @extend_schema(
        summary="Reject (not the author)", request=None, responses={200: ChangeRequestOutputSerializer, 409: NOT_OPEN}
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, ns: str, env: str, pk: int) -> Response:
        change_requests.change_request_reject(change_request=self._get(pk), actor=request.user, request=request)
        return self._out(self._get(pk))

    @extend_schema(
        summary="Apply all changes in one transaction, or schedule them (scheduled_at)",
        request=None,
        responses={
            200: ChangeRequestOutputSerializer,
            409: problem(
                "Not open, not enough approvals (not_enough_approvals) or a stale if_version (stale_version)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, ns: str, env: str, pk: int) -> Response:
        change_requests.change_request_apply(change_request=self._get(pk), actor=request.user, request=request)
        return self._out(self._get(pk))


class DiffViewSet(ConfigurationViewSet):
    """What turns another environment's resolved document into this one's."""

    queryset = NamespaceMember.objects.none()
    action_permissions = {"diff": ["configurations.view_entry"]}

    @extend_schema(
        summary="Diff against another environment of the namespace",
        parameters=[
            OpenApiParameter(
                "against",
                {"type": "string", "pattern": rf"^{SLUG_PATTERN}$"},
                OpenApiParameter.QUERY,
                required=True,
                description="The slug of the environment to compare with (404 when it is not there).",
            )
        ],
        responses={200: DiffOutputSerializer},
    )
    @action(detail=False, methods=["get"])
    def diff(self, request: Request, ns: str, env: str) -> Response:
        environment = self.environment()
        against_slug = request.query_params.get("against", "")
        if not against_slug:
            raise ValidationError({"against": "Name the environment to compare with."}, code="required")
        against = selectors.environment_get(namespace_slug=ns, slug=against_slug)
        clear = self.reveals()
        body, revealed = history.environment_diff(environment=environment, against=against, clear=clear)
        if revealed:
            self.audit_reveal(environment, revealed)
        return Response(body)
