"""The edit basis: what a full build knew about each page that a later edit to existing
pages needs (edit.py), recorded beside the build manifest.

An edit that keeps a page's model but for its title, summary and body (keys.shape_digest)
changes nothing the graph or its checks see. So for each page the basis keeps the digests
that prove that (front-matter, shape, view), the key of its stored topic context
(contexts.py), its diagnostics from the front-matter, the body and the verifier, and its
count of claims; and for the site, the facts claims may name, the home page's context and
which stored graph (stored_graph.py) goes with it.

JSON under .olwsite-cache/, never pickle; it belongs to exactly one manifest (``inputs``)
and anything that does not decode is ignored, which only costs a full build.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .paths import Slug, SrcPath
from .state import diagnostic_from_json
from .write import replace_file

FORMAT = 4


@dataclass
class PageBasis:
    slug: Slug
    front: str  # the digest of its text up to the body (load.RawPage.front_digest)
    view: str  # keys.view_digest
    context: str  # the key of its topic context (keys.RenderKeys.context)
    claims: int  # claims verified in it
    submitted: bool  # it had claims, so the verifier answered for it
    verify_key: str  # its verification cache key ("" if none: runner.key_digest)
    problems: list[Diagnostic] = field(default_factory=list)  # from its body and verdict
    shape: str = ""  # keys.shape_digest: its model but for its title, summary and body
    # from its front-matter (load.read_page, model.typed_page)
    front_problems: list[Diagnostic] = field(default_factory=list)


@dataclass
class EditBasis:
    inputs: str  # the manifest's input digest (state.input_digest)
    base: str  # state.base_digest: code, library versions, the date, mkdocs.yml
    facts: dict[str, str]  # every fact a claim may name
    layers: list[str]  # the curriculum's layers, which a page's model is checked against
    home: dict[str, Any] | None  # render.home_context, if JSON holds it exactly
    # the stored graph that goes with this basis (its StoredGraph.inputs); a body edit
    # leaves it as it is
    graph: str = ""
    # each page's basis as stored, decoded only when asked for (10,000 of them take
    # longer to decode than a body edit takes to build)
    stored: dict[SrcPath, list[Any]] = field(default_factory=dict)

    def page(self, src: SrcPath) -> PageBasis | None:
        """The page's basis; None if there is none, or it does not decode."""
        try:
            (slug, front, view, context, claims, submitted, verify_key, problems, shape,
             front_problems) = self.stored[src]
            bytes.fromhex(context)  # a render key is built from it
            bytes.fromhex(view)
            return PageBasis(Slug(str(slug)), str(front), str(view), str(context), int(claims),
                             bool(submitted), str(verify_key),
                             [diagnostic_from_json(d) for d in problems], str(shape),
                             [diagnostic_from_json(d) for d in front_problems])
        except (KeyError, ValueError, TypeError, AttributeError):
            return None

    def set_page(self, src: SrcPath, p: PageBasis) -> None:
        self.stored[src] = [p.slug, p.front, p.view, p.context, p.claims, p.submitted,
                            p.verify_key, [asdict(d) for d in p.problems], p.shape,
                            [asdict(d) for d in p.front_problems]]

    def context_keys(self) -> dict[Slug, str]:
        """Each page's topic context key, by slug, without decoding the rest."""
        return {Slug(str(entry[0])): str(entry[3]) for entry in self.stored.values()}

    def write(self, path: Path) -> None:
        import orjson

        data = {"format": FORMAT, "inputs": self.inputs, "base": self.base,
                "facts": self.facts, "layers": self.layers, "home": self.home,
                "graph": self.graph, "pages": self.stored}
        replace_file(path, orjson.dumps(data, option=orjson.OPT_SORT_KEYS))

    @classmethod
    def read(cls, path: Path) -> EditBasis | None:
        import orjson

        try:
            raw = orjson.loads(path.read_bytes())
            if raw.get("format") != FORMAT or not isinstance(raw["pages"], dict):
                return None
            home = raw["home"]
            return cls(str(raw["inputs"]), str(raw["base"]),
                       {str(k): str(v) for k, v in raw["facts"].items()},
                       [str(layer) for layer in raw["layers"]],
                       home if isinstance(home, dict) else None, str(raw["graph"]),
                       raw["pages"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
