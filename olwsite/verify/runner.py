"""Run the verifier: cache lookup here, everything else in worker processes with timeouts.

Design note. Content is parsed, checked and evaluated only in worker processes: a hang
inside C code (a big-integer multiply, an integrate that never ends) cannot be interrupted
by a signal handler or a thread, but a process can be killed. Workers are forked from the
build process. Values stay exact Fractions while they are rational, so a worker imports
and warms sympy (warm_up, 0.6-3 s here) only when a page may need it (sqrt, pi, symbols,
integrate, a power), and then tells the build process, which starts that page's time
budget afresh. With threads running (mkdocs serve) fork is unsafe; workers then come from
a fork server that warmed sympy once and lives as long as the build process.
Even one page goes through a worker: a fixed cost worth the safety. Measured on the
2-core build machine: a page of the scale benchmark (9 plain claims, an inline number)
costs a worker about 1.5 ms (0.6 ms parsing and static checks, 0.65 ms evaluating, the
rest passing results); the repository's 41 real pages (1,546 claims, a few heavy
simplify/integrate steps, so sympy is imported) take 2.5-3 s cold.
Each page has a wall-clock budget (timeout_s); a worker that overruns is killed and
replaced, and the page gets one E408 at the statement it was evaluating (the worker
writes each statement's position to shared memory before starting it, and sends its
results before any statement that may run long, so earlier results survive a timeout).
Workers also get an address-space limit, so a runaway allocation becomes a MemoryError
or a dead worker (E407), not a dead machine.

Cache: a page's key hashes everything its verdict depends on: block texts and
positions, inline references, the values of the facts it names (found by one regex pass
over identifiers outside strings and comments, so a hit parses nothing), the language
version and the sympy version. A verdict whose did-you-mean hints drew on the list of
fact names also stores that list's hash. A hit neither evaluates nor imports sympy (200
cached pages: ~40 ms). Verdicts that depend on timing (a timeout, a killed worker) are
never cached.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import math
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import re
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import collector
from ..state import installed_version
from .analyze import PagePlan, analyze_page
from .ir import LANGUAGE_VERSION, Problem, Written
from .lexer import names_in
from .model import (
    CheckBlock,
    ClaimProblem,
    ClaimRecord,
    Event,
    PageClaims,
    PageVerdict,
    PlanSummary,
    VerifyStats,
)
from .parse import parse_written

WORKER_MEMORY_HEADROOM = 2 * 1024**3  # bytes a worker may grow beyond its size at start


@functools.lru_cache(maxsize=1)
def sympy_version() -> str:
    # The installed distribution's version, so that computing a cache key imports nothing.
    version = installed_version("sympy")
    return "unknown" if version == "?" else version


def check_fact(text: str) -> str | None:
    """None if a registry fact's value ("80 GiB", "70B", "4096") is valid, else why not."""
    parsed = parse_written(text)
    return parsed.message if isinstance(parsed, Problem) else None


def claim_names(claims: PageClaims) -> frozenset[str]:
    """Every identifier the claims mention (outside strings and comments)."""
    texts = [b.text for b in claims.blocks] + [r.expr for r in claims.inline]
    return frozenset().union(*(names_in(t) for t in texts))


def claims_digest(claims: PageClaims) -> str:
    """A digest of the claims and their positions: prose edits that move no claim keep it."""
    return _sha([[[b.text, b.first_line, b.col] for b in claims.blocks],
                 [[r.line, r.col, r.expr, r.fmt] for r in claims.inline]])


