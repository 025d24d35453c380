"""Verify the claims in a page's check blocks with exact arithmetic, safely and boundedly.

    verdicts, cache, stats = verify_pages(pages, facts, cache)

Content is untrusted: statements are parsed by our own lexer and `ast.parse`, walked
through a whitelist, and turned into sympy objects we build ourselves (parse.py); no
content text reaches eval, exec, compile or sympify. Parsing and sympy run only in worker
processes with a per-page timeout (runner.py). Modules: lexer, parse (AST whitelist to
IR), analyze (static checks), units and quantity (dimensions), evaluate, formatting,
runner (workers, timeouts, cache), reference (the language's Markdown reference), warm.
"""

from .ir import LANGUAGE_VERSION
from .model import (
    CheckBlock,
    ClaimProblem,
    ClaimRecord,
    InlineRef,
    PageClaims,
    PageVerdict,
    VerifyStats,
)
from .reference import language_reference
from .runner import Verifier, check_fact, claim_names, claims_digest, key_digest, verify_pages

__all__ = [
    "LANGUAGE_VERSION",
    "CheckBlock",
    "ClaimProblem",
    "ClaimRecord",
    "InlineRef",
    "PageClaims",
    "PageVerdict",
    "Verifier",
    "VerifyStats",
    "check_fact",
    "claim_names",
    "claims_digest",
    "key_digest",
    "language_reference",
    "verify_pages",
]
