"""Make the STARTTLS captures of test_starttls.py (tests/data/starttls_*.pcap) and tshark 4.0's
truth beside them (FILE.starttls.tsv).  Run from tests/: ``python unit/dissect/make_starttls_captures.py``.

SMTP (25), IMAP (143), POP3 (110), FTP (21): the clear-text dialogue up to the server's positive
answer to STARTTLS / STLS / AUTH TLS, then a real TLS 1.2 connection (tlspair) on the same stream."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2]))
from craft import TcpTalk, write  # noqa: E402
from tlspair import record_connection  # noqa: E402

DATA = HERE.parents[2] / "data"

DIALOGUES = {
    "smtp": (25, [(False, b"220 mail.example.com ESMTP Postfix\r\n"), (True, b"EHLO client.example.com\r\n"),
                  (False, b"250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
                          b"250 8BITMIME\r\n"),
                  (True, b"STARTTLS\r\n"), (False, b"220 2.0.0 Ready to start TLS\r\n")]),
    "imap": (143, [(False, b"* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n"),
                   (True, b"a001 CAPABILITY\r\n"),
                   (False, b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na001 OK Pre-login capabilities listed.\r\n"),
                   (True, b"a002 STARTTLS\r\n"), (False, b"a002 OK Begin TLS negotiation now.\r\n")]),
    "pop": (110, [(False, b"+OK Dovecot ready.\r\n"), (True, b"CAPA\r\n"),
                  (False, b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n"),
                  (True, b"STLS\r\n"), (False, b"+OK Begin TLS negotiation now.\r\n")]),
    "ftp": (21, [(False, b"220 (vsFTPd 3.0.3)\r\n"), (True, b"AUTH TLS\r\n"),
                 (False, b"234 Proceed with negotiation.\r\n")]),
}

FIELDS = """frame.number frame.protocols tcp.stream tcp.srcport tcp.dstport tcp.len
smtp.req smtp.rsp smtp.req.command smtp.req.parameter smtp.response.code smtp.rsp.parameter
imap.request imap.response imap.request_tag imap.command imap.response_tag imap.response.status
pop.request pop.response pop.request.command pop.request.parameter pop.response.indicator pop.response.description
ftp.request ftp.response ftp.request.command ftp.request.arg ftp.response.code ftp.response.arg
tls.record.content_type tls.record.version tls.record.length tls.handshake.type
_ws.col.Protocol _ws.col.Info""".split()


def capture(name: str) -> Path:
    port, lines = DIALOGUES[name]
    rec = record_connection(requests=(b"hello\r\n",), responses=(b"world\r\n",))
    c = TcpTalk(sport=40000 + port, dport=port, t0_ns=1_700_000_000 * 10**9)
    c.open()
    for from_client, text in lines:
        c.data(from_client, text)
        c.ack(not from_client)
    c.replay(rec)
    c.fin(True)
    c.fin(False)
    c.ack(True)
    return write(DATA / f"starttls_{name}.pcap", c)


def truth(path: Path) -> None:
    args = ["tshark", "-n", "-r", str(path), "-T", "fields", "-E", "header=y", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for f in FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    Path(str(path) + ".starttls.tsv").write_text(out)


if __name__ == "__main__":
    for n in DIALOGUES:
        truth(capture(n))