def key_digest(digest: str, names: frozenset[str], facts: Mapping[str, str]) -> str:
    """The cache key: everything a verdict depends on, except the list of fact names, from
    claims_digest and claim_names (which a caller may have memoised). Once per page per
    build: plain text, and JSON only for the facts a page reads."""
    h = hashlib.sha256(f"{LANGUAGE_VERSION}\x1f{sympy_version()}\x1f{digest}".encode())
    used = sorted((n, facts[n]) for n in names if n in facts)
    if used:
        h.update(json.dumps(used, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _sha(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _from_cache(entry: object, digest: str, fact_names: str) -> PageVerdict | None:
    """A cached verdict if still valid. A verdict whose did-you-mean hints drew on the list
    of fact names also records that list's hash, and is valid only while it is unchanged."""
    if not isinstance(entry, dict) or entry.get("digest") != digest:
        return None
    if entry.get("fact_names") not in (None, fact_names):
        return None
    try:
        return PageVerdict.from_json(entry["verdict"])
    except (KeyError, TypeError, ValueError):
        return None  # a damaged cache entry is a miss, never an error


@dataclass
class _Job:
    key: str
    claims: PageClaims
    digest: str
    plan: PlanSummary | None = None  # the worker's first message
    problems: list[ClaimProblem] = field(default_factory=list)
    records: list[ClaimRecord] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)
    at: tuple[int, int] | None = None  # the statement the worker was last seen on
    cacheable: bool = True

    def add(self, message: list[Any] | PlanSummary) -> None:
        """A worker's plan summary, or one result in the wire form of _wire."""
        if isinstance(message, PlanSummary):
            self.plan = message
            return
        problem, record, text = message
        if problem is not None:
            self.problems.append(ClaimProblem(*problem))
        if record is not None:
            self.records.append(ClaimRecord(*record))
        if text is not None:
            self.inline.append(text)

    def stopped(self, code: str, why: str, hint: str) -> None:
        """The worker was killed or died: one problem here, the rest is left unchecked
        (including any results it had not yet sent)."""
        self.cacheable = False
        statements = self.plan.statements if self.plan else ()
        line, col = self.at or self._first_position()
        at = next((i for i, st in enumerate(statements) if st[0] == line), len(self.records))
        later = max(len(statements) - max(at, len(self.records)) - 1, 0)
        message = why + (f"; {later} later claim(s) on this page were not checked"
                         if later else "")
        self.problems.append(ClaimProblem(line, col, code, message, hint))
        for st_line, source, kind in statements[len(self.records):]:
            self.records.append(ClaimRecord(st_line, source, kind, False,
                                            f"{source}  (not checked)"))
        self.inline += [""] * (len(self.claims.inline) - len(self.inline))

    def _first_position(self) -> tuple[int, int]:
        if self.claims.blocks:
            return self.claims.blocks[0].first_line, self.claims.blocks[0].col
        return self.claims.inline[0].line, self.claims.inline[0].col

    def verdict(self) -> PageVerdict:
        static = self.plan.problems if self.plan else ()
        problems = sorted([*static, *self.problems],
                          key=lambda p: (p.line, p.col, p.code, p.message))
        return PageVerdict(tuple(problems), tuple(self.records), tuple(self.inline))

    def cache_entry(self, names_digest: str) -> dict[str, Any]:
        suggested = self.plan is not None and self.plan.suggested_facts
        return {"digest": self.digest, "fact_names": names_digest if suggested else None,
                "verdict": self.verdict().to_json()}


def _limit_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + WORKER_MEMORY_HEADROOM
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the timeout still bounds the work


def _summary(plan: PagePlan) -> PlanSummary:
    return PlanSummary(
        plan.problems,
        tuple((st.line, st.source, "binding" if st.binds else "assertion")
              for st in plan.statements),
        len(plan.inline), plan.suggested_facts)


# What can take a value beyond the exact rationals, into sympy; "**" too (x ** 0.5).
_SYMPY_NEEDED = re.compile(r"\*\*|\b(?:sqrt|log|log2|log10|exp|pi|E|oo|symbols|simplify|"
                           r"expand|factor|integrate|diff|Sum|limit)\b")


def _may_need_sympy(plan: PagePlan) -> bool:
    return any(_SYMPY_NEEDED.search(st.source) for st in plan.statements) or any(
        _SYMPY_NEEDED.search(ref.text) for ref in plan.inline)


def _wire(event: Event) -> list[Any]:
    """A result as plain tuples: dataclasses cost several times more to pickle and
    unpickle, and a build sends one per claim."""
    p, r = event.problem, event.record
    return [None if p is None else (p.line, p.col, p.code, p.message, p.hint),
            None if r is None else (r.line, r.source, r.kind, r.ok, r.shown),
            event.text if event.kind == "inline" else None]


def _may_be_slow(source: str) -> bool:
    # Only a function call (integrate, simplify, …) or a power can run for long; plain
    # arithmetic on bounded numbers cannot.
    return "(" in source or "**" in source


def _worker_main(conn: mpc.Connection, facts: Mapping[str, str], position: Any) -> None:
    """Parse, check and evaluate pages sent by the build process.

    Results go back in batches: one message per page, plus one before each statement
    that may run long, so that a statement killed by its timeout keeps the results
    before it. The statement being evaluated is written to ``position`` (shared memory)
    instead of being sent: a message per statement cost more than evaluating it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build process's to handle
    collector.adopt_in_worker()
    _limit_memory()
    from . import evaluate

    fact_names = frozenset(facts)
    parsed: dict[str, Written | str] = {}

    def fact(name: str) -> Written | str:
        if name not in parsed:
            value = parse_written(facts[name])
            parsed[name] = value.message if isinstance(value, Problem) else value
        return parsed[name]

    while True:
        try:
            claims = conn.recv()
        except (EOFError, OSError):
            return
        if claims is None:
            return
        try:
            position[0] = position[1] = 0
            plan = analyze_page(claims, fact_names)
            conn.send(_summary(plan))  # at once: it lets the parent account for a dead page
            if warm_up.cache_info().currsize == 0 and _may_need_sympy(plan):
                warm_up()  # first such page in this worker: its budget starts after this
                conn.send(("warm", ""))
            pending: list[Any] = []
            slow = [_may_be_slow(st.source) for st in plan.statements]
            slow += [_may_be_slow(ref.text) for ref in plan.inline]
            used = {n: fact(n) for n in plan.names & fact_names}
            index = 0
            for event in evaluate.iter_page(plan, used):
                if event.kind != "begin":
                    pending.append(_wire(event))
                    continue
                position[0], position[1] = event.line, event.col
                if slow[index] and pending:
                    conn.send(pending)
                    pending = []
                index += 1
            pending.append(("done", ""))
            conn.send(pending)
        except Exception as exc:  # a bug in olwsite; report it on the page, keep the build going
            conn.send(("bug", f"{type(exc).__name__}: {exc}"[:300]))


class _Worker:
    def __init__(self, ctx: Any, facts: Mapping[str, str]) -> None:
        self.conn, child = ctx.Pipe()
        self.position = ctx.RawArray("q", 2)  # (line, col) being evaluated; 0 before any
        self.proc = ctx.Process(target=_worker_main, args=(child, dict(facts), self.position),
                                daemon=True, name="olwsite-verify")
        self.proc.start()
        child.close()
        # Pages sent and not finished, the first being evaluated: the next one waits in
        # the pipe, so a worker never idles while the build process reads its results.
        self.queue: deque[_Job] = deque()
        self.deadline = 0.0  # for the first page in the queue

    @property
    def job(self) -> _Job | None:
        return self.queue[0] if self.queue else None

    def assign(self, job: _Job, timeout_s: float) -> bool:
        try:
            self.conn.send(job.claims)
        except (BrokenPipeError, OSError):
            return False
        self.queue.append(job)
        if len(self.queue) == 1:
            self.deadline = time.monotonic() + timeout_s
        return True

    def finished(self, timeout_s: float) -> None:
        self.queue.popleft()
        self.deadline = time.monotonic() + timeout_s  # the next page starts now

    def close(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.conn.send(None)
        self.proc.join(timeout=0 if kill else 1)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


# Our own fixed claims: evaluating them once loads the parts of sympy that integrate,
# simplify, Sum and limit import lazily (~1 s), so every forked worker starts warm.
_WARM_UP = PageClaims((CheckBlock(
    'x, D = symbols("x D", positive=True)\n'
    "m = integrate(x**2, (x, -D/2, D/2)) / D\n"
    "m == D**2 / 12\n"
    'k = symbols("k", integer=True, positive=True)\n'
    "Sum(1 / k**2, (k, 1, oo)) == pi**2 / 6\n"
    "limit(x / (x + 1), x, oo) == 1\n"
    "sqrt(2) ≈ 1.41\n", 1, 1),))


@functools.lru_cache(maxsize=1)
def warm_up() -> None:
    evaluate = importlib.import_module(f"{__package__}.evaluate")
    evaluate.evaluate_page(analyze_page(_WARM_UP, ()), {})


def _context() -> Any:
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        # Workers import sympy only when a page needs more than exact rationals: most
        # pages do not, and a build of such pages never loads it.
        return mp.get_context("fork")
    # Forking a process that runs threads (mkdocs serve) can deadlock the child; a fork
    # server is a clean single-threaded process that warms sympy once and forks workers.
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload([f"{__package__}.warm"])
        return ctx
    return mp.get_context("spawn")


def _drain(worker: _Worker, timeout_s: float) -> str:
    """Read what a worker sent: 'busy', 'idle' (all its pages done), or 'dead'."""
    try:
        while worker.queue and _readable([worker.conn], 0):
            received = worker.conn.recv()
            for msg in received if isinstance(received, list) else [received]:
                job = worker.queue[0]
                if isinstance(msg, tuple) and msg[0] == "warm":
                    worker.deadline = time.monotonic() + timeout_s
                elif isinstance(msg, tuple):
                    if msg[0] == "bug":
                        job.stopped("E409", f"internal error in the verifier ({msg[1]})",
                                    "please report this; the claim itself may be fine")
                    worker.finished(timeout_s)
                else:
                    job.add(msg)
    except (EOFError, OSError):
        return "dead"
    return "busy" if worker.queue else "idle"


PAGES_IN_FLIGHT = 2  # per worker


class _Pool:
    """Worker processes fed from a queue of jobs, with a wall-clock budget per page.

    ``pump`` hands out jobs and reads results without waiting, so the build process can
    go on scanning pages while the workers verify the ones it already sent."""

    def __init__(self, facts: Mapping[str, str], timeout_s: float, n_workers: int) -> None:
        self.facts, self.timeout_s, self.n_workers = facts, timeout_s, max(1, n_workers)
        self.pending: deque[_Job] = deque()
        self.workers: list[_Worker] = []
        self.ctx: Any = None

    def add(self, job: _Job) -> None:
        self.pending.append(job)
        self.pump()

    @property
    def busy(self) -> bool:
        return bool(self.pending) or any(w.queue for w in self.workers)

    def pump(self, wait: bool = False) -> None:
        """Assign pending jobs and take in results; with ``wait``, block until some
        worker sends something or a deadline passes."""
        self._assign()
        busy = [w for w in self.workers if w.queue]
        if not busy:
            return
        wait_s = max(0.0, min(w.deadline for w in busy) - time.monotonic()) if wait else 0.0
        ready = _readable([w.conn for w in busy], wait_s)
        for i, w in enumerate(self.workers):
            if w.queue:
                self._settle(i, _drain(w, self.timeout_s) if w.conn in ready else "busy")

    def finish(self) -> None:
        while self.busy:
            self.pump(wait=True)

    def close(self) -> None:
        for w in self.workers:
            w.close(kill=bool(w.queue))
        self.workers = []

    def _assign(self) -> None:
        if self.pending and len(self.workers) < self.n_workers:
            self.ctx = self.ctx or _context()
            while len(self.workers) < min(self.n_workers, len(self.pending)):
                self.workers.append(_Worker(self.ctx, self.facts))
        for i in range(len(self.workers)):
            failures = 0
            while len(self.workers[i].queue) < PAGES_IN_FLIGHT and self.pending:
                if self.workers[i].assign(self.pending[0], self.timeout_s):
                    self.pending.popleft()
                    continue
                failures += 1
                if failures > 3:
                    raise RuntimeError("cannot start a verifier worker process")
                self.pending.extendleft(reversed(self.workers[i].queue))
                self.workers[i].close(kill=True)
                self.workers[i] = _Worker(self.ctx, self.facts)

    def _settle(self, i: int, state: str) -> None:
        """Stop the worker's current page if the worker died or overran its budget."""
        w = self.workers[i]
        job = w.job
        if job is None:
            return
        if state == "dead":
            job.at = _position(w) or job.at
            job.stopped("E407", "the verifier process died while evaluating this "
                        "statement (out of memory?)", "simplify the claim")
        elif time.monotonic() >= w.deadline:
            job.at = _position(w) or job.at
            job.stopped("E408", f"evaluating this statement took longer than "
                        f"{self.timeout_s:g} s and was stopped",
                        "simplify the claim, or split a heavy symbolic step")
        else:
            return
        w.queue.popleft()
        self.pending.extendleft(reversed(w.queue))  # sent, never started: send again
        w.queue.clear()
        w.close(kill=True)
        self.workers[i] = _Worker(self.ctx, self.facts)


def _readable(conns: list[mpc.Connection], timeout_s: float) -> set[mpc.Connection]:
    """The connections with something to read (or closed), waiting up to ``timeout_s``.
    select.poll where there is one: mpc.wait builds and tears down a selector per call,
    which cost more than the rest of the build process's share of verifying."""
    if not hasattr(select, "poll"):
        ready = mpc.wait(conns, timeout=timeout_s)
        return {conn for conn in conns if conn in ready}
    poller = select.poll()
    by_fd = {}
    for conn in conns:
        by_fd[conn.fileno()] = conn
        poller.register(conn.fileno(), select.POLLIN)
    return {by_fd[fd] for fd, _ in poller.poll(math.ceil(timeout_s * 1000))}


def _position(worker: _Worker) -> tuple[int, int] | None:
    line, col = worker.position[0], worker.position[1]
    return (line, col) if line else None


class Verifier:
    """Verifies pages as they are submitted, in worker processes, while the caller goes on
    with other work; ``finish`` waits for the rest. Pages whose cache entry is still
    valid are answered at once. Use as a context manager: leaving it kills the workers.

        with Verifier(facts, cache) as verifier:
            for key, claims in pages: verifier.submit(key, claims)
            verdicts, new_cache, stats = verifier.finish()
    """

    def __init__(self, facts: Mapping[str, str], cache: Mapping[str, dict[str, Any]], *,
                 timeout_s: float = 5.0, jobs: int = 2) -> None:
        self.started = time.perf_counter()
        self.facts, self.cache = facts, cache
        self.names_digest = _sha(sorted(facts))
        self.keys: list[str] = []
        self.verdicts: dict[str, PageVerdict] = {}
        self.new_cache: dict[str, dict[str, Any]] = {}
        self.jobs: list[_Job] = []
        self.cached = 0
        self.pool = _Pool(facts, timeout_s, jobs)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *_: object) -> None:
        self.pool.close()

    def submit(self, key: str, claims: PageClaims) -> None:
        names = claims.names if claims.names is not None else claim_names(claims)
        self.submit_known(key, claims.digest or claims_digest(claims), names, lambda: claims)

    def submit_known(self, key: str, claims_digest: str, names: frozenset[str],
                     claims: Callable[[], PageClaims]) -> None:
        """Like submit, for a caller that memoised claims_digest and claim_names: the
        claims themselves are only built on a cache miss."""
        self.keys.append(key)
        digest = key_digest(claims_digest, names, self.facts)
        if not self._cached(key, digest):
            self._verify(key, claims(), digest)

    def _cached(self, key: str, digest: str) -> bool:
        hit = _from_cache(self.cache.get(key), digest, self.names_digest)
        if hit is None:
            return False
        self.verdicts[key], self.new_cache[key] = hit, self.cache[key]
        self.cached += 1
        return True

    def _verify(self, key: str, claims: PageClaims, digest: str) -> None:
        if not claims.blocks and not claims.inline:
            self.verdicts[key] = PageVerdict((), (), ())
            self.new_cache[key] = {"digest": digest, "fact_names": None,
                                   "verdict": self.verdicts[key].to_json()}
        else:
            job = _Job(key, claims, digest)
            self.jobs.append(job)
            self.pool.add(job)

    def pump(self) -> None:
        """Take in what the workers have sent and give them more, without waiting."""
        if self.pool.busy:
            self.pool.pump()

    def finish(self) -> tuple[dict[str, PageVerdict], dict[str, dict[str, Any]], VerifyStats]:
        """Wait for every submitted page: (verdicts, new cache entries, stats)."""
        self.pool.finish()
        self.pool.close()
        for job in self.jobs:
            self.verdicts[job.key] = job.verdict()
            if job.cacheable:
                self.new_cache[job.key] = job.cache_entry(self.names_digest)
        ordered = {key: self.verdicts[key] for key in self.keys}
        stats = VerifyStats(
            pages=len(ordered), verified=len(ordered) - self.cached, cached=self.cached,
            claims=sum(len(v.records) for v in ordered.values()),
            seconds=time.perf_counter() - self.started)
        return ordered, self.new_cache, stats


def verify_pages(
    pages: Mapping[str, PageClaims],
    facts: Mapping[str, str],
    cache: Mapping[str, dict[str, Any]],
    *,
    timeout_s: float = 5.0,
    jobs: int = 2,
) -> tuple[dict[str, PageVerdict], dict[str, dict[str, Any]], VerifyStats]:
    """Verify pages' claims; pages whose cache entry is still valid are not looked at."""
    with Verifier(facts, cache, timeout_s=timeout_s, jobs=jobs) as verifier:
        for key, claims in pages.items():
            verifier.submit(key, claims)
        return verifier.finish()
