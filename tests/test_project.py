"""nbkit.project and nbkit.manifests: manifest discovery up to the project root, manifest and lock-file parsing,
DVC / Git LFS tracking, and caching (each manifest is read once per run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbkit import manifests as M
from nbkit import project as P
from nbkit.manifests import parse_manifest, parse_requirement
from nbkit.project import Project


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


@pytest.mark.parametrize("text,name,pinned", [
    ("pandas==2.2.3", "pandas", True),
    ("Scikit_Learn>=1.5", "scikit-learn", False),
    ("numpy", "numpy", False),
    ("numpy==1.26.*", "numpy", False),
    ("requests[socks]==2.32.0 ; python_version >= '3.9'", "requests", True),
    ("torch===2.3.0", "torch", True),
    ("mylib @ https://example.org/mylib-1.0.tar.gz", "mylib", True),
    ("pandas>=2,<3", "pandas", False),
    ("zope.interface~=6.0", "zope-interface", False),
])
def test_parse_requirement(text, name, pinned):
    req = parse_requirement(text)
    assert req is not None and req.name == name and req.pinned is pinned


@pytest.mark.parametrize("text", ["", "# comment", "-r other.txt", "--index-url https://x", "./local/pkg", "."])
def test_parse_requirement_ignores_non_requirements(text):
    assert parse_requirement(text) is None


def test_requirements_txt_includes_continuations_and_hashes(tmp_path):
    _tree(tmp_path, {
        "requirements.txt": "# top\n-r requirements/base.txt\n-e git+https://github.com/o/r.git@v1#egg=ourlib\n"
                            "--index-url https://pypi.org/simple\nseaborn  # plots\n",
        "requirements/base.txt": "pandas==2.2.3 \\\n    --hash=sha256:abc\nnumpy==1.26.4\n",
        "requirements-lock.txt": "pandas==2.2.3 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n"
                                 "numpy==1.26.4 --hash=sha256:123\n",
    })
    m = parse_manifest(tmp_path / "requirements.txt")
    assert {r.name for r in m.requirements} == {"pandas", "numpy", "ourlib", "seaborn"}
    assert [r.name for r in m.unpinned] == ["seaborn"]
    assert [r.line for r in m.requirements if r.name == "seaborn"] == [5]
    assert not m.hashed
    lock = parse_manifest(tmp_path / "requirements-lock.txt")
    assert lock.hashed and {r.name for r in lock.requirements} == {"pandas", "numpy"}


def test_requirements_include_cycle_terminates(tmp_path):
    _tree(tmp_path, {"requirements.txt": "-r requirements-b.txt\npandas\n",
                     "requirements-b.txt": "-r requirements.txt\nnumpy\n"})
    m = parse_manifest(tmp_path / "requirements.txt")
    assert {r.name for r in m.requirements} == {"pandas", "numpy"}


def test_pyproject_sections(tmp_path):
    _tree(tmp_path, {"pyproject.toml": """
