"""nbkit's jupyter_server extension: the REST API behind the JupyterLab panel.

Routes under ``{base_url}/nbkit/api/`` (DESIGN.md, "Server extension"): ``lint``, ``verify``,
``verify/<job>``, ``pin``, ``rules``, ``template``, ``policy``.  After every save through the
contents API a post-save hook checks the notebook against the team policy (``policy``); it is
added next to any hook the user configured, never in its place.  ``pip install nbkit`` enables it through
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
    _register_save_hook(cm, service, serverapp.log)
    if service.freeze_startup_heap and getattr(serverapp, "io_loop", None) is not None:
        serverapp.io_loop.add_callback(_freeze_startup_heap, serverapp.log)
    serverapp.log.info("nbkit: REST API at %snbkit/api/ (root %s, at most %d verify job(s) at once)",
                       serverapp.base_url, service.root_dir, service.max_verify_jobs)


def _register_save_hook(cm, service, log) -> None:
    """Add the team-policy check to the contents manager's post-save hooks.  ``register_post_save_hook``
    appends to a list run after ``ContentsManager.post_save_hook`` (the user's), so both run."""
    register = getattr(cm, "register_post_save_hook", None)
    if register is None:
        log.warning("nbkit: the contents manager (%s) has no post-save hooks; the team policy is checked "
                    "only when asked (GET nbkit/api/policy)", type(cm).__name__)
        return
    try:
        register(service.on_save)
    except Exception:  # noqa: BLE001 - the REST API works without the hook
        log.warning("nbkit: could not register the post-save hook; the team policy is checked only when asked",
                    exc_info=True)


def _freeze_startup_heap(log) -> None:
    """Runs once the event loop is going (every extension loaded): collect, then freeze."""
    import gc

    gc.collect()
    gc.freeze()
    log.debug("nbkit: %d start-up objects moved out of the garbage collector's way", gc.get_freeze_count())


load_jupyter_server_extension = _load_jupyter_server_extension  # the pre-2.0 name
