"""Formatting diagnostics: text (path:line:col), JSON, and GitHub workflow commands."""

from __future__ import annotations

import json
from collections.abc import Iterable

from .diagnostics import REGISTRY, Diagnostic, Severity


def format_text(diag: Diagnostic) -> str:
    sev = diag.effective_severity.label
    lines = [f"{diag.path}:{diag.line}:{diag.col}: {sev}[{diag.code}] {diag.message}"]
    hint = diag.effective_hint
    if hint:
        lines.append(f"  hint: {hint}")
    for rel in diag.related:
        lines.append(f"  {rel.path}:{rel.line}:{rel.col}: note: {rel.note}")
    return "\n".join(lines)


def as_json(diags: Iterable[Diagnostic]) -> str:
    items = [
        {
            "path": d.path, "line": d.line, "col": d.col, "severity": d.effective_severity.label,
            "code": d.code, "name": REGISTRY[d.code].name, "message": d.message,
            "hint": d.effective_hint,
            "related": [{"path": r.path, "line": r.line, "col": r.col, "note": r.note}
                        for r in d.related],
        }
        for d in diags
    ]
    return json.dumps(items, indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diag: Diagnostic) -> str:
    """One GitHub Actions workflow command (::error file=…,line=…,col=…,title=…::message)."""
    command = {Severity.ERROR: "error", Severity.WARNING: "warning",
               Severity.INFO: "notice"}[diag.effective_severity]
    props = ",".join([
        f"file={_escape_property(diag.path)}", f"line={diag.line}", f"col={diag.col}",
        f"title={_escape_property(diag.code + ' ' + REGISTRY[diag.code].name)}",
    ])
    message = diag.message
    if diag.effective_hint:
        message += "\nhint: " + diag.effective_hint
    return f"::{command} {props}::{_escape_data(message)}"


def summary(diags: list[Diagnostic]) -> str:
    counts = {s: sum(1 for d in diags if d.effective_severity == s) for s in Severity}
    parts = []
    for sev, word in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"),
                      (Severity.INFO, "info")):
        n = counts[sev]
        if n or sev != Severity.INFO:
            parts.append(f"{n} {word}{'' if n == 1 or word == 'info' else 's'}")
    return ", ".join(parts)
