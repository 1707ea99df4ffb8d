import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

# pytest-jupyter's server fixtures (jp_fetch, jp_serverapp, ...) for the server-extension tests.
# Registered here, once, because a plugin registered by a test module applies to the whole session.
pytest_plugins = ["pytest_jupyter.jupyter_server"]
