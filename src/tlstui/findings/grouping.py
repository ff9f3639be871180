"""Findings grouped for a capture with thousands of them: by kind, then by server -- or, for
certificate findings, by the certificate -- with counts and severities (``tlstui findings --group``
and the UI's findings pane).

    group_findings(findings, session) -> FindingGroups

Two levels.  A ``KindGroup`` holds every finding of one kind; inside it each ``Group`` holds
the findings about one server (its address:port and the SNI the client asked for) or, for the
``tls.certificate_*`` kinds, about one certificate (the leaf of the Certificate message the
finding cites: subject and SHA-256 fingerprint, with the servers that presented it).  Findings
that belong to no single stream (capture-wide ones, or one finding about many streams that cites
no certificate) form a group of their own.  Both levels are ordered most severe first, then
largest first, then by first evidence frame; members keep capture order (first evidence frame).

Everything is immutable (tuples, frozen dataclasses): a worker builds it once per findings run
and hands it to the UI as it is.  The cost is one pass over the findings plus the connection
table (``tlstui.connections``, computed once per session).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterator, Mapping

from .model import SEVERITIES, SEVERITY_RANK, Finding
from .render import MARK as _MARK

CERTIFICATE_PREFIX = "tls.certificate_"
BY_SERVER, BY_CERTIFICATE, BY_NONE = "server", "certificate", "none"
_NO_FRAME = 1 << 62


def _counts(findings) -> Mapping[str, int]:
    out = {s: 0 for s in SEVERITIES}
    for f in findings:
        out[f.severity] += 1
    return MappingProxyType(out)


def _worst(counts: Mapping[str, int]) -> str:
    return next((s for s in SEVERITIES if counts[s]), SEVERITIES[-1])


def _first_frame(f: Finding) -> int:
    return f.frames[0] if f.frames else _NO_FRAME


@dataclass(frozen=True, slots=True)
class Group:
    """The findings of one kind about one server, one certificate, or no single stream.

    ``by`` is "server", "certificate" or "none".  Server groups: ``server`` ('addr:port') and
    ``sni`` (None when the client sent none, or the stream is not TLS).  Certificate groups:
    ``cert_subject``, ``cert_sha256`` and ``servers`` ('addr:port (SNI name)' of each server that
    presented it).  ``streams`` are the (transport, stream) pairs the members name, in capture
    order; ``snis`` the SNI names of the members' streams with how many members name each (most
    first: one name when grouped by SNI).  ``label`` is what a list shows (already escaped)."""

    kind: str
    by: str
    label: str
    severity: str
    counts: Mapping[str, int]
    findings: tuple[Finding, ...]
    server: str | None = None
    sni: str | None = None
    cert_subject: str | None = None
    cert_sha256: str | None = None
    servers: tuple[str, ...] = ()
    streams: tuple[tuple[str, int], ...] = ()
    snis: tuple[tuple[str, int], ...] = ()

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def first_frame(self) -> int | None:
        return self.findings[0].first_frame if self.findings else None

    def as_dict(self) -> dict:
        """The object of ``tlstui findings --group --json`` (one per line; README.md)."""
        return {"kind": self.kind, "severity": self.severity, "count": self.count, "counts": dict(self.counts),
                "group_by": self.by, "label": self.label, "server": self.server, "sni": self.sni,
                "cert_subject": self.cert_subject, "cert_sha256": self.cert_sha256, "servers": list(self.servers),
                "snis": [{"sni": n, "count": c} for n, c in self.snis],
                "streams": [{"transport": t, "stream": s} for t, s in self.streams],
                "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class KindGroup:
    """Every finding of one kind, in its groups (most severe and largest first)."""

    kind: str
    severity: str
    counts: Mapping[str, int]
    groups: tuple[Group, ...]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def first_frame(self) -> int | None:
        frames = [g.first_frame for g in self.groups if g.first_frame is not None]
        return min(frames) if frames else None


@dataclass(frozen=True, slots=True)
class FindingGroups:
    """The grouped findings of one capture.  ``kinds`` in display order; ``members()`` walks every
    finding in that order (what n/N walk through), ``groups()`` every second-level group."""

    kinds: tuple[KindGroup, ...] = ()

    @property
    def total(self) -> int:
        return sum(k.count for k in self.kinds)

    @property
    def counts(self) -> Mapping[str, int]:
        out = {s: sum(k.counts[s] for k in self.kinds) for s in SEVERITIES}
        return MappingProxyType(out)

    def groups(self) -> tuple[Group, ...]:
        return tuple(g for k in self.kinds for g in k.groups)

    def members(self) -> Iterator[tuple[KindGroup, Group, Finding]]:
        for k in self.kinds:
            for g in k.groups:
                for f in g.findings:
                    yield k, g, f

    def locate(self, finding: Finding) -> tuple[int, int, int] | None:
        """(kind index, group index, member index) of a finding (by identity, else equality)."""
        fallback = None
        for ki, k in enumerate(self.kinds):
            if k.kind != finding.kind:
                continue
            for gi, g in enumerate(k.groups):
                for mi, f in enumerate(g.findings):
                    if f is finding:
                        return ki, gi, mi
                    if fallback is None and f == finding:
                        fallback = (ki, gi, mi)
        return fallback


# --- what a finding is about ---------------------------------------------------------------------
class _Resolver:
    """Streams, servers and certificates of one session, looked up once."""

    def __init__(self, session) -> None:  # noqa: ANN001
        self.session = session
        self.conv = getattr(session, "conv", None)
        self._table = None
        self._certs: dict[int, tuple[str, str, tuple[str, int]]] | None = None
        self._servers: dict[tuple[str, int], tuple[str, str | None]] = {}

    @property
    def table(self):  # noqa: ANN201
        if self._table is None:
            from ..connections import connections

            try:
                self._table = connections(self.session)
            except Exception:  # grouping must not fail where the table cannot be built
                from ..connections import ConnectionTable

                self._table = ConnectionTable.of([])
        return self._table

    def transport(self, f: Finding) -> str:
        """Whether ``f.stream`` numbers a TCP or a UDP stream: the one its evidence frames are in."""
        conv = self.conv
        if conv is not None:
            tcp, udp = conv.tcp_stream, conv.udp_stream
            for frame in f.frames[:8]:
                i = frame - 1
                if 0 <= i < len(tcp) and tcp[i] == f.stream:
                    return "tcp"
                if 0 <= i < len(udp) and udp[i] == f.stream:
                    return "udp"
        return "udp" if f.kind.startswith(("dtls.", "quic.")) else "tcp"

    def streams_of(self, f: Finding, limit: int = 256) -> list[tuple[str, int]]:
        """The distinct (transport, stream) of ``f``'s evidence frames (the first ``limit``)."""
        conv = self.conv
        out: list[tuple[str, int]] = []
        if conv is None:
            return out
        tcp, udp = conv.tcp_stream, conv.udp_stream
        for frame in f.frames[:limit]:
            i = frame - 1
            if 0 <= i < len(tcp) and tcp[i] >= 0:
                key = ("tcp", int(tcp[i]))
            elif 0 <= i < len(udp) and udp[i] >= 0:
                key = ("udp", int(udp[i]))
            else:
                continue
            if key not in out:
                out.append(key)
        return out

    def common_server(self, f: Finding) -> tuple[str, str | None, list[tuple[str, int]]] | None:
        """(server, SNI or None, streams) when every stream ``f``'s frames are in has one server
        (the SNI kept only when they share it too); None otherwise."""
        streams = self.streams_of(f)
        if not streams:
            return None
        servers = {self.server(*s) for s in streams}
        if len(servers) == 1:
            server, sni = servers.pop()
            return server, sni, streams
        if len({s for s, _ in servers}) == 1:
            return next(iter(servers))[0], None, streams
        return None

    def server(self, transport: str, stream: int) -> tuple[str, str | None]:
        """('addr:port', SNI or None) of the stream's server."""
        key = (transport, stream)
        got = self._servers.get(key)
        if got is None:
            c = self.table.by_stream.get(key)
            if c is not None:
                got = (c.server, c.sni)
            else:
                got = (self._plain_server(transport, stream), None)
            self._servers[key] = got
        return got

    def _plain_server(self, transport: str, stream: int) -> str:
        from ..connections.build import guess_client
        from .context import Context, fmt_endpoint

        ctx = Context(self.session)
        eps = ctx.endpoints(transport, stream)
        if eps is None:
            return f"{transport} stream {stream}"
        return fmt_endpoint(eps[1 - guess_client(ctx, transport, stream, eps)])

    def cert_at(self, frame: int) -> tuple[str, str, tuple[str, int]] | None:
        """(leaf subject, its SHA-256, (transport, stream)) of the Certificate message in ``frame``."""
        if self._certs is None:
            self._certs = {}
            tls = getattr(self.session, "tls", None)
            if tls is not None:
                for (kind, stream), st in tls.streams().items():
                    for chain in st.certificates:
                        if chain.certs and chain.frame not in self._certs:
                            leaf = chain.certs[0]
                            fp = hashlib.sha256(leaf.der).hexdigest() if leaf.der else ""
                            self._certs[chain.frame] = (leaf.subject, fp, (kind, stream))
        return self._certs.get(frame)

    def certificate(self, f: Finding) -> tuple[str, str, tuple[str, int]] | None:
        """The leaf of the first Certificate message ``f`` cites (see ``cert_at``)."""
        for frame in f.frames:
            got = self.cert_at(frame)
            if got is not None:
                return got
        return None


