"""Whether the capture's clock can be right: what capture.clock_implausible reports and what the
certificate validity findings consult before calling a certificate expired or not yet valid.

Three signs, each a fact of the capture:
- frames dated before 1990 (a host that never set its clock starts at the epoch; tools that
  zero or rewrite timestamps), or dated in the 1990s while carrying what did not exist then
  (TLS 1.1 or later, DTLS, a certificate issued later): a capture really taken in 1999 (the
  DARPA sets, old SMTP traces) is left alone;
- frames dated more than a day after now (this machine's clock);
- certificates from at least two different issuers that are not yet valid, by more than a day,
  at the time of the frame that carried them, while their signatures verify and they are not
  expired: several CAs do not all issue certificates from the future, the capture's clock is
  behind (a device that starts at 2000-01-01 after a reset, without NTP).

A clock that is behind makes "not yet valid" doubtful and leaves "expired" true (the real time
is later still); a clock that is ahead makes "expired" doubtful and leaves "not yet valid" true.
"""
from __future__ import annotations

import numpy as np

import time
from dataclasses import dataclass, field

from .context import Context, fmt_time

Y2000 = 946684800.0  # 2000-01-01 00:00:00 UTC
Y1990 = 631152000.0  # 1990-01-01 00:00:00 UTC: no capture file of this kind is older
TLS11 = 0x0302  # RFC 4346, April 2006
DAY = 86400.0
MIN_ISSUERS = 2


@dataclass
class ClockView:
    early: list[int] = field(default_factory=list)  # frames dated before 1990, and 1990s frames that cannot be
    anachronisms: dict[int, str] = field(default_factory=dict)  # 1990s frame -> what it carries that is newer
    late: list[int] = field(default_factory=list)  # frames dated after now + 1 day
    future_certs: list[tuple[int, object]] = field(default_factory=list)  # (frame, CertInfo) behind-evidence
    plausible: tuple[float, float] | None = None  # (first, last) time of the frames not in early/late
    latest_not_before: float | None = None  # of the future_certs: the real time is after it
    early_not_before: float | None = None  # latest notBefore of certificates in frames dated before 2000
    now: float = 0.0

    @property
    def behind(self) -> bool:
        """The whole capture's clock is behind, by the certificates' evidence."""
        return len({c.issuer for _f, c in self.future_certs}) >= MIN_ISSUERS

    @property
    def implausible(self) -> bool:
        return bool(self.early or self.late or self.behind)

    def frame_behind(self, ctx: Context, frame: int) -> bool:
        return self.behind or ctx.time(frame) < Y1990 or frame in self.anachronisms

    def frame_ahead(self, ctx: Context, frame: int) -> bool:
        return ctx.time(frame) > self.now + DAY


def _scan_times(ctx: Context, view: ClockView) -> None:
    try:
        times = ctx.session.capture.index.time_ns
    except AttributeError:
        times = [ctx.session.frame_meta(i)[2] for i in range(1, ctx.total + 1)]
    if not len(times):
        return
    lo_ns, hi_ns = int(Y1990 * 1e9), int((view.now + DAY) * 1e9)
    column = np.asarray(times, dtype=np.int64)
    if int(column.min()) < lo_ns or int(column.max()) > hi_ns:
        first = last = None
        for i, t in enumerate(times):
            if t < lo_ns:
                view.early.append(i + 1)
            elif t > hi_ns:
                view.late.append(i + 1)
            else:
                first = t if first is None else min(first, t)
                last = t if last is None else max(last, t)
        if first is not None:
            view.plausible = (first / 1e9, last / 1e9)
    else:
        view.plausible = (int(column.min()) / 1e9, int(column.max()) / 1e9)


def _scan_1990s(ctx: Context, view: ClockView) -> None:
    """Frames dated 1990-1999 that carry a protocol or certificate from later: their date is wrong."""
    for st in ctx.tls_streams.values():
        frames = [h.frame for h in st.client_hellos + st.server_hellos] + [c.frame for c in st.certificates]
        for f in frames:
            try:
                t = ctx.time(f)
            except Exception:
                continue
            if not Y1990 <= t < Y2000:
                continue
            why = ""
            if st.dtls:
                why = "DTLS (2006)"
            elif (st.version or 0) >= TLS11 and st.version != 0xFFFF:
                from ..tls.names import version_name

                why = f"{version_name(st.version)} (2006 or later)"
            for chain in st.certificates:
                if chain.frame == f:
                    late = [c.not_before for c in chain.certs if c.not_before is not None and c.not_before > t + DAY]
                    if late:
                        why = why or f"a certificate valid only from {fmt_time(max(late))}"
            if why:
                view.anachronisms.setdefault(f, why)
    if view.anachronisms:
        view.early = sorted(set(view.early) | set(view.anachronisms))
        bad = set(view.early) | set(view.late)
        ok = [ctx.time(f) for f in range(1, ctx.total + 1) if f not in bad]
        view.plausible = (min(ok), max(ok)) if ok else None


def _scan_certs(ctx: Context, view: ClockView) -> None:
    from .trust import chain_verdict

    seen = set()
    for st in ctx.tls_streams.values():
        for chain in st.certificates:
            if not chain.certs:
                continue
            try:
                t = ctx.time(chain.frame)
            except Exception:
                continue
            if t < Y2000 or t > view.now + DAY:
                if chain.frame in view.early:  # the frame's own date already says the clock is wrong; the certificates
                    nbs = [c.not_before for c in chain.certs if not c.error and c.not_before is not None]
                    if nbs:  # say when it could have been
                        view.early_not_before = max(nbs + [view.early_not_before or 0.0])
                continue
            late = [c for c in chain.certs if not c.error and c.not_before is not None and c.not_before > t + DAY
                    and (c.not_after is None or c.not_after >= t)]
            if not late:
                continue
            verdict = chain_verdict(ctx, chain)
            if verdict is not None and verdict.status == "bad_signature":
                continue
            for c in late:
                k = (c.subject, c.issuer, c.serial)
                if k not in seen:
                    seen.add(k)
                    view.future_certs.append((chain.frame, c))
    if view.future_certs:
        view.latest_not_before = max(c.not_before for _f, c in view.future_certs)


def clock_view(ctx: Context) -> ClockView:
    """The clock's verdict for this capture (computed once per Context)."""
    got = ctx.__dict__.get("_tlstui_clock_view")
    if got is None:
        got = ClockView(now=time.time())
        _scan_times(ctx, got)
        _scan_1990s(ctx, got)
        _scan_certs(ctx, got)
        ctx.__dict__["_tlstui_clock_view"] = got
    return got
