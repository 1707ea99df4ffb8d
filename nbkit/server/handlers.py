"""Thin tornado handlers for ``{base_url}/nbkit/api/``: parse the request, await the service,
finish.  Errors become HTTP statuses with a JSON ``{"message": ...}`` in one place:
:meth:`NbkitHandler.write_error`.

Authorisation follows jupyter_server's resources: reading notebooks (lint, policy, rules, template)
needs ``read`` on ``contents``; pin writes a notebook (``write`` on ``contents``); verify executes
the notebook's code in a kernel, so it needs what starting and using a kernel needs (``write``
and ``execute`` on ``kernels``).
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import NbkitError
from .service import NbkitService, ServiceError

JOB_ID = r"(?P<job_id>[0-9a-f]{32})"


@web.stream_request_body
class NbkitHandler(APIHandler):
    """Base handler: JSON bodies, the service, and the one place errors become statuses.

    Bodies are streamed: a ``Content-Length`` above ``NbkitService.max_body_bytes`` is refused
    before the body is read, a longer chunked body is counted and dropped, and the JSON is
    parsed off the event loop (:func:`~nbkit.server.service.parse_body`).
    """

    auth_resource = "contents"

    @property
    def service(self) -> NbkitService:
        return self.settings["nbkit_service"]

    async def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._received = 0
        await super().prepare()
        if self.request.method in ("POST", "PUT", "PATCH"):
            declared = self.request.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.service.max_body_bytes:
                # answer now (raising here would leave tornado waiting to read the body)
                self.log.warning("nbkit: %s %s -> 400: body of %s bytes refused", self.request.method,
                                 self.request.path, declared)
                self.set_status(400)
                self.set_header("Content-Type", "application/json")
                self.finish(json.dumps({"message": self.service.too_large(int(declared))}))

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received <= self.service.max_body_bytes:
            self._chunks.append(chunk)
        else:
            self._chunks = []  # too large: counted, not kept

    async def body(self, required: tuple[str, ...] = ("path",)) -> dict:
        """The JSON object in the request body, size-checked, or a 400 saying what is wrong."""
        if self._received > self.service.max_body_bytes:
            raise ServiceError(400, self.service.too_large(self._received))
        raw, self._chunks = b"".join(self._chunks), []
        return await self.service.parse_body(raw, required)

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    # -- errors ------------------------------------------------------------------------------------
    @staticmethod
    def _status_for(exc: BaseException | None, status: int) -> tuple[int, str]:
        if isinstance(exc, ServiceError):
            return exc.status, exc.message
        if isinstance(exc, web.HTTPError):
            message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
            return exc.status_code, message or (exc.reason or web.httputil.responses.get(exc.status_code, "error"))
        if isinstance(exc, NbkitError):
            return (500 if exc.exit_code == 3 else 400), str(exc)
        if exc is not None:
            return 500, f"internal error in nbkit ({type(exc).__name__}: {exc}); see the server log"
        return status, web.httputil.responses.get(status, "error")

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, (ServiceError, NbkitError)):
            self.log.warning("nbkit: %s %s -> %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, message = self._status_for(exc, status_code)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))


class LintHandler(NbkitHandler):
    @web.authenticated
    @authorized("read", resource="contents")
    async def post(self):
        size = self._received  # the body's bytes: how large an unsaved notebook is, for the lint queue
        data = await self.body()
        self.reply(await self.service.lint(data["path"], data.get("content"), data.get("profile"),
                                           data.get("ignore"), size=size))


class VerifyHandler(NbkitHandler):
    auth_resource = "kernels"

    @web.authenticated
    @authorized("write", resource="kernels")
    @authorized("execute", resource="kernels")
    async def post(self):
        data = await self.body()
        job = self.service.start_verify(data["path"], data.get("parameters"), data.get("timeout"),
                                         data.get("stamp", False), data.get("runs"), data.get("env"))
        self.set_header("Location", url_path_join(self.base_url, "nbkit/api/verify", job.id))
        self.reply({"job": job.id, "state": job.state}, status=202)

    @web.authenticated
    @authorized("read", resource="kernels")
    async def get(self):
        self.reply({"jobs": [j.to_dict() for j in self.service.jobs()]})


class VerifyJobHandler(NbkitHandler):
    auth_resource = "kernels"

    @web.authenticated
    @authorized("read", resource="kernels")
    async def get(self, job_id: str):
        self.reply(self.service.get_job(job_id).to_dict())

    @web.authenticated
    @authorized("write", resource="kernels")
    async def delete(self, job_id: str):
        self.reply((await self.service.cancel_job(job_id)).to_dict())


class PinHandler(NbkitHandler):
    @web.authenticated
    @authorized("write", resource="contents")
    async def post(self):
        data = await self.body()
        self.reply(await self.service.pin(data["path"], data.get("seed")))


class RulesHandler(NbkitHandler):
    @web.authenticated
    @authorized("read", resource="contents")
    async def get(self):
        self.reply(self.service.rules())


class TemplateHandler(NbkitHandler):
    @web.authenticated
    @authorized("read", resource="contents")
    async def get(self):
        self.reply(self.service.template())


class PolicyHandler(NbkitHandler):
    """GET policy?path=...: the notebook's team-policy verdict (checked after each save)."""

    @web.authenticated
    @authorized("read", resource="contents")
    async def get(self):
        path = self.get_query_argument("path", None)
        if path is None:
            raise ServiceError(400, "the query has no 'path' (GET nbkit/api/policy?path=analysis.ipynb)")
        self.reply(await self.service.policy_verdict(path))


class NotFoundHandler(NbkitHandler):
    """Unknown routes under nbkit/api/ answer JSON 404s (after authentication)."""

    @web.authenticated
    @authorized("read", resource="contents")
    async def get(self, rest: str):
        raise ServiceError(404, f"no such nbkit API route: {rest!r}")

    post = delete = get


def setup_handlers(web_app, service: NbkitService) -> None:
    web_app.settings["nbkit_service"] = service
    service.activity_settings = web_app.settings
    api = url_path_join(web_app.settings["base_url"], "nbkit", "api")
    web_app.add_handlers(".*$", [
        (url_path_join(api, "lint"), LintHandler),
        (url_path_join(api, "verify"), VerifyHandler),
        (url_path_join(api, "verify", JOB_ID), VerifyJobHandler),
        (url_path_join(api, "pin"), PinHandler),
        (url_path_join(api, "rules"), RulesHandler),
        (url_path_join(api, "template"), TemplateHandler),
        (url_path_join(api, "policy"), PolicyHandler),
        (url_path_join(api, "(?P<rest>.*)"), NotFoundHandler),
    ])