[project]
name = "Churn_Model"
dependencies = ["pandas==2.2.3", "numpy>=1.26"]
[project.optional-dependencies]
viz = ["matplotlib==3.9.0"]
[dependency-groups]
dev = ["pytest>=8", {include-group = "viz"}]
[tool.poetry.dependencies]
python = "^3.11"
polars = "1.2.0"
httpx = "^0.27"
gitdep = {git = "https://github.com/o/r.git", tag = "v1"}
[tool.poetry.group.test.dependencies]
hypothesis = "*"
[tool.uv]
dev-dependencies = ["ruff==0.6.0"]
[tool.pdm.dev-dependencies]
lint = ["mypy>=1"]
"""})
    m = parse_manifest(tmp_path / "pyproject.toml")
    pinned = {r.name: r.pinned for r in m.requirements}
    assert pinned == {"pandas": True, "numpy": False, "matplotlib": True, "pytest": False, "polars": True,
                      "httpx": False, "gitdep": True, "hypothesis": False, "ruff": True, "mypy": False}
    assert m.provides == ("churn-model",)
    assert m.complete


def test_pyproject_without_dependencies_is_not_a_manifest(tmp_path):
    _tree(tmp_path, {"pyproject.toml": "[tool.nbkit]\nprofile = 'report'\n"})
    assert parse_manifest(tmp_path / "pyproject.toml") is None


def test_pyproject_dynamic_dependencies_are_incomplete(tmp_path):
    _tree(tmp_path, {"pyproject.toml": "[project]\nname='x'\ndynamic = ['dependencies', 'version']\n"})
    assert parse_manifest(tmp_path / "pyproject.toml").complete is False


def test_broken_pyproject_reports_error_not_exception(tmp_path):
    _tree(tmp_path, {"pyproject.toml": "[project\nname = \n"})
    m = parse_manifest(tmp_path / "pyproject.toml")
    assert m is not None and m.error and "invalid TOML" in m.error


def test_environment_yml(tmp_path):
    _tree(tmp_path, {"environment.yml": """name: churn
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pandas=2.2.3
  - numpy >=1.26   # a comment
  - conda-forge::pytorch=2.3.0=py311_0
  - scikit-learn 1.5.2
  - matplotlib-base
  - pip
  - pip:
    - seaborn==0.13.2
    - shap
variables:
  FOO: bar
