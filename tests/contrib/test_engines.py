"""The generated folder of the real project builds with MkDocs and with ProperDocs, both
strict, and the site's Contributing page says so with the commands tested here.

ProperDocs (the maintained fork of MkDocs 1.6) redirects `mkdocs.*` imports to its own
modules, so Material 9.8 and the olwsite plugin load unchanged. It looks for properdocs.yml
and falls back to mkdocs.yml with a notice; olwsite finds its project through mkdocs.yml, so
the file keeps its name and is passed with `-f mkdocs.yml`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ..conftest import REPO, built_real_project

PAGE = REPO / "templates" / "site" / "contributing" / "index.md"
MKDOCS_BUILD = "mkdocs build --strict"
PROPERDOCS_BUILD = "properdocs build --strict -f mkdocs.yml"
GENERATOR = re.compile(r'<meta name="generator" content="([^"]+)"')


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_real_project(tmp_path_factory.mktemp("engines"))


def build(root: Path, command: str, site: str) -> subprocess.CompletedProcess[str]:
    """`command` as the page writes it, run with this Python, into its own site folder."""
    engine, *args = command.split()
    return subprocess.run([sys.executable, "-m", engine, *args, "-v", "-d", site], cwd=root,
                          capture_output=True, text=True, check=False)


def generator_of(site: Path) -> str:
    match = GENERATOR.search((site / "index.html").read_text(encoding="utf-8"))
    assert match
    return match.group(1)


def test_mkdocs_builds_the_generated_folder_strictly(generated: Path) -> None:
    run = build(generated, MKDOCS_BUILD, "site-mkdocs")
    assert run.returncode == 0, run.stderr
    assert "Running `config` event from plugin 'olwsite'" in run.stderr
    assert re.fullmatch(r"mkdocs-1\.6\.\d+, mkdocs-material-9\.8\.\d+",
                        generator_of(generated / "site-mkdocs"))
    assert (generated / "site-mkdocs" / "contributing" / "index.html").is_file()


def test_properdocs_builds_it_strictly_with_material_and_the_olwsite_plugin(
        generated: Path) -> None:
    run = build(generated, PROPERDOCS_BUILD, "site-properdocs")
    assert run.returncode == 0, run.stderr
    assert "Running `config` event from plugin 'olwsite'" in run.stderr
    assert "should be renamed to 'properdocs.yml'" not in run.stderr
    assert re.fullmatch(r"mkdocs-ProperDocs 1\.\d+\.\d+, mkdocs-material-9\.8\.\d+",
                        generator_of(generated / "site-properdocs"))
    pages = sorted(p.relative_to(generated / "site-properdocs").as_posix()
                   for p in (generated / "site-properdocs").rglob("*.html"))
    assert pages == sorted(p.relative_to(generated / "site-mkdocs").as_posix()
                           for p in (generated / "site-mkdocs").rglob("*.html"))


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml may hold Python tags (!!python/name:…) that a safe loader refuses."""


_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
_ConfigLoader.add_multi_constructor("!", lambda *_: None)


def mkdocs_config() -> dict[str, object]:
    data = yaml.load((REPO / "mkdocs.yml").read_text("utf-8"), Loader=_ConfigLoader)
    assert isinstance(data, dict)
    return data


def test_the_contributing_page_is_generated_and_in_the_reference_nav(generated: Path) -> None:
    assert (generated / "docs" / "contributing" / "index.md").read_text("utf-8") == (
        PAGE.read_text("utf-8"))
    nav = mkdocs_config()["nav"]
    reference = next(item["Reference"] for item in nav if "Reference" in item)
    assert "contributing/index.md" in reference


def test_the_check_block_language_reference_is_generated_into_the_site(
        generated: Path) -> None:
    from olwsite.verify import language_reference
    from olwsite.verify.ir import FUNCTIONS
    from olwsite.verify.units import UNITS

    text = (generated / "docs" / "reference" / "front-matter.md").read_text("utf-8")
    assert "## Check blocks" in text and language_reference().strip() in text
    assert all(f"| `{unit}` |" in text for unit in UNITS)
    assert all(f"{name}(" in text for name in FUNCTIONS)


def test_the_contributing_page_names_the_tested_build_commands() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert f"`olwsite build && {MKDOCS_BUILD}`" in text
    assert f"`olwsite build && {PROPERDOCS_BUILD}`" in text
    assert "`olwsite build && zensical build`" in text
    assert "May 2027" in text


def workflow() -> dict[object, object]:
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(name: site\n.*?)```", text, re.S)
    assert block
    data = yaml.safe_load(block.group(1))
    assert isinstance(data, dict)
    return data


def test_the_example_workflow_checks_builds_and_publishes() -> None:
    flow = workflow()
    triggers = flow[True]  # YAML 1.1 reads the key 'on' as true; GitHub reads it as 'on'
    assert isinstance(triggers, dict) and set(triggers) == {"push", "pull_request"}
    jobs = flow["jobs"]
    assert isinstance(jobs, dict)
    steps = jobs["build"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert "olwsite check --strict --format github" in runs
    assert "olwsite build && mkdocs build --strict" in runs
    assert runs.index("olwsite check --strict --format github") < runs.index(
        "olwsite build && mkdocs build --strict")
    assert uses[-1] == "actions/upload-pages-artifact"
    assert steps[-1]["with"] == {"path": "site"}
    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert "refs/heads/main" in deploy["if"]
