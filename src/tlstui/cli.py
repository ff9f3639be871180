"""The command line: `tlstui [FILE]`, `tlstui fields ...`, `tlstui findings ...` (DESIGN.md contract).

Headless commands never import Textual.
"""
from __future__ import annotations

import argparse
import sys

from .capture.reader import CaptureError
from .registry import REGISTRY, FieldType, format_field
from .safe_text import escape_text

EXIT_USAGE = 2
MAX_PROBLEM_LINES = 5


def _fail(message: str) -> int:
    print(f"tlstui: {message}", file=sys.stderr)
    return EXIT_USAGE


def _open(path: str, keylog: str | None, upper_layers: bool = True, tcp_analysis: bool = True):
    """Open and analyse a capture, printing its warnings and any decryption problems."""
    from .session import Session

    if keylog:
        try:
            with open(keylog, "rb"):
                pass
        except OSError as e:
            raise CaptureError(f"{keylog}: cannot read key log: {e.strerror or e}") from None
    session = Session.open(path, keylog, upper_layers=upper_layers, tcp_analysis=tcp_analysis, final=True)
    session.analyze()
    for w in session.warnings:
        print(f"tlstui: warning: {escape_text(w)}", file=sys.stderr)
    if session.decryption is not None:
        problems = session.decryption.problems()
        for problem in problems[:MAX_PROBLEM_LINES]:
            print(f"tlstui: warning: {escape_text(problem)}", file=sys.stderr)
        if len(problems) > MAX_PROBLEM_LINES:
            print(f"tlstui: warning: ... and {len(problems) - MAX_PROBLEM_LINES} more connections or key log "
                  f"lines with the same kind of problem", file=sys.stderr)
    return session


def _check_ca_file(path: str | None) -> str | None:
    """Why --ca-file cannot be used (None when it can be read); its certificates load when needed."""
    if path is None:
        return None
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        return f"{escape_text(path)}: cannot read CA file: {e.strerror or e}"
    return None