"""})
    m = parse_manifest(tmp_path / "environment.yml")
    pinned = {r.name: r.pinned for r in m.requirements}
    assert pinned == {"pandas": True, "numpy": False, "torch": True, "scikit-learn": True, "matplotlib": False,
                      "seaborn": True, "shap": False}


def test_pipfile_setup_cfg_setup_py(tmp_path):
    _tree(tmp_path, {
        "Pipfile": "[packages]\npandas = '==2.2.3'\nnumpy = '*'\n"
                   "requests = {version = '==2.32.0', extras = ['socks']}\n[dev-packages]\npytest = '>=8'\n",
        "setup.cfg": "[metadata]\nname = mylib\n[options]\ninstall_requires =\n    pandas==2.2.3\n    numpy>=1.26\n"
                     "[options.extras_require]\nviz = matplotlib==3.9.0\n",
        "setup.py": "from setuptools import setup\nsetup(\n    name='mylib',\n"
                    "    install_requires=[\n        'pandas>=2',\n"
                    "        \"scipy==1.13.0\",\n    ],\n    extras_require={'viz': ['seaborn']},\n)\n",
    })
    pip = parse_manifest(tmp_path / "Pipfile")
    assert {r.name: r.pinned for r in pip.requirements} == {"pandas": True, "numpy": False, "requests": True,
                                                           "pytest": False}
    cfg = parse_manifest(tmp_path / "setup.cfg")
    assert {r.name: r.pinned for r in cfg.requirements} == {"pandas": True, "numpy": False, "matplotlib": True}
    assert cfg.provides == ("mylib",)
    py = parse_manifest(tmp_path / "setup.py")
    assert {r.name: r.pinned for r in py.requirements} == {"pandas": False, "scipy": True, "seaborn": False}
    assert py.complete


def test_setup_py_with_computed_requirements_is_incomplete(tmp_path):
    _tree(tmp_path, {"setup.py": "from setuptools import setup\nsetup(name='x', install_requires=read_reqs())\n"})
    m = parse_manifest(tmp_path / "setup.py")
    assert m.requirements == [] and m.complete is False


def test_discovery_stops_at_the_project_root(tmp_path):
    outer = _tree(tmp_path, {"requirements.txt": "outside==1.0\n"})
    root = outer / "repo"
    (root / ".git").mkdir(parents=True)
    _tree(root, {"pyproject.toml": "[project]\nname='x'\ndependencies=['pandas>=2']\n",
                 "analysis/requirements.txt": "numpy==1.26.4\n", "analysis/sub/nb.ipynb": "{}"})
    proj = Project()
    nb = str(root / "analysis" / "sub" / "nb.ipynb")
    found = [Path(m.path).relative_to(root).as_posix() for m in proj.manifests_for(nb)]
    assert found == ["analysis/requirements.txt", "pyproject.toml"]
    assert proj.declared_distributions(nb) == {"numpy", "pandas", "x"}
    assert proj.lock_files_for(nb) == []


def test_lock_files_found_up_the_tree(repo):
    _tree(repo, {"uv.lock": "", "nb/poetry.lock": "", "nb/deep/x.ipynb": "{}", "nb/deep/prod.conda-lock.yml": ""})
    locks = sorted(Path(p).name for p in Project().lock_files_for(str(repo / "nb" / "deep" / "x.ipynb")))
    assert locks == ["poetry.lock", "prod.conda-lock.yml", "uv.lock"]


def test_each_manifest_is_read_once_per_project(repo, monkeypatch):
    _tree(repo, {"requirements.txt": "pandas==2.2.3\n"})
    calls = []
    real = M.parse_requirements_txt
    monkeypatch.setattr(M, "parse_requirements_txt", lambda path, *a: calls.append(path) or real(path, *a))
    proj = Project()
    for i in range(20):
        nb = str(repo / f"nb{i}.ipynb")
        assert [m.kind for m in proj.manifests_for(nb)] == ["requirements"]
        proj.declared_distributions(nb)
    assert len(calls) == 1


def test_dvc_and_lfs_tracking(repo):
    _tree(repo, {
        "data/raw/a.csv": "x", "data/raw/a.csv.dvc": "outs:\n- path: a.csv\n",
        "data/images/b.png": "x", "data/images.dvc": "outs:\n- path: images\n",
        "models/m.bin": "x", ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n",
        "big/c.parquet": "x", "big/.gitattributes": "/c.parquet filter=lfs -text\n",
        "plain/d.csv": "x", "staged/e.csv": "x",
        "dvc.lock": "stages:\n  prep:\n    outs:\n    - path: staged/e.csv\n      md5: 1\n",
    })
    proj = Project()
    assert proj.dvc_tracked(str(repo / "data/raw/a.csv"))
    assert proj.dvc_tracked(str(repo / "data/images/b.png"))
    assert proj.dvc_tracked(str(repo / "staged/e.csv"))
    assert not proj.dvc_tracked(str(repo / "plain/d.csv"))
    assert proj.lfs_tracked(str(repo / "models/m.bin"))
    assert proj.lfs_tracked(str(repo / "big/c.parquet"))
    assert not proj.lfs_tracked(str(repo / "plain/d.csv"))


def test_data_manifest_text_includes_subfolders(repo):
    _tree(repo, {"data/sales.csv.dvc": "deps:\n- path: https://example.org/sales.csv\n", "SHA256SUMS": "abc  x.zip\n"})
    text = Project().data_manifest_text(str(repo / "nb.ipynb"))
    assert "https://example.org/sales.csv" in text and "x.zip" in text


def test_root_without_vcs_falls_back_to_pyproject(tmp_path):
    _tree(tmp_path, {"proj/pyproject.toml": "[project]\nname='x'\n", "proj/a/b/nb.ipynb": "{}"})
    assert P.find_root(str(tmp_path / "proj" / "a" / "b")) == str((tmp_path / "proj").resolve())


def test_manifest_cache_sees_edits_to_included_files(repo):
    import os

    _tree(repo, {"requirements.txt": "-r requirements/base.txt\n", "requirements/base.txt": "pandas==2.2.3\n"})
    nb = str(repo / "nb.ipynb")
    assert Project().declared_distributions(nb) == {"pandas"}
    base = repo / "requirements" / "base.txt"
    base.write_text("polars==1.0.0\n", encoding="utf-8")
    st = base.stat()
    os.utime(base, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert Project().declared_distributions(nb) == {"polars"}


def test_declared_imports_do_not_scan_every_installed_distribution(repo, monkeypatch):
    """NBR003 maps modules to distributions without importlib.metadata.packages_distributions()
    (a scan of every installed package) when the manifest already names them."""
    from nbbuild import code, md, nb, write

    from nbkit import imports
    from nbkit.config import Config
    from nbkit.lint import lint_paths

    def boom():
        raise AssertionError("packages_distributions() was called")

    monkeypatch.setattr(imports, "_packages_distributions", boom)
    _tree(repo, {"requirements.txt": "pandas==2.2.3\nscikit-learn==1.5.2\nPyYAML==6.0.2\nnotinstalled-dist==1.0\n"})
    path = write(repo / "analysis_notebook.ipynb", nb(md("# T"), code(
        "import pandas as pd\nfrom sklearn import tree\nimport yaml\nimport notinstalled_dist\nimport os", count=1)))
    result = lint_paths([str(path)], Config(), select=["NBR003"])
    assert not result.errors and result.findings == []


def test_module_to_distribution_scan_agrees_with_importlib():
    """nbkit's own scan of installed distributions (top_level.txt / RECORD read as text) maps
    every import name to the same distributions as importlib.metadata.packages_distributions()
    (leaving out ``__pycache__``, which is no import name)."""
    from importlib.metadata import packages_distributions

    from nbkit import imports

    imports._packages_distributions.cache_clear()
    try:
        ours = {k: sorted(set(v)) for k, v in imports._packages_distributions().items() if k != "__pycache__"}
    finally:
        imports._packages_distributions.cache_clear()
    theirs = {k: sorted(set(v)) for k, v in packages_distributions().items() if k != "__pycache__"}
    assert ours == theirs
    assert "matplotlib" in ours.get("pylab", []) or "pylab" not in theirs
    assert ours["_pytest"] == ["pytest"]  # a name unlike its distribution's


def test_quick_distribution_lookup_agrees_with_importlib():
    """NBR003's lookup of a distribution by name without importing importlib.metadata gives
    importlib.metadata.distribution(name).metadata["Name"] for every installed distribution's
    spellings and for names that are not installed."""
    import os
    import sys
    from importlib.metadata import distributions

    from nbkit import imports

    names = {"not-installed-anywhere", "sklearn", "yaml", "PyYAML", "Scikit.Learn", "jupyter-server"}
    for dist in distributions():
        names.add(dist.metadata["Name"])
    for entry in sys.path:
        try:
            children = os.listdir(entry or ".")
        except OSError:
            continue
        names.update(c.rpartition(".")[0].partition("-")[0] for c in children
                     if c.endswith((".dist-info", ".egg-info")))
    answered = 0
    for name in sorted(names):
        quick = imports._quick_dist_name(name)
        if quick is not imports._UNSURE:
            answered += 1
            assert quick == imports._metadata_dist_name(name), name
    plain = all(not os.path.exists(e or ".") or os.path.isdir(e or ".") and not e.lower().endswith(".egg")
                for e in sys.path)
    assert answered == len(names) or not plain  # folders only on sys.path: no name needs importlib.metadata
    assert imports._quick_dist_name("pytest") == "pytest" and imports._quick_dist_name("nope-nothing") is None


def test_quick_distribution_lookup_reads_the_headers_as_the_email_parser(tmp_path, monkeypatch):
    from nbkit import imports

    info = tmp_path / "site" / "Odd_Name-1.0.dist-info"
    info.mkdir(parents=True)
    monkeypatch.setattr("sys.path", [str(tmp_path / "missing"), str(tmp_path / "site")])
    cases = [("Metadata-Version: 2.1\nName: Odd.Name  \nVersion: 1.0\n\nName: body\n", "Odd.Name  "),
             ("Metadata-Version: 2.1\r\nName:\tOdd-Name\r\n\r\nbody", "Odd-Name"),
             ("Metadata-Version: 2.1\nSummary: a\n  folded\nVersion: 1.0\n\n", "odd_name"),
             ("Name: first\nName: second\n\n", "first"),
             ("Name: x\n  folded\n", imports._UNSURE),
             ("not a header line\nName: x\n", imports._UNSURE),
             ("", imports._UNSURE)]
    for text, expected in cases:
        (info / "METADATA").write_text(text, encoding="utf-8", newline="")
        assert imports._quick_dist_name("odd_name") == expected, text
