"""Live capture for `tlstui -i IFACE` and `tlstui findings --follow -i IFACE`.

As termshark does, tlstui does not capture by itself: it runs ``dumpcap`` (Wireshark's capture
program, preferred: it writes pcapng) or else ``tcpdump`` (which writes pcap: libpcap has no pcapng
writer), whichever is installed, writing to a ring buffer of files in the platformdirs cache
directory (``dumpcap -b filesize:KB -b files:N``, ``tcpdump -C MB -W N``): the capture never takes
more than files x filesize of disk, the oldest file making room for the newest.  The readers then
follow the growing files (the TUI's follow mode, ``findings --follow``).

Failures a user can act on become one line (``LiveError``, exit status 2): no capture program
(install one), no permission (run as root or give the program the capture capability), no such
interface (the interfaces there are), a capture filter the program rejects.

Tests substitute the program with ``TLSTUI_CAPTURE_PROGRAM=KIND:COMMAND`` (KIND ``dumpcap`` or
``tcpdump``: which arguments COMMAND takes), never used otherwise.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROGRAM_ENV = "TLSTUI_CAPTURE_PROGRAM"
# Where capture programs live besides $PATH (tcpdump is in /usr/sbin, often not in a user's PATH).
EXTRA_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")
DEFAULT_FILES = 8
DEFAULT_FILESIZE_KB = 64 * 1024  # 8 x 64 MiB: at most 512 MiB of disk
KEEP_DAYS = 7  # captures of earlier runs are removed from the cache after this many days


class LiveError(Exception):
    """A live capture that cannot start: one line saying which problem and what to do."""


@dataclass
class Ring:
    """The ring buffer's bound: ``files`` files of at most ``filesize_kb`` KiB each."""

    files: int = DEFAULT_FILES
    filesize_kb: int = DEFAULT_FILESIZE_KB

    @classmethod
    def parse(cls, options: list[str] | None) -> "Ring":
        """From dumpcap/tshark-style ``-b files:N`` / ``-b filesize:KB`` options."""
        ring = cls()
        for opt in options or []:
            key, _, value = opt.partition(":")
            if key not in ("files", "filesize") or not value.isdigit() or int(value) < 1:
                raise LiveError(f"-b {opt}: expected files:N or filesize:KB (a positive number)")
            if key == "files":
                ring.files = int(value)
            else:
                ring.filesize_kb = int(value)
        return ring