def _server_label(server: str, sni: str | None) -> str:
    return f"{server} (SNI {sni})" if sni else server


def group_findings(findings: list[Finding], session=None, by_sni: bool = True) -> FindingGroups:  # noqa: ANN001
    """Group ``findings`` (any order) of one analysed ``session``; without a session, findings
    are grouped by kind and stream only (no servers or certificates can be named).

    ``by_sni``: a server is its address:port and the SNI (virtual hosts on one address apart);
    False groups by address:port alone, each group's ``snis`` counting the names asked for."""
    from ..safe_text import escape_text

    res = _Resolver(session) if session is not None else None
    buckets: dict[str, dict[tuple, dict]] = {}

    def server_bucket(by_kind: dict, server: str, sni: str | None) -> dict:
        key = (BY_SERVER, server, sni if by_sni else None)
        b = by_kind.get(key)
        if b is None:
            b = by_kind[key] = dict(by=BY_SERVER, label=_server_label(server, sni) if by_sni else server,
                                    server=server, sni=sni if by_sni else None, streams={}, members=[], snis={})
        if sni:
            b["snis"][sni] = b["snis"].get(sni, 0) + 1
        return b

    for order, f in enumerate(findings):
        by_kind = buckets.setdefault(f.kind, {})
        cert = res.certificate(f) if res is not None and f.kind.startswith(CERTIFICATE_PREFIX) else None
        if cert is not None:
            subject, fp, cstream = cert
            key = (BY_CERTIFICATE, subject, fp)
            b = by_kind.get(key)
            if b is None:
                label = f"{escape_text(subject) or '(no subject)'} (sha256 {fp[:16]}…)" if fp else \
                    escape_text(subject) or "(no subject)"
                b = by_kind[key] = dict(by=BY_CERTIFICATE, label=label, cert_subject=escape_text(subject),
                                        cert_sha256=fp or None, servers={}, streams={}, members=[])
            streams = [cstream] if f.stream is None else [(res.transport(f), f.stream)]
            if f.stream is None:
                # A finding about many streams names them through its Certificate messages.
                streams = list(dict.fromkeys(c[2] for c in map(res.cert_at, f.frames) if c))
            for s in streams:
                if s not in b["streams"]:
                    b["streams"][s] = None
                    b["servers"].setdefault(_server_label(*res.server(*s)))
        elif f.stream is None and (shared := res.common_server(f) if res is not None else None) is not None:
            server, sni, streams = shared
            b = server_bucket(by_kind, server, sni)
            for s in streams:
                b["streams"].setdefault(s)
        elif f.stream is None:
            key = (BY_NONE,)
            b = by_kind.get(key)
            if b is None:
                b = by_kind[key] = dict(by=BY_NONE, label="no single stream", streams={}, members=[])
        elif res is not None:
            transport = res.transport(f)
            b = server_bucket(by_kind, *res.server(transport, f.stream))
            b["streams"].setdefault((transport, f.stream))
        else:
            key = (BY_SERVER, "tcp", f.stream)
            b = by_kind.get(key)
            if b is None:
                b = by_kind[key] = dict(by=BY_SERVER, label=f"tcp stream {f.stream}", streams={}, members=[])
            b["streams"].setdefault(("tcp", f.stream))
        b["members"].append((_first_frame(f), order, f))

    kinds = []
    for kind, by_kind in buckets.items():
        groups = []
        for b in by_kind.values():
            members = tuple(f for _, _, f in sorted(b.pop("members"), key=lambda m: (m[0], m[1])))
            counts = _counts(members)
            snis = tuple(sorted(b.pop("snis", {}).items(), key=lambda kv: (-kv[1], kv[0])))
            groups.append(Group(kind=kind, severity=_worst(counts), counts=counts, findings=members,
                                streams=tuple(b.pop("streams")), servers=tuple(b.pop("servers", ())), snis=snis, **b))
        groups.sort(key=lambda g: (SEVERITY_RANK[g.severity], -g.count, _first_frame(g.findings[0]), g.label))
        counts = MappingProxyType({s: sum(g.counts[s] for g in groups) for s in SEVERITIES})
        kinds.append(KindGroup(kind, _worst(counts), counts, tuple(groups)))
    kinds.sort(key=lambda k: (SEVERITY_RANK[k.severity], -k.count, k.first_frame or _NO_FRAME, k.kind))
    return FindingGroups(tuple(kinds))



