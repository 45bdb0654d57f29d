"""HTTP views of webhooks (namespace admins and global admins)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from configurations import selectors
from configurations.views import ConfigurationViewSet
from core.views import validated
from webhooks import services
from webhooks.models import Webhook
from webhooks.serializers import (
    WebhookCreatedOutputSerializer,
    WebhookCreateInputSerializer,
    WebhookDeliveryOutputSerializer,
    WebhookOutputSerializer,
    WebhookUpdateInputSerializer,
)


class WebhookViewSet(ConfigurationViewSet):
    """A namespace's webhooks (Standard Webhooks deliveries of configuration events)."""

    queryset = Webhook.objects.none()
    lookup_url_kwarg = "webhook_id"
    lookup_value_converter = "uuid"
    action_permissions = {
        "list": ["webhooks.view_webhook"],
        "retrieve": ["webhooks.view_webhook"],
        "create": ["webhooks.add_webhook"],
        "partial_update": ["webhooks.change_webhook"],
        "destroy": ["webhooks.delete_webhook"],
        "deliveries": ["webhooks.view_webhook"],
        "redeliver": ["webhooks.change_webhook"],
    }

    def _webhook(self, webhook_id: uuid.UUID) -> Webhook:
        return services.webhook_get(namespace=selectors.namespace_get(slug=self.kwargs["ns"]), webhook_id=webhook_id)

    @extend_schema(summary="List the namespace's webhooks", responses={200: WebhookOutputSerializer(many=True)})
    def list(self, request: Request, ns: str) -> Response:
        page = self.paginate_queryset(services.webhook_list(namespace=selectors.namespace_get(slug=ns)))
        return self.get_paginated_response(WebhookOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a webhook; its signing secret is in this response only",
        request=WebhookCreateInputSerializer,
        responses={201: WebhookCreatedOutputSerializer},
    )
    def create(self, request: Request, ns: str) -> Response:
        namespace = selectors.namespace_get(slug=ns)
        data = validated(WebhookCreateInputSerializer, request)
        webhook, secret = services.webhook_create(namespace=namespace, **data, actor=request.user, request=request)
        webhook.secret = secret
        return Response(WebhookCreatedOutputSerializer(webhook).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Get a webhook (never its secret)", responses={200: WebhookOutputSerializer})
    def retrieve(self, request: Request, ns: str, webhook_id: uuid.UUID) -> Response:
        return Response(WebhookOutputSerializer(self._webhook(webhook_id)).data)

    @extend_schema(
        summary="Change a webhook", request=WebhookUpdateInputSerializer, responses={200: WebhookOutputSerializer}
    )
    def partial_update(self, request: Request, ns: str, webhook_id: uuid.UUID) -> Response:
        webhook = self._webhook(webhook_id)
        data = validated(WebhookUpdateInputSerializer, request)
        webhook = services.webhook_update(webhook=webhook, fields=data, actor=request.user, request=request)
        return Response(WebhookOutputSerializer(webhook).data)

    @extend_schema(summary="Delete a webhook", responses={204: None})
    def destroy(self, request: Request, ns: str, webhook_id: uuid.UUID) -> Response:
        services.webhook_delete(webhook=self._webhook(webhook_id), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The webhook's deliveries, newest first", responses={200: WebhookDeliveryOutputSerializer(many=True)}
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, ns: str, webhook_id: uuid.UUID) -> Response:
        page = self.paginate_queryset(services.delivery_list(webhook=self._webhook(webhook_id)))
        return self.get_paginated_response(WebhookDeliveryOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Queue a delivery again (same webhook-id)",
        request=None,
        responses={202: WebhookDeliveryOutputSerializer},
    )
    @action(detail=True, methods=["post"], url_path="deliveries/<uuid:delivery_id>/redeliver")
    def redeliver(self, request: Request, ns: str, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> Response:
        delivery = services.delivery_get(webhook=self._webhook(webhook_id), delivery_id=delivery_id)
        delivery = services.delivery_redeliver(delivery=delivery, actor=request.user, request=request)
        return Response(WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
