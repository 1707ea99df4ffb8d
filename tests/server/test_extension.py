"""Loading and configuring nbkit's jupyter_server extension; unknown routes; internal errors."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


# -- loading ------------------------------------------------------------------------------------

def test_extension_is_loaded_and_enabled(jp_serverapp):
    ext = jp_serverapp.extension_manager.extensions["nbkit"]
    assert ext.enabled and list(ext.extension_points) == ["nbkit.server"]
    assert "nbkit_service" in jp_serverapp.web_app.settings


def test_traitlets_configure_the_service(jp_server_config, jp_configurable_serverapp):
    jp_server_config.NbkitService.update(max_verify_jobs=3, default_timeout=12.5, job_ttl_seconds=7)
    app = jp_configurable_serverapp(config=jp_server_config)
    svc = app.web_app.settings["nbkit_service"]
    assert (svc.max_verify_jobs, svc.default_timeout, svc.job_ttl_seconds) == (3, 12.5, 7)
    assert "verify jobs" in type(svc).class_traits()["max_verify_jobs"].help


async def test_unknown_routes_and_jobs_are_json_404(api):
    status, rep = await api("nope")
    assert status == 404 and "no such nbkit API route" in rep["message"]
    status, rep = await api("verify/" + "a" * 32)
    assert status == 404 and "no verify job" in rep["message"]
    status, rep = await api("verify/" + "a" * 32, method="DELETE")
    assert status == 404


async def test_an_unexpected_failure_is_a_json_500_and_the_server_goes_on(api, service, monkeypatch):
    def boom():
        raise RuntimeError("registry exploded")

    monkeypatch.setattr(service, "rules", boom)
    status, rep = await api("rules")
    assert status == 500
    assert rep == {"message": "internal error in nbkit (RuntimeError: registry exploded); see the server log"}
    status, rep = await api("template")
    assert status == 200


class TestFreezeStartupHeap:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config.NbkitService.freeze_startup_heap = True
        return jp_server_config

    async def test_the_start_up_heap_is_frozen_once_the_loop_runs(self, api):
        import gc  # (test_template checks that nothing is frozen when the trait is off)

        try:
            status, _ = await api("rules")  # the event loop has run the start-up callback
            assert status == 200
            assert gc.get_freeze_count() > 10000
        finally:
            gc.unfreeze()


class TestFreezeAfterLint:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config.NbkitService.freeze_after_lint = True
        return jp_server_config

    async def test_what_a_lint_kept_is_frozen_after_its_reply_and_later_lints_agree(self, api, service):
        import gc
        import time

        from nbbuild import code, md, nb

        hold = service.lint_queue.hold
        try:
            cells = [md("# T")] + [code(f"import math\nv{k} = math.sqrt({k})\nprint(v{k})", count=k + 1)
                                   for k in range(30)]
            replies = []
            for edit in range(4):
                data = nb(*cells)
                data["cells"][1 + edit]["source"] += f"\nundefined_{edit} + 1"
                status, rep = await api("lint", {"path": "frozen.ipynb", "content": data})
                assert status == 200
                replies.append(rep["findings"])
            deadline = time.monotonic() + 30
            while hold.freezes < 4 and time.monotonic() < deadline:  # settle() runs after each reply
                time.sleep(0.01)
            assert hold.freezes >= 4 and gc.get_freeze_count() > 1000 and gc.isenabled()
            for edit, findings in enumerate(replies):  # each edited cell's undefined name, and only it
                assert [f["cell_index"] for f in findings if f["code"] == "NBR011"] == [1 + edit]
        finally:
            gc.unfreeze()