# --- output -------------------------------------------------------------------------------------


def _counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def render_grouped_text(groups: FindingGroups, width: int = 100) -> str:
    """``tlstui findings --group``: a count line; per kind a heading with its counts; per group
    a heading, the explanation of its first most severe member (the members of a group mostly share
    one cause), then one line per member (first evidence frame, stream, summary) in capture order,
    each member less severe than its group marked with its own severity."""
    import textwrap

    from ..safe_text import escape_text

    if not groups.kinds:
        return "No findings: nothing wrong was seen in this capture."
    ngroups = sum(len(k.groups) for k in groups.kinds)
    out = [f"{_plural(groups.total, 'finding')} in {_plural(len(groups.kinds), 'kind')} and "
           f"{_plural(ngroups, 'group')}: {_counts_text(groups.counts)}",
           "(by kind, then by server -- certificate findings by certificate; most severe and largest first)", ""]
    for k in groups.kinds:
        what = {BY_SERVER: "server", BY_CERTIFICATE: "certificate", BY_NONE: "group"}
        bys = {g.by for g in k.groups}
        noun = what[bys.pop()] if len(bys) == 1 else "group"
        out.append(f"{_MARK[k.severity]} {k.kind}: {_plural(k.count, 'finding')} ({_counts_text(k.counts)}) "
                   f"in {_plural(len(k.groups), noun)}")
        for g in k.groups:
            streams = f", {_plural(len(g.streams), 'stream')}" if g.streams else ""
            out.append(f"  {_MARK[g.severity]} {g.label}: {_plural(g.count, 'finding')}{streams}")
            if g.by == BY_SERVER and g.sni is None and g.snis:
                names = ", ".join(f"{n} ({c})" for n, c in g.snis[:5])
                more = f", ... ({len(g.snis)} names)" if len(g.snis) > 5 else ""
                out.append(f"      SNI: {escape_text(names + more)}")
            if g.servers:
                shown = ", ".join(g.servers[:5]) + (f", ... ({len(g.servers)} servers)" if len(g.servers) > 5 else "")
                out.append(f"      presented by {escape_text(shown)}")
            worst = next(f for f in g.findings if f.severity == g.severity)
            out.extend(textwrap.wrap(escape_text(worst.explanation), width=width, initial_indent="      ",
                                     subsequent_indent="      "))
            for f in g.findings:
                frame = f"frame {f.frames[0]}" if f.frames else "no frame"
                stream = "-" if f.stream is None else str(f.stream)
                mark = "" if f.severity == g.severity else f"{_MARK[f.severity]} "
                out.append(f"      - {frame}, stream {stream}: {mark}{escape_text(f.summary)}")
        out.append("")
    return "\n".join(out).rstrip()


def render_grouped_json_lines(groups: FindingGroups) -> str:
    """``tlstui findings --group --json``: one JSON object per group (``Group.as_dict``), one per
    line, in display order; each member is the finding object of the ``--json`` contract."""
    import json

    return "\n".join(json.dumps(g.as_dict(), ensure_ascii=False) for g in groups.groups())
