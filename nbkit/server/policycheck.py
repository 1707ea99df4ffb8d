"""Team policy in the server: every notebook saved through it is checked against the policy
(``[tool.nbkit.policy]`` and ``NbkitService.policy``) in the lint pool, and the verdict is kept
for ``GET /nbkit/api/policy``, which answers from it while nothing the verdict depends on has
changed (the notebook, its configuration, the manifests and files the rules read).

One :class:`TeamPolicy` per :class:`~nbkit.server.service.NbkitService`; the service hands it
the contents manager's post-save hook and the GET route.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ..errors import NbkitError
from .. import statsig
from .paths import ResolvedPath, ServiceError

if TYPE_CHECKING:
    from ..requests import LintRequest
    from .service import NbkitService

MAX_VERDICTS = 256  # verdicts kept (least recently checked dropped first)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class TeamPolicy:
    """The policy checks of one server's saves and the verdicts they made."""

    def __init__(self, service: NbkitService):
        self.service = service
        self._lock = threading.Lock()
        # the last verdict per API path, with what it was made from (see _made_from), and the
        # checks that saves started and that have not finished
        self._verdicts: collections.OrderedDict[str, tuple[tuple, dict]] = collections.OrderedDict()
        self._pending: dict[str, tuple[int, Future]] = {}
        self._save_count = 0

    def on_save(self, model: Any = None, os_path: Any = None, contents_manager: Any = None, **_: Any) -> None:
        """The contents manager's post-save hook: after a notebook is saved, check it against the
        team policy in the lint pool and keep the verdict for GET policy.

        Never modifies what was saved, never blocks or fails the save: this only queues work, and
        nothing it raises leaves it (jupyter_server would log it, but the save must not even
        wait for nbkit)."""
        try:
            if not isinstance(model, dict) or model.get("type") != "notebook":
                return
            api = model.get("path")
            if not isinstance(api, str) or not api.endswith(".ipynb"):
                return
            with self._lock:
                self._save_count += 1
                number = self._save_count
                large = isinstance(os_path, str) and self.service._is_large(ResolvedPath(api, os_path))
                future = self.service.lint_queue.submit(self._check_after_save, api, number, large=large, client=api)
                self._pending[api] = (number, future)
        except Exception:  # noqa: BLE001 - a save must never fail because of nbkit
            self.service.log.warning("nbkit: could not queue the policy check of a saved notebook", exc_info=True)

    def _check_after_save(self, api: str, number: int) -> None:
        try:
            try:
                rp = self.service.resolve(api)
            except ServiceError as e:  # hidden, or gone already: nothing to keep
                self.service.log.debug("nbkit: no policy check for %s: %s", api, e.message)
                return
            self._policy_safe(rp, "save")
        except Exception:  # noqa: BLE001 - never the save's problem
            self.service.log.exception("nbkit: the policy check of %s failed", api)
        finally:
            with self._lock:
                if self._pending.get(api, (None,))[0] == number:
                    del self._pending[api]

    def _made_from(self, rp: ResolvedPath) -> tuple:
        """What a verdict depends on: the notebook's stat signature, its configuration (the
        core's cache gives the same object while its pyproject.toml's bytes are unchanged) and
        what the rules that look outside the notebook read (manifests by their bytes, the files
        and folders around it, the installed distributions: the lint cache's outside
        fingerprint), so that a changed requirements file or a data file put in place gives a
        new verdict even though the notebook did not change."""
        from ..lintcache import outside_fingerprint

        try:
            cfg: Any = self.service._config_for(rp.os_path)
        except NbkitError as e:
            cfg = str(e)
        try:
            outside: str | None = outside_fingerprint(rp.os_path, {}, {})
        except OSError:
            outside = None  # (compared as never equal below: the notebook is checked again)
        return (statsig.of(rp.os_path), cfg, outside)

    def _policy_safe(self, rp: ResolvedPath, trigger: str) -> dict:
        """Check the notebook now and keep the verdict (a failure of nbkit's is its ``error``)."""
        from ..lintcache import recording_stats, stat_print

        made_from = self._made_from(rp)  # before reading: a change during the check is seen next time
        try:
            # the paths the rules stat (NBR013's inputs anywhere, ...) are part of what it depends on
            with recording_stats() as seen:
                verdict = self._policy_sync(rp, trigger)
        except Exception as e:  # noqa: BLE001 - the failure is the verdict, never the save's
            self.service.log.exception("nbkit: the policy check of %s failed", rp.api)
            verdict = self._failed_verdict(rp.api, e, trigger)
            seen = []
        stats = tuple((p, stat_print(p)) for p in dict.fromkeys(seen))
        self._remember(rp.api, (*made_from, stats), verdict)
        return verdict

    def _stored_or_check(self, rp: ResolvedPath) -> dict:
        from ..lintcache import stat_print

        made_from = self._made_from(rp)
        with self._lock:
            stored = self._verdicts.get(rp.api)
        if stored is not None:
            was = stored[0]
            if was[0] is not None and was[0] == made_from[0] and was[1] is made_from[1] \
                    and was[2] is not None and was[2] == made_from[2] \
                    and all(stat_print(p) == print_ for p, print_ in was[3]):
                return stored[1]
        return self._policy_safe(rp, "request")

    def _failed_verdict(self, api: str, e: BaseException, trigger: str) -> dict:
        from ..policy import NO_POLICY, PolicyResult

        out = PolicyResult(path=api, policy=NO_POLICY,
                           error=self.service.scrub(f"internal error in nbkit ({type(e).__name__}: {e}); see the server log"))
        return {**out.to_dict(), "checked_at": _now(), "trigger": trigger}

    def _remember(self, api: str, made_from: tuple, verdict: dict) -> None:
        with self._lock:
            self._verdicts[api] = (made_from, verdict)
            self._verdicts.move_to_end(api)
            while len(self._verdicts) > MAX_VERDICTS:
                self._verdicts.popitem(last=False)

    async def verdict(self, api_path: Any) -> dict:
        """GET policy: the verdict of the notebook's last save, when the file on disk and its
        configuration are still what it was made from; else (never checked, or changed since)
        the file checked now."""
        rp = self.service.resolve(api_path)
        with self._lock:
            pending = self._pending.get(rp.api)
        if pending is not None:
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(pending[1])), self.service.policy_wait_seconds)
            except Exception:  # noqa: BLE001 - a slow or failed check: the file is checked below
                pass
        return await self.service._off_loop(self._stored_or_check, rp, large=self.service._is_large(rp), client=rp.api)

    def _policy_sync(self, rp: ResolvedPath, trigger: str = "save") -> dict:
        """The notebook's verdict, as GET policy replies."""
        from ..policy import NO_POLICY, PolicyResult, resolve_policy
        from ..requests import LintRequest, lint_one

        extra = {"checked_at": _now(), "trigger": trigger}
        try:
            cfg = self.service._config_for(rp.os_path)
            configured = resolve_policy(cfg, self.service.policy or None).configured
        except NbkitError as e:
            return {**PolicyResult(path=rp.api, policy=NO_POLICY, error=self.service._api_message(e, rp)).to_dict(), **extra}
        request = LintRequest(paths=(rp.os_path,), config=cfg)
        if not configured:
            return {**PolicyResult(path=rp.api, policy=NO_POLICY).to_dict(), **extra}
        done = lint_one(request, parse_cache=self.service._parse_cache.for_notebook(rp.os_path))
        return {**self.service.scrub(self.verdict_of(request, done, rp)), **extra}

    def verdict_of(self, request: LintRequest, done, rp: ResolvedPath) -> dict:
        """The policy verdict of a finished lint (``done``) of ``request``: GET policy's reply,
        and the ``policy`` of the panel's status after a lint."""
        from ..requests import policy_for

        for e in done.result.errors:
            e.message = self.service._api_message(e, rp)
        return policy_for(request, done, server=self.service.policy or None, path=rp.api).to_dict()
