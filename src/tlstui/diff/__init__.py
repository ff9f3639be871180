"""`tlstui diff A B`: two captures of the same traffic taken at two points, compared.

side.py reads each capture into a segment table (in two processes when both are large),
match.py pairs their connections, align.py their segments, clock.py measures the clock offset and
the delay, detect.py and tlsview.py turn the differences into findings, udp.py does the same for
UDP datagrams (DTLS, QUIC...), render.py prints them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .kinds import DIFF_KINDS  # noqa: F401
from .model import DiffFinding, sort_key
from .side import Cancelled  # noqa: F401 - diff_sessions's

PARALLEL_BYTES = 64 << 20  # both captures at least this large: read them in two processes


@dataclass
class DiffResult:
    path_a: str
    path_b: str
    frames: tuple  # (A's frames, B's frames)
    connections: tuple  # (A's TCP connections, B's)
    matched: dict  # method -> count
    only: tuple  # (connections only in A, only in B)
    pairs: int  # segments paired
    clock_offset_ns: int
    separable: bool
    skew: float  # B's clock rate minus A's (0: none measured)
    skew_ref_ns: int  # A's time at which the offset holds
    delay: dict  # detect.delay_stats
    findings: list[DiffFinding] = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # seconds per stage (bench/bench_diff.py --stages)
    links: object = None  # links.Links: frame <-> frame (the side-by-side view, ui/diff_view.py)
    udp: dict = field(default_factory=dict)  # flows (A, B), matched {method: n}, only (A, B), datagrams_paired/_rewritten
    problems: list = field(default_factory=list)  # --keylog: the decryption's problems (printed as warnings)


def _read_both(path_a: str, path_b: str):
    from .side import read_side

    big = all(os.path.getsize(p) >= PARALLEL_BYTES for p in (path_a, path_b))
    if big and (os.cpu_count() or 1) > 1:
        import multiprocessing as mp

        from .. import session as _  # noqa: F401  (imported once, before the fork: the child inherits it)
        from ..columns import build as _b  # noqa: F401
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork")) as ex:
            fut = ex.submit(read_side, path_b)
            A = read_side(path_a)
            B = fut.result()
        return A, B
    return read_side(path_a), read_side(path_b)


def diff_captures(path_a: str, path_b: str, keylog: str | None = None) -> DiffResult:
    """Compare two captures; raises ``CaptureError`` for a file that cannot be read.  ``keylog``: an
    SSLKEYLOGFILE that names the encrypted alerts one point saw alone (keys.py)."""
    from ..capture.reader import read_input

    import time

    t0 = time.perf_counter()
    A, B = _read_both(path_a, path_b)
    timings = {"read both captures (segment tables)": round(time.perf_counter() - t0, 3)}
    keys = None
    if keylog:
        from .keys import AlertKeys

        keys = AlertKeys((path_a, path_b), keylog)
    try:
        r = _compare(A, B, read_input(path_a), read_input(path_b), path_a, path_b, timings, keys=keys)
    finally:
        if keys is not None:
            keys.close()
    if keys is not None:
        r.problems = keys.problems
    return r


def diff_sessions(session_a, session_b, cancel=None, progress=None, analyse=None) -> DiffResult:  # noqa: ANN001
    """Compare two captures already opened as ``Session``s (the side-by-side view's own): their
    conversation passes are run here if they have not run and stay for their analysis; nothing is
    opened or read a second time.  ``cancel`` (a ``threading.Event``) set: raises ``Cancelled`` at the
    next stage or batch.  ``progress(stage)`` names each stage as it starts.  Sessions opened with a
    key log name the encrypted alerts one point saw alone: the session that has one is analysed then
    (``analyse(session)``, default ``session.analyze()``), not again later."""
    from .side import session_side

    import gc
    import time

    collecting = gc.isenabled()
    gc.disable()  # the view's sessions hold millions of objects: a collection would walk them all, often
    try:
        t0 = time.perf_counter()
        sides = []
        for name, s in (("A", session_a), ("B", session_b)):
            _step(cancel, progress, f"reading {name}")
            sides.append(session_side(s, cancel))
        timings = {"read both captures (segment tables)": round(time.perf_counter() - t0, 3)}
        keys = None
        if session_a.keylog or session_b.keylog:
            from .keys import AlertKeys

            keys = AlertKeys((session_a.capture.name, session_b.capture.name), session_a.keylog or session_b.keylog,
                             (session_a, session_b), analyse)
        return _compare(sides[0], sides[1], session_a.capture.data, session_b.capture.data,
                        session_a.capture.name, session_b.capture.name, timings, cancel, progress, keys)
    finally:
        if collecting:
            gc.enable()


def _step(cancel, progress, stage: str) -> None:  # noqa: ANN001
    from .side import Cancelled

    if cancel is not None and cancel.is_set():
        raise Cancelled
    if progress is not None:
        progress(stage)


def _compare(A, B, data_a, data_b, path_a: str, path_b: str, timings: dict, cancel=None,  # noqa: ANN001
             progress=None, keys=None) -> DiffResult:
    from . import detect
    from .align import align, settle, signatures
    from .clock import estimate
    from .match import match_connections
    from .tlsview import tls_view

    import time

    clock_t = [time.perf_counter()]

    def lap(name: str, then: str | None = None) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock_t[0], 3)
        clock_t[0] = now
        if then is not None:
            _step(cancel, progress, then)

    def step(stage: str) -> None:
        _step(cancel, progress, stage)

    step("matching connections")
    matches, only_a, only_b = match_connections(A, B)
    lap("match connections", "aligning segments")
    al, odd = align(A, B, matches)
    ngroups = 2 * len(matches)
    ra, rb = al.ra, al.rb

    def pair_clock(al, drift: bool = True):  # noqa: ANN001, ANN202
        dt = rb.t[al.pb] - ra.t[al.pa]
        return estimate(dt, 2 * ra.cid[al.pa] + ra.adir[al.pa], ngroups, ra.t[al.pa] if drift else None)

    clock = pair_clock(al, drift=False)  # enough to pair the uneven keys by time
    sig_a = signatures(A, ra, [x for xs, _ in odd for x in xs])
    sig_b = signatures(B, rb, [y for _, ys in odd for y in ys])
    step("aligning segments")
    al = settle(al, odd, clock.expect, sig_a, sig_b)
    clock = pair_clock(al)
    lap(f"align segments ({len(odd)} uneven keys)", "comparing")
    ctx = detect.Context(A, B, matches, al, clock, data_a, data_b)
    ctx.keys = keys
    stats = detect.delay_stats(ctx)
    margin = max([st["max"] for st in stats.values()] + [1_000_000])
    found: list[DiffFinding] = []
    for run in (detect.rewritten, detect.headers, detect.translation, detect.one_sided, detect.reordered,
                lambda c: detect.delay(c, stats), lambda c: detect.unmatched_connections(c, only_a, only_b, margin)):
        step("comparing")
        found += run(ctx)
    # The TLS view where payload changed, was lost or was added.
    groups = {(int(ra.cid[p]), int(ra.adir[p])) for p in al.pa[(A.plen[ctx.ia] > 0) &
                                                                (A.phash[ctx.ia] != B.phash[ctx.ib])].tolist()}
    for p in al.ua.tolist():
        if ra.plen[p]:
            groups.add((int(ra.cid[p]), int(ra.adir[p])))
    for p in al.ub.tolist():
        if rb.plen[p]:
            groups.add((int(rb.cid[p]), int(rb.adir[p])))
    lap("detectors", "comparing TLS records")
    found += tls_view(ctx, groups)
    lap("TLS view", "comparing UDP datagrams")
    from . import udp

    ur = udp.compare(A, B, data_a, data_b, clock if len(al.pa) else None)
    udp_info = {"flows": (0, 0), "matched": {}, "only": (0, 0), "datagrams_paired": 0, "datagrams_rewritten": 0}
    if ur is not None:
        found += ur.findings
        stats = {**stats, **ur.delay}
        for m in ur.matches:
            udp_info["matched"][m.method] = udp_info["matched"].get(m.method, 0) + 1
        udp_info.update(flows=ur.flows, only=(len(ur.only[0]), len(ur.only[1])),
                        datagrams_paired=len(ur.pairs.pa) if ur.pairs else 0,
                        datagrams_rewritten=len(ur.pairs.ra) if ur.pairs else 0)
    lap("UDP")
    found.sort(key=sort_key)
    from .links import Links

    links = Links.build(A, B, al, ur.pairs if ur is not None else None)
    matched: dict[str, int] = {}
    for m in matches:
        matched[m.method] = matched.get(m.method, 0) + 1
    offset, separable, pairs = clock.offset_ns, clock.separable, len(al.pa)
    if not pairs and ur is not None and udp_info["datagrams_paired"]:
        offset, separable, pairs = ur.offset_ns, ur.separable, udp_info["datagrams_paired"]  # UDP only: its clock
        udp_info["clock_from"] = "datagrams"
    return DiffResult(path_a, path_b, (A.frames_total, B.frames_total), (len(A.conns), len(B.conns)), matched,
                      (len(only_a), len(only_b)), pairs, offset, separable, clock.skew, clock.t_ref_ns, stats, found,
                      timings, links, udp_info)
