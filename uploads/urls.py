"""Routes of this app under /api/v1/ (included by config.api_v1)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