class _Usage(Exception):
    pass


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (not argparse's usage block)
        raise _Usage(message)


def cmd_fields(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="tlstui fields", description="Print fields per frame, as tshark -T fields.")
    ap.add_argument("-r", dest="file", required=True, help="capture file ('-' for standard input)")
    ap.add_argument("-Y", dest="filter", help="display filter")
    ap.add_argument("-2", dest="two_pass", action="store_true", help="accepted for tshark compatibility")
    ap.add_argument("-e", dest="fields", action="append", default=[], help="field to print (repeatable)")
    ap.add_argument("--keylog", help="SSLKEYLOGFILE for decryption")
    ap.add_argument("-w", dest="write", metavar="OUT.pcapng",
                    help="write the matching frames to a pcapng file ('-': standard output), with the key "
                         "log's secrets in a Decryption Secrets Block; prints no fields unless -e is given")
    args = ap.parse_args(argv)
    if not args.fields and not args.write:
        return _fail("fields: give at least one -e FIELD (or -w OUT.pcapng)")
    if args.write == "-" and args.fields:
        return _fail("fields: -w - writes the capture to standard output: no -e FIELD with it")
    from . import session as _  # noqa: F401  (registers every dissector's fields)

    for name in args.fields:
        if name not in REGISTRY:
            return _fail(f"fields: unknown field '{escape_text(name)}'")
    display_filter = None
    if args.filter:
        from .filter import FilterError, compile_filter

        try:
            display_filter = compile_filter(args.filter)
        except FilterError as e:
            print(e.format(), file=sys.stderr)
            return EXIT_USAGE
    from .session import needs_tcp_analysis, needs_upper_layers

    wanted = set(args.fields) | (display_filter.fields if display_filter else set())
    try:
        session = _open(args.file, args.keylog, upper_layers=needs_upper_layers(wanted) or bool(args.keylog),
                        tcp_analysis=needs_tcp_analysis(wanted))
    except CaptureError as e:
        return _fail(str(e))
    import numpy as np

    from .dissect.extract import FAST_FIELDS

    specs = [REGISTRY.get(n) for n in args.fields]
    # A protocol's cell is its tree text, which only the dissector writes: the fast extractors give
    # the same Field without it, so those protocols (frame, tcp, udp) are read from the frame's tree.
    from_tree = [spec.ftype is FieldType.PROTOCOL and name in FAST_FIELDS for name, spec in zip(args.fields, specs)]
    valueless = (FieldType.NONE, FieldType.PROTOCOL)
    out = sys.stdout
    write = out.write
    if display_filter is not None:
        # The filter over whole columns (filter.vector): the matching frames, then their cells.
        frames = np.nonzero(display_filter.select(session.columns, len(session), session.view))[0]
    else:
        frames = np.arange(1, len(session) + 1)
    if args.write:
        from .capture.writer import WriteError, write_pcapng

        try:
            write_pcapng(args.write, session, frames.tolist())
        except WriteError as e:
            return _fail(escape_text(str(e)))
        if not args.fields:
            return 0
    # Fields whose column is whole-column work are written from it; the others frame by frame.
    from .columns.build import has_bulk_column
    from .columns.cells import column_cells

    columns = [column_cells(session.columns.get(name), spec, frames)
               if has_bulk_column(name) and not whole and spec.ftype is not FieldType.PROTOCOL else None
               for name, spec, whole in zip(args.fields, specs, from_tree)]
    numbers = frames.tolist()
    if all(c is not None for c in columns):
        for lo in range(0, len(numbers), 1 << 16):
            rows = zip(*(c[lo:lo + (1 << 16)] for c in columns))
            write("\n".join(map("\t".join, rows)) + "\n")
    else:
        for k, number in enumerate(numbers):
            view = session.view(number)
            cells = []
            for name, spec, whole, col in zip(args.fields, specs, from_tree, columns):
                if col is not None:
                    cells.append(col[k])
                    continue
                vals = view.tree().fields(name) if whole else view.fields(name)
                cells.append(",".join(escape_text(format_field(spec, f, view.field_bytes)) for f in vals
                                      if f.value is not None or spec.ftype in valueless) if vals else "")
            write("\t".join(cells) + "\n")
    out.flush()
    return 0


def cmd_findings(argv: list[str]) -> int:
    ap = _OneLineParser(prog="tlstui findings", description="Diagnose a capture.")
    ap.add_argument("file", nargs="?")
    ap.add_argument("--follow", action="store_true",
                    help="follow a growing FILE (or -i IFACE): print each finding once, as it is decided; "
                         "a summary on Ctrl-C")
    ap.add_argument("-i", dest="interface", metavar="IFACE", help="--follow: capture live on IFACE")
    ap.add_argument("-f", dest="capture_filter", metavar="FILTER", help="-i: capture filter (BPF)")
    ap.add_argument("-b", dest="ring", action="append", metavar="files:N|filesize:KB", help="-i: ring buffer bound")
    ap.add_argument("--quiet", type=float, default=10.0, metavar="SECONDS",
                    help="--follow: how long a stream must be silent before a verdict on what did not come "
                         "(handshake incomplete, no close_notify, ...) is printed (default 10)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--group", action="store_true",
                    help="group by kind, then by server (certificate findings by certificate), with counts; "
                         "with --json one object per group and line")
    ap.add_argument("--keylog")
    ap.add_argument("--ca-file", dest="ca_file",
                    help="PEM file of trusted CA certificates for the certificate findings (default: the system store)")
    try:
        args = ap.parse_args(argv)
    except _Usage as e:
        return _fail(f"findings: {e}")
    problem = _check_ca_file(args.ca_file)
    if problem:
        return _fail(problem)
    if args.interface is not None and not args.follow:
        return _fail("findings: -i IFACE goes with --follow")
    if (args.file is None) == (args.interface is None):
        return _fail("findings: give one capture file" + (" or -i IFACE" if args.follow else ""))
    if args.follow:
        if args.group:
            return _fail("findings: --group does not go with --follow")
        from .follow import run

        return run(args)
    try:
        session = _open(args.file, args.keylog)
    except CaptureError as e:
        return _fail(str(e))
    session.ca_file = args.ca_file
    from .findings import find_all, render_json, render_text, exit_code

    found = find_all(session)
    if args.group:
        from .findings.grouping import group_findings, render_grouped_json_lines, render_grouped_text

        groups = group_findings(found, session)
        text = render_grouped_json_lines(groups) if args.json else render_grouped_text(groups)
        if text:
            print(text)
    else:
        print(render_json(found) if args.json else render_text(found))
    return exit_code(found)


def cmd_connections(argv: list[str]) -> int:
    """tlstui connections FILE: one row (or JSON line) per TLS, DTLS and QUIC connection."""
    ap = _OneLineParser(prog="tlstui connections",
                        description="One line per TLS, DTLS and QUIC connection: peers, SNI, version, cipher, "
                                    "ALPN, certificate, handshake time, bytes, how it ended.")
    ap.add_argument("file", nargs="?", help="capture file ('-' for standard input)")
    ap.add_argument("-r", dest="read", help="capture file (as -r in tshark)")
    ap.add_argument("-Y", dest="filter", help="display filter: only connections with a frame it keeps")
    ap.add_argument("--json", action="store_true", help="one JSON object per line (keys: README.md)")
    ap.add_argument("--keylog", help="SSLKEYLOGFILE for decryption (TLS 1.3 certificates, known close_notify)")
    try:
        args = ap.parse_intermixed_args(argv)
    except _Usage as e:
        return _fail(f"connections: {e}")
    path = args.read or args.file
    if not path or (args.read and args.file):
        return _fail("connections: give one capture file")
    from . import session as _  # noqa: F401  (registers every dissector's fields)

    display_filter = None
    if args.filter:
        from .filter import FilterError, compile_filter

        try:
            display_filter = compile_filter(args.filter)
        except FilterError as e:
            return _fail(f"connections: -Y: {escape_text(str(e))}")
    try:
        session = _open(path, args.keylog)
    except CaptureError as e:
        return _fail(str(e))
    from .connections import build, connections, render_json_lines, render_text

    if display_filter is not None:  # the filter over whole columns; index 0 of its answer is no frame
        table = build(session, display_filter.select(session.columns, len(session), session.view)[1:])
    else:
        table = connections(session)
    text = render_json_lines(table) if args.json else render_text(table)
    if text:
        print(text)
    return 0


def cmd_stats(argv: list[str]) -> int:
    """tlstui stats conv|phs|io FILE: tshark's -z conv,*, -z io,phs and -z io,stat numbers."""
    ap = _OneLineParser(prog="tlstui stats", description="Statistics as tshark -z conv / io,phs / io,stat.")
    ap.add_argument("kind", help="conv, phs or io")
    ap.add_argument("file", nargs="?", help="capture file ('-' for standard input)")
    ap.add_argument("-r", dest="read", help="capture file (as -r in tshark)")
    ap.add_argument("-Y", dest="filter", help="display filter: count only the frames it keeps")
    ap.add_argument("-i", dest="interval", default="1", help="io: interval in seconds (0: the whole capture)")
    ap.add_argument("--type", dest="types", default="tcp,udp,tls",
                    help="conv: tables to show, of eth,ip,ipv6,tcp,udp,tls (default tcp,udp,tls)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keylog", help="SSLKEYLOGFILE for decryption (known close_notify, filters on decrypted fields)")
    try:
        args = ap.parse_intermixed_args(argv)
    except _Usage as e:
        return _fail(f"stats: {e}")
    if args.kind not in ("conv", "phs", "io"):
        return _fail(f"stats: unknown statistic '{escape_text(args.kind)}' (choose conv, phs or io)")
    path = args.read or args.file
    if not path or (args.read and args.file):
        return _fail("stats: give one capture file")
    from . import stats

    types = [t.strip() for t in args.types.split(",") if t.strip()]
    bad = [t for t in types if t not in stats.CONV_KINDS + ("tls",)]
    if args.kind == "conv" and (bad or not types):
        return _fail(f"stats: unknown conversation type '{escape_text(bad[0] if bad else args.types)}' "
                     f"(choose from {','.join(stats.CONV_KINDS + ('tls',))})")
    interval = precision = 0
    if args.kind == "io":
        try:
            interval, precision = stats.parse_interval(args.interval)
        except ValueError as e:
            return _fail(f"stats: -i: {e}")
    from .session import needs_tcp_analysis, needs_upper_layers

    display_filter = None
    wanted: set[str] = set()
    if args.filter:
        from .filter import FilterError, compile_filter

        try:
            display_filter = compile_filter(args.filter)
        except FilterError as e:
            return _fail(f"stats: -Y: {escape_text(str(e))}")
        wanted = set(display_filter.fields)
    upper = needs_upper_layers(wanted) or args.kind == "phs" or (args.kind == "conv" and "tls" in types)
    try:
        session = _open(path, args.keylog, upper_layers=upper or bool(args.keylog),
                        tcp_analysis=needs_tcp_analysis(wanted))
    except CaptureError as e:
        return _fail(str(e))
    from .stats import render

    mask = stats.frame_mask(session, display_filter)
    ftext = args.filter or None
    if args.kind == "conv":
        tables = [stats.conversations(session, t, mask, ftext) for t in types if t != "tls"]
        conns = stats.tls_connections(session, mask) if "tls" in types else None
        if args.json:
            print(render.conv_json(tables, conns))
        else:
            parts = [render.conv_text(t) for t in tables] + ([render.tls_text(conns)] if conns is not None else [])
            print("\n".join(parts))
    elif args.kind == "phs":
        root = stats.protocol_hierarchy(session, mask)
        print(render.phs_json(root, ftext) if args.json else render.phs_text(root, ftext))
    else:
        st = stats.io_stat(session, interval, precision, mask, ftext)
        print(render.io_json(st) if args.json else render.io_text(st))
    return 0


def cmd_serve(argv: list[str]) -> int:
    """tlstui serve FILE: the app in a browser (textual-serve), on loopback unless --host says otherwise."""
    from .ui.serve import DEFAULT_HOST, DEFAULT_PORT

    ap = _OneLineParser(prog="tlstui serve",
                        description="Serve the TUI for FILE in a web browser (textual-serve): each browser tab "
                                    "runs its own tlstui FILE. Anyone who can reach the port can read the capture.")
    ap.add_argument("file", help="capture (pcap/pcapng, .gz)")
    ap.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    ap.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    ap.add_argument("--url", help="public URL the page connects back to, when it differs from http://HOST:PORT")
    ap.add_argument("--keylog", help="SSLKEYLOGFILE for decryption")
    ap.add_argument("--theme", help="colour theme (tlstui-dark, tlstui-light, or a Textual theme name)")
    ap.add_argument("--ca-file", dest="ca_file",
                    help="PEM file of trusted CA certificates for the certificate findings (default: the system store)")
    try:
        args = ap.parse_intermixed_args(argv)
    except _Usage as e:
        return _fail(f"serve: {e}")
    if args.file == "-":
        return _fail("serve: give a capture file (each browser session reads it again; standard input cannot be)")
    if not 0 < args.port < 65536:
        return _fail(f"serve: --port {args.port}: not a TCP port")
    import os

    for what, p in (("capture", args.file), ("key log", args.keylog)):
        if p is not None and not os.path.isfile(p):
            return _fail(f"serve: {escape_text(p)}: no such {what} file")
    problem = _check_ca_file(args.ca_file)
    if problem:
        return _fail(problem)
    from .ui.serve import serve

    return serve(args.file, args.keylog, host=args.host, port=args.port, theme=args.theme,
                 ca_file=args.ca_file, url=args.url)


def cmd_diff(argv: list[str]) -> int:
    """tlstui diff A B: what the path between two capture points of the same traffic did."""
    ap = _OneLineParser(prog="tlstui diff", description="Compare two captures of the same traffic taken at two "
                                                         "points (e.g. client and server side).")
    ap.add_argument("a", help="capture at the first point")
    ap.add_argument("b", help="capture at the second point")
    ap.add_argument("--json", action="store_true", help="the findings as one JSON array (the summary on stderr)")
    ap.add_argument("--keylog", help="SSLKEYLOGFILE: names the encrypted alerts only one point saw")
    try:
        args = ap.parse_args(argv)
    except _Usage as e:
        return _fail(f"diff: {e}")
    if "-" in (args.a, args.b):
        return _fail("diff: give two capture files (standard input cannot be diffed)")
    if args.keylog:
        try:
            with open(args.keylog, "rb"):
                pass
        except OSError as e:
            return _fail(f"diff: {escape_text(args.keylog)}: cannot read key log: {escape_text(e.strerror or str(e))}")
    from .diff import diff_captures
    from .diff.render import exit_code, header_lines, render_json, render_text

    try:
        result = diff_captures(args.a, args.b, args.keylog)
    except (CaptureError, OSError) as e:
        return _fail(f"diff: {escape_text(str(e))}")
    for problem in result.problems[:MAX_PROBLEM_LINES]:
        print(f"tlstui: warning: {escape_text(problem)}", file=sys.stderr)
    if args.json:
        for line in header_lines(result):
            print(f"tlstui: diff: {line}", file=sys.stderr)
        print(render_json(result))
    else:
        print(render_text(result))
    return exit_code(result.findings)


def cmd_tui(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="tlstui", description="Terminal capture explorer for TLS and DTLS.",
                                 epilog="Headless: tlstui fields -r FILE -e FIELD ... | tlstui findings FILE | "
                                        "tlstui connections FILE | tlstui stats conv|phs|io FILE | "
                                        "tlstui serve FILE [--port N] [--host 127.0.0.1] (the TUI in a browser)")
    ap.add_argument("file", nargs="?", help="capture (pcap/pcapng, .gz, '-' for stdin); none: the demo")
    ap.add_argument("file_b", nargs="?", metavar="FILE_B",
                    help="a second capture of the same traffic: both side by side, linked by `tlstui diff`")
    ap.add_argument("--keylog", help="SSLKEYLOGFILE for decryption")
    ap.add_argument("--theme", help="colour theme (tlstui-dark, tlstui-light, or a Textual theme name)")
    ap.add_argument("--follow", action="store_true",
                    help="keep reading a capture that is still being written (tcpdump -w FILE)")
    ap.add_argument("--ca-file", dest="ca_file",
                    help="PEM file of trusted CA certificates for the certificate findings (default: the system store)")
    ap.add_argument("-i", dest="interface", metavar="IFACE",
                    help="capture live on IFACE (with dumpcap or tcpdump) and follow it")
    ap.add_argument("-f", dest="capture_filter", metavar="FILTER", help="-i: capture filter (BPF)")
    ap.add_argument("-b", dest="ring", action="append", metavar="files:N|filesize:KB",
                    help="-i: the ring buffer's bound (default files:8, filesize:65536)")
    ap.add_argument("-w", dest="write", metavar="OUT.pcapng", help="-i: save the capture there when it stops")
    args = ap.parse_args(argv)
    problem = _check_ca_file(args.ca_file)
    if problem:
        return _fail(problem)
    if args.interface is None and (args.capture_filter or args.ring or args.write):
        return _fail("-f, -b and -w go with -i IFACE (live capture)")
    if args.interface is not None and (args.file or args.file_b):
        return _fail("give a capture file or -i IFACE, not both")
    if args.ca_file:
        from .findings.trust import set_default_ca_file

        set_default_ca_file(args.ca_file)  # every session the app opens checks chains against it
    if args.interface is not None:
        return _live_tui(args)
    if args.file_b is not None:
        if args.follow:
            return _fail("--follow takes one capture (two are shown side by side as they are)")
        from .ui.diff_view import run_diff

        return run_diff(args.file, args.file_b, args.keylog, theme=args.theme)
    from .ui.app import run_app

    return run_app(args.file, args.keylog, theme=args.theme, follow=args.follow)


def _start_live(args):
    """Start the capture of ``-i`` (capture/live.py); (capture, first file) or a LiveError."""
    from .capture.live import LiveCapture, Ring

    live = LiveCapture(args.interface, args.capture_filter, Ring.parse(args.ring))
    return live, live.start()


def _live_tui(args) -> int:
    """tlstui -i IFACE: capture into the ring, the TUI following its first file; when the TUI
    ends (or Ctrl-C), stop the capture, say where it is kept, and save it (-w, or when asked)."""
    from .capture.live import LiveError

    try:
        live, first = _start_live(args)
    except LiveError as e:
        return _fail(str(e))
    rc = 0
    try:
        from .ui.app import run_app

        rc = run_app(first, args.keylog, theme=args.theme, follow=True, live=live)
    except KeyboardInterrupt:
        rc = 0
    finally:
        live.stop()
    return _after_live(live, args.write, args.keylog) or rc


def _after_live(live, out: str | None, keylog: str | None) -> int:
    """Say what was captured and where; save it as pcapng to ``out``, or ask for a path on a terminal."""
    from .capture.live import save_capture
    from .capture.writer import WriteError

    print(f"tlstui: {live.summary()}", file=sys.stderr)
    if out is None and sys.stdin.isatty() and sys.stderr.isatty():
        try:
            out = input("tlstui: save it as pcapng? file name (Enter: keep it where it is): ").strip() or None
        except (EOFError, KeyboardInterrupt):
            out = None
    if out is None:
        return 0
    try:
        n = save_capture(live.files(), out, keylog)
    except WriteError as e:
        return _fail(escape_text(str(e)))
    print(f"tlstui: saved {n} frames to {escape_text(out)}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "fields":
            return cmd_fields(argv[1:])
        if argv and argv[0] == "findings":
            return cmd_findings(argv[1:])
        if argv and argv[0] == "stats":
            return cmd_stats(argv[1:])
        if argv and argv[0] == "connections":
            return cmd_connections(argv[1:])
        if argv and argv[0] == "diff":
            return cmd_diff(argv[1:])
        if argv and argv[0] == "serve":
            return cmd_serve(argv[1:])
        return cmd_tui(argv)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
