"""nbkit's jupyter_server extension: the REST API behind the JupyterLab panel.

Routes under ``{base_url}/nbkit/api/`` (DESIGN.md, "Server extension"): ``lint``, ``verify``,
``verify/<job>``, ``pin``, ``rules``, ``template``.  ``pip install nbkit`` enables it through
``etc/jupyter/jupyter_server_config.d/nbkit.json``; settings are traits of
:class:`~nbkit.server.service.NbkitService` (``c.NbkitService.max_verify_jobs = 2``).
"""

from __future__ import annotations


def _jupyter_server_extension_points():
    return [{"module": "nbkit.server"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Create the service, store it in ``web_app.settings`` and register the handlers."""
    from .handlers import setup_handlers
    from .service import NbkitService

    cm = serverapp.contents_manager
    root = getattr(cm, "root_dir", None) or serverapp.root_dir
    service = NbkitService(root_dir=root, allow_hidden=bool(getattr(cm, "allow_hidden", False)),
                           kernel_spec_manager=getattr(serverapp, "kernel_spec_manager", None),
                           parent=serverapp, log=serverapp.log)
    setup_handlers(serverapp.web_app, service)
    if service.freeze_startup_heap and getattr(serverapp, "io_loop", None) is not None:
        serverapp.io_loop.add_callback(_freeze_startup_heap, serverapp.log)
    serverapp.log.info("nbkit: REST API at %snbkit/api/ (root %s, at most %d verify job(s) at once)",
                       serverapp.base_url, service.root_dir, service.max_verify_jobs)


def _freeze_startup_heap(log) -> None:
    """Runs once the event loop is going (every extension loaded): collect, then freeze."""
    import gc

    gc.collect()
    gc.freeze()
    log.debug("nbkit: %d start-up objects moved out of the garbage collector's way", gc.get_freeze_count())


load_jupyter_server_extension = _load_jupyter_server_extension  # the pre-2.0 name
