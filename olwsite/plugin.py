"""A thin MkDocs plugin: under `mkdocs serve`, regenerate docs_dir when content/,
graph/ or templates/ change. `mkdocs build` builds the generated folder as it is, so the
output does not depend on the plugin (ProperDocs and Zensical read it as plain Markdown).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from .build import build, edit_note
from .diagnostics import Severity
from .project import Project, ProjectError, find_project
from .report import format_text, summary

log = logging.getLogger("mkdocs.plugins.olwsite")


class OlwsitePlugin(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    def __init__(self) -> None:
        self.command = ""
        self.project: Project | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        try:
            self.project = find_project(Path(config.config_file_path).parent)
        except ProjectError as exc:
            raise PluginError(str(exc)) from None
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        if self.command != "serve" or self.project is None:
            return
        try:
            built = build(self.project)
        except ProjectError as exc:
            raise PluginError(str(exc)) from None
        for diag in built.diagnostics:
            level = {Severity.ERROR: logging.ERROR, Severity.WARNING: logging.WARNING,
                     Severity.INFO: logging.DEBUG}[diag.effective_severity]
            log.log(level, format_text(diag))
        if built.failed:
            # keep serving the last good site; the errors above say what to fix
            log.error("olwsite: %s; docs left as they were", summary(built.diagnostics))
            return
        how = f" ({edit_note(built)})" if built.body_edits else ""
        log.info("olwsite: %d pages regenerated, %d unchanged%s", built.written.written,
                 built.written.unchanged, how)

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.project is not None:
            for folder in (self.project.content_dir, self.project.graph_dir,
                           self.project.templates_dir):
                if folder.is_dir():
                    server.watch(str(folder))
        return server