def find_program(environ: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """(kind, command) of the capture program: dumpcap, else tcpdump.  LiveError if none."""
    env = os.environ if environ is None else environ
    forced = env.get(PROGRAM_ENV)
    if forced:
        kind, _, cmd = forced.partition(":")
        if kind not in ("dumpcap", "tcpdump") or not cmd:
            raise LiveError(f"{PROGRAM_ENV}={forced!r}: expected dumpcap:COMMAND or tcpdump:COMMAND")
        return kind, shlex.split(cmd)
    search = os.pathsep.join([env.get("PATH", ""), *EXTRA_DIRS])
    for kind in ("dumpcap", "tcpdump"):
        path = shutil.which(kind, path=search)
        if path:
            return kind, [path]
    raise LiveError("-i: no capture program: install dumpcap (Debian/Ubuntu: apt-get install tshark, "
                    "or wireshark-common) or tcpdump (apt-get install tcpdump)")


def interface_names() -> list[str] | None:
    """The network interfaces here (None when the system cannot list them)."""
    try:
        return [name for _i, name in socket.if_nameindex()]
    except (OSError, AttributeError):
        return None


def check_interface(name: str) -> None:
    """LiveError when ``name`` is surely not an interface here (Linux names; 'any'; a number)."""
    if not name or name == "any" or name.isdigit() or not sys.platform.startswith("linux"):
        if not name:
            raise LiveError("-i: give an interface name (for example -i eth0, or -i any)")
        return
    names = interface_names()
    if names is not None and name not in names:
        raise LiveError(f"-i {_safe(name)}: no such interface (here: {', '.join(_safe(n) for n in names) or 'none'})")


def capture_root() -> Path:
    """Where live captures go: the platformdirs cache directory, ``live/`` under it."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("tlstui")) / "live"


def clean_old_captures(root: Path | None = None, days: float = KEEP_DAYS, now: float | None = None) -> list[Path]:
    """Remove the ring directories of earlier runs that ended more than ``days`` ago (the ring is
    temporary: each run may hold up to its bound).  A run whose process still lives is kept.
    Returns what was removed."""
    root = capture_root() if root is None else root
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for d in entries:
        m = re.fullmatch(r".+-\d{8}-\d{6}-(\d+)", d.name)
        if not m or not d.is_dir():
            continue
        try:
            newest = max([d.stat().st_mtime] + [p.stat().st_mtime for p in d.iterdir()])
        except OSError:
            continue
        if now - newest < days * 86400 or _alive(int(m.group(1))):
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _safe(text: str) -> str:
    from ..safe_text import escape_text

    return escape_text(text)


_PERMISSION = re.compile(r"permission|not permitted|privilege|cap_net_raw", re.I)
_NO_DEVICE = re.compile(r"no such device|no device named|doesn't exist|does not exist|not found|"
                        r"no suitable device|unknown interface|is not up", re.I)
_BAD_FILTER = re.compile(r"invalid capture filter|syntax error|can't parse filter|parse error|filter expression",
                         re.I)


@dataclass
class LiveCapture:
    """One running capture into a ring buffer of files."""

    interface: str
    capture_filter: str | None = None
    ring: Ring = field(default_factory=Ring)
    directory: Path | None = None  # default: a new directory under capture_root()
    kind: str = ""
    command: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None
    packets: int = 0  # the program's count so far (dumpcap reports it as it goes; tcpdump at the end)
    dropped: int | None = None  # drops the program reported (at the end)
    _stderr: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None
    _started: float = 0.0

    # -- starting -----------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> str:
        """Start capturing; returns the first file once it holds a file header.  LiveError
        (one line) if the program cannot start or stops at once."""
        self.kind, program = find_program()
        check_interface(self.interface)
        if self.directory is None:
            clean_old_captures()
            stamp = time.strftime("%Y%m%d-%H%M%S")
            iface = re.sub(r"[^A-Za-z0-9_.-]", "_", self.interface)
            self.directory = capture_root() / f"{iface}-{stamp}-{os.getpid()}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LiveError(f"-i: cannot make the capture directory {_safe(str(self.directory))}: "
                            f"{e.strerror or e}") from None
        self.command = program + self._arguments()
        try:
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE, start_new_session=True,
                                            preexec_fn=_die_with_parent)
        except OSError as e:
            raise LiveError(f"-i: cannot run {_safe(program[0])}: {e.strerror or e}") from None
        self._started = time.monotonic()
        self._reader = threading.Thread(target=self._read_stderr, name="capture stderr", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            first = self.first_file()
            if first is not None and _has_header(first):
                return first
            if self.process.poll() is not None:
                self._reader.join(1.0)
                raise LiveError(self._explain_exit())
            time.sleep(0.05)
        self.stop()
        raise LiveError(f"-i {_safe(self.interface)}: {self.kind} started but wrote no capture file in "
                        f"{timeout:g} s ({self._last_line() or 'no message'})")

    def _arguments(self) -> list[str]:
        if self.kind == "dumpcap":
            args = ["-i", self.interface, "-w", str(self.directory / "live.pcapng"),
                    "-b", f"filesize:{self.ring.filesize_kb}", "-b", f"files:{self.ring.files}"]
            if self.capture_filter:
                args += ["-f", self.capture_filter]
            return args
        # tcpdump: -C counts millions of bytes; -U writes each packet at once (and --immediate-mode hands
        # it over at once: else packets still in the kernel's buffer when it stops are lost); -Z keeps root's files
        # writable when it would otherwise drop to the tcpdump user before opening the next file
        mb = max(1, round(self.ring.filesize_kb * 1024 / 1_000_000))
        args = ["-i", self.interface, "-w", str(self.directory / "live.pcap"), "-C", str(mb),
                "-W", str(self.ring.files), "-U", "-n", "--immediate-mode"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args += ["-Z", "root"]
        if self.capture_filter:
            args.append(self.capture_filter)
        return args

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        buf = b""
        for chunk in iter(lambda: self.process.stderr.read1(4096), b""):
            buf += chunk
            *lines, buf = re.split(rb"[\r\n]", buf)
            for raw in lines:
                self._take_line(raw.decode("utf-8", "replace").strip())
            # dumpcap ends its running count with a space, not a line end ('\rPackets: N '): take it
            # now, or the count shown lags one update behind until the next one arrives
            m = re.fullmatch(rb"Packets: (\d+) ", buf)
            if m:
                self.packets = int(m.group(1))
        if buf:
            self._take_line(buf.decode("utf-8", "replace").strip())

    def _take_line(self, line: str) -> None:
        if not line:
            return
        m = re.match(r"Packets(?: captured)?: (\d+)", line)  # dumpcap: 'Packets: N', at the end 'Packets captured: N'
        if m:
            self.packets = int(m.group(1))
        m = re.search(r"received/dropped on interface .*?: (\d+)/(\d+)", line)  # dumpcap, at the end
        if m:
            self.dropped = int(m.group(2))
        m = re.match(r"(\d+) packets? captured", line)  # tcpdump, at the end
        if m:
            self.packets = int(m.group(1))
        m = re.match(r"(\d+) packets? dropped by kernel", line)
        if m:
            self.dropped = int(m.group(1))
        if len(self._stderr) < 200:
            self._stderr.append(line)

    def _last_line(self) -> str:
        lines = [ln for ln in self._stderr if not ln.startswith(("Packets:", "Capturing on", "File:", "listening on"))]
        return _safe(lines[-1]) if lines else ""

    def _explain_exit(self) -> str:
        text = "\n".join(self._stderr)
        prog, iface = self.kind, _safe(self.interface)
        if _BAD_FILTER.search(text) and self.capture_filter:
            why = [ln for ln in self._stderr if re.search(r"parse|syntax", ln, re.I)] or [self._last_line()]
            return f"-f {_safe(self.capture_filter)}: {prog} rejects this capture filter ({_safe(why[0])})"
        if _PERMISSION.search(text):
            where = (shutil.which(self.command[0]) or self.command[0]) if self.command else prog
            fix = ("run tlstui as root, or let dumpcap capture: sudo setcap cap_net_raw,cap_net_admin+eip "
                   f"{where} (Debian: dpkg-reconfigure wireshark-common, then join the wireshark group)"
                   if prog == "dumpcap" else
                   f"run tlstui as root, or: sudo setcap cap_net_raw,cap_net_admin+eip {where}")
            return f"-i {iface}: no permission to capture with {prog}: {fix}"
        if _NO_DEVICE.search(text):
            names = interface_names()
            here = f" (here: {', '.join(_safe(n) for n in names)})" if names else ""
            return f"-i {iface}: no such interface{here}"
        code = self.process.returncode if self.process else None
        return f"-i {iface}: {prog} stopped (exit {code}): {self._last_line() or 'no message'}"

    # -- while it runs -------------------------------------------------------------------
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def files(self) -> list[str]:
        """The ring's files, oldest first (the ones the ring has not yet recycled)."""
        if self.directory is None or not self.directory.is_dir():
            return []
        found = []
        for p in self.directory.iterdir():
            m = re.fullmatch(r"live_(\d+)_\d+\.pcapng", p.name) if self.kind != "tcpdump" else \
                re.fullmatch(r"live\.pcap(\d*)", p.name)
            if m:
                try:
                    found.append((p.stat().st_mtime_ns if self.kind == "tcpdump" else 0,
                                  int(m.group(1) or 0), str(p)))
                except OSError:
                    continue
        return [path for _m, _n, path in sorted(found)]

    def first_file(self) -> str | None:
        files = self.files()
        return files[0] if files else None

    def rate(self) -> float:
        """Packets per second since the start (from the program's own count)."""
        elapsed = time.monotonic() - self._started if self._started else 0.0
        return self.packets / elapsed if elapsed > 0 else 0.0

    # -- stopping ------------------------------------------------------------------------
    def stop(self, timeout: float = 5.0) -> None:
        """Stop the program as Ctrl-C would (it closes its file cleanly); kill it if it hangs."""
        p = self.process
        if p is None:
            return
        if p.poll() is None:
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
                try:
                    p.send_signal(sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._reader is not None:
            self._reader.join(2.0)
        if p.stderr is not None:
            p.stderr.close()

    def status(self) -> str:
        """One short line for a status bar: program, packets, rate, drops (once known)."""
        drops = f", {self.dropped} dropped" if self.dropped is not None else ""
        state = "" if self.running() else " (stopped)"
        return f"{self.kind} on {_safe(self.interface)}: {self.packets} packets, {self.rate():.0f}/s{drops}{state}"

    def summary(self) -> str:
        """One line: what was captured and where it is kept."""
        files = self.files()
        size = sum(os.path.getsize(f) for f in files if os.path.exists(f))
        drops = f", {self.dropped} dropped" if self.dropped else ""
        where = files[0] if len(files) == 1 else f"{len(files)} files in {self.directory}"
        return (f"captured {self.packets} packets{drops} ({size} bytes) with {self.kind} on "
                f"{_safe(self.interface)}, kept in {_safe(str(where))}")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """The capture stops if tlstui dies without stopping it (Linux: PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except Exception:
            pass


def _has_header(path: str) -> bool:
    try:
        size = os.path.getsize(path)
    except OSError:
        return False
    if size < 24:
        return False
    with open(path, "rb") as f:
        head = f.read(12)
    if head[:4] == b"\x0a\x0d\x0d\x0a":  # pcapng: the SHB and at least one more block (the IDB)
        blen = int.from_bytes(head[4:8], "little" if head[8:12] == b"\x4d\x3c\x2b\x1a" else "big")
        return size >= blen + 12
    return True


def save_capture(files: list[str], out: str, keylog: str | None = None) -> int:
    """Write the ring's files as one pcapng ``out`` (one section per file, the key log's secrets
    in the first): what was captured, kept as a file the user chose.  Returns the frame count."""
    from ..session import Session
    from .reader import CaptureError
    from .writer import WriteError, session_secrets, write_frames

    sessions = []
    try:
        for f in files:
            try:
                s = Session.open(f, keylog, upper_layers=bool(keylog), tcp_analysis=False)
            except CaptureError:
                continue  # a file the ring recycled meanwhile, or one with no header yet
            sessions.append(s)
        if not sessions:
            raise WriteError(f"{out}: nothing was captured")
        import tempfile

        target = os.path.abspath(out)
        fd, tmp = tempfile.mkstemp(prefix=".tlstui-", suffix=".pcapng.part", dir=os.path.dirname(target) or ".")
        total = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                for k, s in enumerate(sessions):
                    secrets = session_secrets(s) if k == 0 else []
                    total += write_frames(fh, s, range(1, len(s) + 1), secrets)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)  # a file the user asked for: mkstemp's 0600 is not meant
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return total
    except OSError as e:
        raise WriteError(f"{out}: cannot write: {e.strerror or e}") from None
    finally:
        for s in sessions:
            s.close()
            s.capture.close()
