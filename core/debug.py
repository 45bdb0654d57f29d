"""The exception reporter Django uses for its DEBUG error pages (settings.DEFAULT_EXCEPTION_REPORTER).

Kept apart from core.exception_handler: Django imports it while configuring logging, before apps are ready.
"""

from django.utils.html import escape
from django.views.debug import ExceptionReporter


class NoTracebackReporter(ExceptionReporter):
    """With DEBUG on, Django answers an unhandled exception (or a refused Host header) with a page
    showing the traceback, settings and local variables. No response body may show those, so this
    reporter (settings.DEFAULT_EXCEPTION_REPORTER) answers with the request id only; the traceback is
    in the log, which is human-readable when DEBUG."""

    def get_traceback_text(self) -> str:
        request_id = getattr(self.request, "request_id", "") if self.request is not None else ""
        return f"Error. The details are in the server log under request id {request_id}.\n"

    def get_traceback_html(self) -> str:
        return f"<!doctype html><title>Error</title><p>{escape(self.get_traceback_text())}</p>"
