"""Pinned environments (issue 13): real uv builds from a notebook's pins, the cache, the file lock,
untrusted pins refused, clear failures naming the pin. These tests install from the package
index uv is configured with (PyPI here)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest
from nbbuild import code, md, nb, write

from nbkit.environments import (
    EnvSpec,
    PinnedEnvError,
    ensure_env,
    list_envs,
    parse_pep723,
    prune,
    spec_from_notebook,
)


def _meta(packages: dict, python: str = "3.11.7") -> dict:
    return {"nbkit": {"environment": {"python": python, "implementation": "CPython", "platform": "linux-x86_64",
                                      "packages": packages}}}


@pytest.fixture(autouse=True)
def env_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NBKIT_ENV_CACHE", str(tmp_path / "envs"))
    return tmp_path / "envs"


# -- pins are untrusted input ----------------------------------------------------------------------

@pytest.mark.parametrize("packages", [
    {"evil": "https://example.invalid/evil-1.0-py3-none-any.whl"},
    {"evil": "../../wheels/evil.whl"},
    {"evil": "1.0 ; python_version>'3'"},
    {"evil": ">=1.0"},
    {"git+https://example.invalid/x": "1.0"},
    {"../x": "1.0"},
    {"x y": "1.0"},
    {"-e": "1.0"},
    {"six": 1},
])
def test_only_exact_pins_of_distribution_names_are_accepted(packages):
    with pytest.raises(PinnedEnvError) as err:
        spec_from_notebook(_meta(packages))
    assert "metadata.nbkit.environment" in str(err.value)


def test_spec_key_depends_on_python_platform_and_sorted_pins():
    a = spec_from_notebook(_meta({"six": "1.16.0", "attrs": "23.1.0"}))
    b = spec_from_notebook(_meta({"attrs": "23.1.0", "six": "1.16.0"}, python="3.11.2"))
    c = spec_from_notebook(_meta({"six": "1.16.0", "attrs": "23.1.0"}, python="3.12.1"))
    assert a.key == b.key and a.key != c.key
    assert a.requirements() == ["attrs==23.1.0", "six==1.16.0"]
    assert EnvSpec("3.11", a.packages, platform="win-amd64").key != a.key


def test_pep723_block_of_a_juv_notebook_is_read_as_pins():
    src = textwrap.dedent("""\
        # /// script
        # requires-python = ">=3.11"
        # dependencies = [
        #     "six==1.16.0",
        #     "attrs == 23.1.0",
        # ]
        # ///
        import six
    """)
    assert parse_pep723(src)["dependencies"] == ["six==1.16.0", "attrs == 23.1.0"]
    spec = spec_from_notebook({}, src)
    assert spec.source == "pep723" and spec.python == "3.11"
    assert dict(spec.packages) == {"six": "1.16.0", "attrs": "23.1.0"}
    with pytest.raises(PinnedEnvError, match="not an exact pin"):
        spec_from_notebook({}, src.replace('"six==1.16.0"', '"six>=1"'))
    assert spec_from_notebook({}, "import six") is None


# -- real builds -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_build_is_isolated_and_the_second_use_comes_from_the_cache(env_cache):
    spec = spec_from_notebook(_meta({"six": "1.16.0"}))
    first = ensure_env(spec)
    assert first.built and first.installed["six"] == "1.16.0" and "ipykernel" in first.installed
    probe = subprocess.run([str(first.python), "-c", "import six, ipykernel; print(six.__version__)"],
                           capture_output=True, text=True)
    assert probe.stdout.strip() == "1.16.0", probe.stderr
    # nothing of the outer site-packages leaks in: pytest is installed out here, not in there
    leak = subprocess.run([str(first.python), "-c", "import pytest"], capture_output=True, text=True)
    assert leak.returncode != 0 and "No module named 'pytest'" in leak.stderr
    started = time.monotonic()
    second = ensure_env(spec)
    assert not second.built and second.path == first.path
    assert time.monotonic() - started < 1.0
    listed = list_envs()
    assert [e["key"] for e in listed] == [spec.key] and listed[0]["packages"] == {"six": "1.16.0"}
    assert prune(older_than_days=1) == []
    assert prune() == [spec.key] and list_envs() == []


@pytest.mark.slow
def test_concurrent_verifies_build_the_same_environment_once(tmp_path, env_cache):
    script = textwrap.dedent("""
        import json, sys
        from nbkit.environments import ensure_env, spec_from_notebook
        spec = spec_from_notebook(json.loads(sys.argv[1]))
        print(json.dumps({"built": ensure_env(spec).built}))
    """)
    meta = json.dumps(_meta({"six": "1.16.0"}))
    procs = [subprocess.Popen([sys.executable, "-c", script, meta], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    assert sorted(o["built"] for o in outs) == [False, False, True]
    assert len(list_envs()) == 1
    assert not [p for p in env_cache.iterdir() if ".partial-" in p.name]


@pytest.mark.slow
def test_an_uninstallable_pin_fails_fast_and_names_the_package():
    spec = spec_from_notebook(_meta({"six": "1.16.0", "nbkit-no-such-distribution-xyz": "1.0"}))
    started = time.monotonic()
    with pytest.raises(PinnedEnvError) as err:
        ensure_env(spec)
    assert time.monotonic() - started < 120
    assert err.value.package == "nbkit-no-such-distribution-xyz"
    assert "nbkit-no-such-distribution-xyz" in str(err.value) and "\n" not in str(err.value)
    assert list_envs() == []


@pytest.mark.slow
def test_an_sdist_only_pin_is_refused_without_allow_build():
    # PyYAML 5.3.1 has no wheel for CPython 3.11 on Linux: only its source distribution fits
    spec = spec_from_notebook(_meta({"PyYAML": "5.3.1"}))
    with pytest.raises(PinnedEnvError) as err:
        ensure_env(spec)
    assert err.value.package == "PyYAML" and "--allow-build" in str(err.value)


@pytest.mark.slow
def test_env_command_builds_lists_and_prunes(tmp_path):
    path = write(tmp_path / "pinned.ipynb", nb(md("# T"), code("import six", count=1), metadata=_meta({"six": "1.16.0"})))
    run = lambda *a: subprocess.run([sys.executable, "-m", "nbkit", "env", *a], capture_output=True, text=True,  # noqa: E731
                                    env=os.environ)
    res = run("build", str(path))
    assert res.returncode == 0 and "built in" in res.stdout and "six 1.16.0" in res.stdout, res.stderr
    assert "from the cache" in run("build", str(path)).stdout
    key = run("path", str(path)).stdout.strip().rsplit("/", 1)[-1]
    assert key in run("list").stdout
    assert json.loads(run("list", "--format", "json").stdout)["environments"][0]["key"] == key
    unpinned = write(tmp_path / "bare.ipynb", nb(md("# T")))
    res = run("build", str(unpinned))
    assert res.returncode == 2 and "bare.ipynb" in res.stderr and "nbkit pin" in res.stderr
    assert "Traceback" not in res.stderr
    assert f"removed 1 environment: {key}" in run("prune").stdout


@pytest.mark.slow
@pytest.mark.kernel
def test_a_kernel_runs_in_the_pinned_environment_with_nbkit_magics(tmp_path):
    import asyncio

    from nbkit.environments import KERNEL_NAME, nbkit_path_dir
    from nbkit.verify.execute import KernelKey, start_kernel

    env = ensure_env(spec_from_notebook(_meta({"six": "1.16.0"})))
    key = KernelKey(KERNEL_NAME, str(tmp_path), spec_dir=str(env.kernel_dir), pythonpath=str(nbkit_path_dir()),
                    venv=str(env.path))
    code_ = ("import sys, six\nprint(sys.prefix, six.__version__)\n"
             # activated: a shell command in a cell finds the environment's interpreter first
             "get_ipython().system('python -c \"import sys; print(\\'shell:\\', sys.prefix)\"')\n"
             "import os\nprint('VIRTUAL_ENV:', os.environ.get('VIRTUAL_ENV'))\n"
             # no installs from a pinned run: not with the outer pip, not into the cached environment
             "get_ipython().system('pip --version')\nget_ipython().system('pip3 --version')\n"
             "get_ipython().system('uv pip --version')\nget_ipython().system('uv --version')\n"
             "try:\n    import pytest\nexcept ImportError:\n    print('no pytest')\n"
             "get_ipython().run_line_magic('load_ext', 'nbkit')\n"
             "get_ipython().run_line_magic('nbkit', 'seed 3')\n"
             "import random\nprint(random.random())")
    out: list[str] = []

    async def go():
        k = await start_kernel(key)
        try:
            await k.kc.execute_interactive(code_, timeout=60, output_hook=lambda m: out.append(
                m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        finally:
            await k.kill()
    asyncio.run(go())
    text = "".join(out)
    import random
    random.seed(3)
    assert f"{env.path} 1.16.0" in text and "no pytest" in text, text
    lines = text.replace("\r\n", "\n").split("\n")  # (a shell command's output ends its lines with \r\n)
    assert f"shell: {env.path}" in lines and f"VIRTUAL_ENV: {env.path}" in lines, text
    assert "seeded random with 3" in text and repr(random.random()) in text, text
    refused = "is turned off in a pinned environment (verify --env pinned)"
    assert f"pip {refused}" in text and "not run: pip --version" in text and "not run: pip3 --version" in text, text
    assert f"uv pip {refused}" in text and "not run: uv pip --version" in text, text
    assert not re.search(r"^pip \d", text, re.M), text  # the outer pip's `pip X.Y from PATH` line
    assert any(line.startswith("uv 0.") or line.startswith("uv 1.") for line in lines), text  # other uv commands run


def _verify_json(*args):
    res = subprocess.run([sys.executable, "-m", "nbkit", "verify", "--format", "json", *args],
                         capture_output=True, text=True, timeout=900)
    return res, json.loads(res.stdout)


@pytest.mark.slow
@pytest.mark.kernel
def test_verify_env_pinned_reproduces_what_the_current_environment_does_not(tmp_path):
    """A notebook made under pandas 2.1.4 / numpy 1.26.4 (outputs stored by a real run there)
    does not reproduce under today's pandas, and does with --env pinned."""
    import pandas

    assert not pandas.__version__.startswith("2.1.")
    src = "import pandas as pd\ndf = pd.DataFrame({'a': ['x', 'y']})\nprint(df.dtypes)"
    path = write(tmp_path / "made_with_pandas2.ipynb",
                 nb(md("# T"), code(src), code("import numpy as np\nprint(np.arange(4).sum())"),
                    metadata={**_meta({"pandas": "2.1.4", "numpy": "1.26.4"}),
                              "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}))
    res, report = _verify_json("--env", "pinned", "--update", str(path))  # store genuine outputs from 2.1.4
    assert res.returncode == 0, (res.stderr, report)
    stored = json.loads(path.read_text())["cells"][1]["outputs"][0]["text"]
    assert "a    object" in "".join(stored)

    res, report = _verify_json(str(path))  # today's environment: pandas drifted
    nb_ = report["notebooks"][0]
    assert res.returncode == 1 and nb_["status"] == "mismatch"
    assert {d["package"] for d in nb_["drift"]} >= {"pandas"}
    assert [c["index"] for c in nb_["cells"] if c["status"] == "mismatch"] == [1]

    res, report = _verify_json("--env", "pinned", str(path))
    nb_ = report["notebooks"][0]
    assert res.returncode == 0 and nb_["status"] == "reproducible", nb_
    assert nb_["drift"] == [] and nb_["environment"]["cached"] is True
    assert nb_["environment"]["installed"]["pandas"] == "2.1.4" and nb_["environment"]["installed"]["numpy"] == "1.26.4"

    # which upgrade broke it: pandas alone changes cell 1; numpy alone does not change that output
    res, report = _verify_json("--explain-drift", str(path))
    nb_ = report["notebooks"][0]
    ex = nb_["explanation"]
    assert ex["pinned_environment"] == "reproducible", ex
    effects = {p["package"]: p for p in ex["packages"]}
    assert effects["pandas"]["effect"] == "changes the output" and effects["pandas"]["cells"] == [1]
    assert effects["numpy"]["effect"] == "no change", effects  # (with the pandas 2.x it needs: same output)
    assert "cell 1: pandas 2.1.4 -> " in ex["summary"] and "cell 1: pandas" in nb_["message"]
    assert "numpy 1.26.4 -> 2.4.6 alone does not" in ex["summary"]


@pytest.mark.slow
def test_verify_env_pinned_fails_fast_on_a_pin_that_does_not_install(tmp_path):
    path = write(tmp_path / "bad_pin.ipynb", nb(md("# T"), code("print(1)"),
                                                metadata=_meta({"nbkit-no-such-distribution-xyz": "1.0"})))
    started = time.monotonic()
    res, report = _verify_json("--env", "pinned", str(path))
    nb_ = report["notebooks"][0]
    assert nb_["status"] == "failed" and "nbkit-no-such-distribution-xyz" in nb_["message"]
    assert res.returncode == 1 and time.monotonic() - started < 120
    unpinned = write(tmp_path / "unpinned.ipynb", nb(md("# T"), code("print(1)")))
    res, report = _verify_json("--env", "pinned", str(unpinned))
    assert report["notebooks"][0]["status"] == "failed" and "nbkit pin" in report["notebooks"][0]["message"]


def test_pin_export_pep723_round_trips_through_the_pep723_reader(tmp_path):
    path = write(tmp_path / "p.ipynb", nb(md("# T"), code("import six", count=1),
                                          metadata=_meta({"six": "1.16.0", "attrs": "23.1.0"})))
    res = subprocess.run([sys.executable, "-m", "nbkit", "pin", "--export", "pep723", str(path)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("# /// script\n# requires-python = \">=3.11\"\n")
    spec = spec_from_notebook({}, res.stdout + "import six\n")
    assert spec.source == "pep723" and dict(spec.packages) == {"attrs": "23.1.0", "six": "1.16.0"}


def test_the_pip_guard_is_made_once_with_a_stable_path_and_refuses_installs(tmp_path):
    from nbkit.verify.execute import pip_guard_dir

    fake = tmp_path / "bin"
    fake.mkdir()
    uv = fake / "uv"
    uv.write_text("#!/bin/sh\necho real-uv \"$@\"\n")
    uv.chmod(0o755)
    path = f"{fake}{os.pathsep}/usr/bin:/bin"
    first = pip_guard_dir(str(tmp_path / "envs"), path)
    assert first is not None and first == pip_guard_dir(str(tmp_path / "envs"), path)  # a verify cache key sees one PATH
    assert sorted(os.listdir(tmp_path / "envs" / "_guard")) == [os.path.basename(first)]  # no temp folder left
    env = {**os.environ, "PATH": f"{first}{os.pathsep}{path}"}
    res = subprocess.run(["pip3", "install", "six"], capture_output=True, text=True, env=env)
    assert res.returncode == 1 and "not run: pip3 install six" in res.stderr and res.stdout == ""
    res = subprocess.run(["uv", "pip", "install", "six"], capture_output=True, text=True, env=env)
    assert res.returncode == 1 and "uv pip is turned off" in res.stderr and "not run: uv pip install six" in res.stderr
    res = subprocess.run(["uv", "run", "x y"], capture_output=True, text=True, env=env)
    assert res.returncode == 0 and res.stdout == "real-uv run x y\n"  # other uv commands: the uv behind the guard
    # global options before the subcommand do not get `uv pip` past the guard
    for args in (["-q", "pip", "install", "six"], ["--directory", ".", "pip", "install", "six"],
                 ["--color=never", "--no-cache", "pip", "list"],
                 ["--an-option-uv-adds-later", "value", "pip", "install", "six"]):  # (not in the guard's list)
        res = subprocess.run(["uv", *args], capture_output=True, text=True, env=env, check=False)
        assert res.returncode == 1 and "uv pip is turned off" in res.stderr and res.stdout == "", args
    res = subprocess.run(["uv", "--directory", "pip", "run", "pip"], capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 0 and res.stdout == "real-uv --directory pip run pip\n"  # (a folder named pip)
    res = subprocess.run(["pip", "install", "a\\cb"], capture_output=True, text=True, env=env, check=False)
    assert "not run: pip install a\\cb" in res.stderr  # printed as given (dash's echo cut at \c)
    assert os.stat(first).st_mode & 0o755 == 0o755  # usable by another user of a shared cache
