"""DNS messages (RFC 1035, 3596, 2782, 6891; mDNS RFC 6762, LLMNR RFC 4795) as tshark 4.0 shows them.

One message -> one ``dns`` Field (every field with its byte range) and its Info text; over TCP the
message is preceded by its 2-byte length (``dns.length``).  Pure: bytes in, Fields out; hostile bytes
become ``_ws.malformed``, never an exception (fuzzed in tests/fuzz/test_clear_protocols.py).

    dissect_dns(buf, off, end, source, tcp=False, mdns=False) -> (Field, info)
    ports: DNS_PORTS (53), MDNS_PORT (5353), LLMNR_PORT (5355)
"""
from __future__ import annotations

import socket
import struct

from ..field import FRAME, Field
from ..registry import Base, FieldType as T, register

DNS_PORT, MDNS_PORT, LLMNR_PORT = 53, 5353, 5355

TYPES = {1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
         11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 24: "SIG",
         25: "KEY", 28: "AAAA", 29: "LOC", 33: "SRV", 35: "NAPTR", 36: "KX", 37: "CERT", 39: "DNAME", 41: "OPT",
         42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID",
         50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP", 59: "CDS", 60: "CDNSKEY",
         61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF", 249: "TKEY",
         250: "TSIG", 251: "IXFR", 252: "AXFR", 255: "ANY", 256: "URI", 257: "CAA", 32768: "TA", 32769: "DLV"}
TYPE_LONG = {1: "Host Address", 2: "authoritative Name Server", 5: "Canonical NAME for an alias",
             6: "Start Of a zone of Authority", 12: "domain name PoinTeR", 15: "Mail eXchange",
             16: "Text strings", 28: "IP6 Address", 33: "Server Selection", 41: "OPT", 255: "A request for all records"}
CLASSES = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
OPCODES = {0: "Standard query", 1: "Inverse query", 2: "Server status request", 4: "Zone change notification",
           5: "Dynamic update"}
RCODES = {0: "No error", 1: "Format error", 2: "Server failure", 3: "No such name", 4: "Not implemented",
          5: "Refused", 6: "Name exists", 7: "RRset exists", 8: "RRset does not exist", 9: "Not authoritative",
          10: "Name out of zone", 16: "Bad OPT Version OR TSIG Signature Failure", 17: "Key not recognized",
          18: "Signature out of time window", 19: "Bad TKEY Mode", 20: "Duplicate key name",
          21: "Algorithm not supported", 22: "Bad truncation", 23: "Bad/missing server cookie"}

S, U, B, P, N = T.STRING, T.UINT, T.BOOLEAN, T.PROTOCOL, T.NONE
register("dns", P, "Domain Name System")
register("mdns", P, "Multicast Domain Name System")
register("llmnr", P, "Link-local Multicast Name Resolution")
register("dns.length", U, "Length", bits=16)
register("dns.id", U, "Transaction ID", Base.HEX, 16)
register("dns.flags", U, "Flags", Base.HEX, 16)
register("dns.flags.response", B, "Response")
register("dns.flags.opcode", U, "Opcode", bits=16, value_names=OPCODES)
register("dns.flags.authoritative", B, "Authoritative")
register("dns.flags.conflict", B, "Conflict")
register("dns.flags.truncated", B, "Truncated")
register("dns.flags.recdesired", B, "Recursion desired")
register("dns.flags.tentative", B, "Tentative")
register("dns.flags.recavail", B, "Recursion available")
register("dns.flags.z", B, "Z")
register("dns.flags.authenticated", B, "Answer authenticated")
register("dns.flags.checkdisable", B, "Non-authenticated data")
register("dns.flags.rcode", U, "Reply code", bits=16, value_names=RCODES)
register("dns.count.queries", U, "Questions", bits=16)
register("dns.count.zones", U, "Zones", bits=16)
register("dns.count.answers", U, "Answer RRs", bits=16)
register("dns.count.prerequisites", U, "Prerequisites", bits=16)
register("dns.count.auth_rr", U, "Authority RRs", bits=16)
register("dns.count.updates", U, "Updates", bits=16)
register("dns.count.add_rr", U, "Additional RRs", bits=16)
register("dns.qry.name", S, "Name")
register("dns.qry.name.len", U, "Name Length", bits=16)
register("dns.count.labels", U, "Label Count", bits=16)
register("dns.qry.type", U, "Type", bits=16, value_names=TYPES)
register("dns.qry.class", U, "Class", Base.HEX, 16, value_names=CLASSES)
register("dns.qry.qu", B, '"QU" question')
register("dns.resp.name", S, "Name")
register("dns.resp.type", U, "Type", bits=16, value_names=TYPES)
register("dns.resp.class", U, "Class", Base.HEX, 16, value_names=CLASSES)
register("dns.resp.cache_flush", B, "Cache flush")
register("dns.resp.ttl", U, "Time to live")
register("dns.resp.len", U, "Data length", bits=16)
register("dns.a", T.IPV4, "Address")
register("dns.aaaa", T.IPV6, "AAAA Address")
register("dns.cname", S, "CNAME")
register("dns.ns", S, "Name Server")
register("dns.ptr.domain_name", S, "Domain Name")
register("dns.mx.preference", U, "Preference", bits=16)
register("dns.mx.mail_exchange", S, "Mail Exchange")
register("dns.txt.length", U, "TXT Length", bits=8)
register("dns.txt", S, "TXT")
register("dns.soa.mname", S, "Primary name server")
register("dns.soa.rname", S, "Responsible authority's mailbox")
register("dns.soa.serial_number", U, "Serial Number")
register("dns.soa.refresh_interval", U, "Refresh Interval")
register("dns.soa.retry_interval", U, "Retry Interval")
register("dns.soa.expire_limit", U, "Expire limit")
register("dns.soa.minimum_ttl", U, "Minimum TTL")
register("dns.nsec.next_domain_name", S, "Next Domain Name")
register("dns.srv.priority", U, "Priority", bits=16)
register("dns.srv.weight", U, "Weight", bits=16)
register("dns.srv.port", U, "Port", bits=16)
register("dns.srv.target", S, "Target")
register("dns.rr.udp_payload_size", U, "UDP payload size", bits=16)
register("dns.resp.ext_rcode", U, "Higher bits in extended RCODE", Base.HEX, 8)
register("dns.resp.edns0_version", U, "EDNS0 version", bits=8)
register("dns.data", T.BYTES, "Data")
register("dns.response_in", T.FRAMENUM, "Response In")
register("dns.response_to", T.FRAMENUM, "Request In")
register("dns.time", T.RELATIVE_TIME, "Time")
register("json", P, "JavaScript Object Notation")
register("ssdp", P, "Simple Service Discovery Protocol")
register("ocsp", P, "Online Certificate Status Protocol")
register("data-text-lines", P, "Line-based text data")

_u16 = struct.Struct(">H").unpack_from
_u32 = struct.Struct(">I").unpack_from
_C_ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
MAX_RECORDS = 4096  # a message holds at most 65535 bytes; counts beyond what fits are damage


class _Bad(Exception):
    """The message ends (or points) where a field should be."""


def text(raw: bytes) -> str:
    """Label or character-string bytes as tshark 4.0 writes them: UTF-8 (invalid bytes as U+FFFD),
    control characters as C escapes or octal (\\a, \\000, \\177)."""
    s = raw.decode("utf-8", "replace")
    if not any(ord(c) < 0x20 or ord(c) == 0x7F for c in s):
        return s
    return "".join(_C_ESCAPES.get(ord(c), f"\\{ord(c):03o}") if ord(c) < 0x20 or ord(c) == 0x7F else c for c in s)


def read_name(buf: bytes, msg: int, pos: int, end: int) -> tuple[str, int, int]:
    """(name, bytes the name takes at ``pos``, label count) of a possibly compressed name; ``msg`` is
    where the message starts (pointers count from it)."""
    labels: list[str] = []
    first_len = -1
    p = pos
    jumps = 0
    while True:
        if p >= end:
            raise _Bad
        n = buf[p]
        if n & 0xC0 == 0xC0:
            if p + 2 > end:
                raise _Bad
            if first_len < 0:
                first_len = p + 2 - pos
            target = msg + (_u16(buf, p)[0] & 0x3FFF)
            jumps += 1
            if jumps > 64 or target >= end:
                raise _Bad
            p = target
            continue
        if n & 0xC0:
            raise _Bad  # extended label types (RFC 6891 reserves them): not decodable
        if n == 0:
            if first_len < 0:
                first_len = p + 1 - pos
            break
        if p + 1 + n > end:
            raise _Bad
        labels.append(text(bytes(buf[p + 1:p + 1 + n])))
        p += 1 + n
        if len(labels) > 128:
            raise _Bad
    return (".".join(labels) if labels else "<Root>"), first_len, len(labels)


def type_name(t: int) -> str:
    return TYPES.get(t, f"Unknown ({t})")


def _flags_text(flags: int, response: bool) -> str:
    op = (flags >> 11) & 15
    base = OPCODES.get(op, f"Unknown operation ({op})") + (" response" if response else "")
    rcode = flags & 15
    if response and rcode:
        base += f", {RCODES.get(rcode, f'Unknown error ({rcode})')}"
    elif response:
        base += ", No error"
    return f"Flags: 0x{flags:04x} {base}"


def _flag_bits(flags: int, response: bool, mdns: bool) -> list[tuple[str, int, str, str]]:
    """(field, value, bit pattern, text) of the flag bits tshark shows for this message."""
    def pat(bit: int, width: int = 1) -> str:
        s = ["."] * 16
        v = (flags >> (bit - width + 1)) & ((1 << width) - 1)
        for k in range(width):
            s[15 - bit + k] = "1" if v >> (width - 1 - k) & 1 else "0"
        out = "".join(s)
        return " ".join(out[i:i + 4] for i in range(0, 16, 4))

    op = (flags >> 11) & 15
    rows = [("dns.flags.response", flags >> 15 & 1, pat(15),
             "Response: Message is a response" if response else "Response: Message is a query"),
            ("dns.flags.opcode", op, pat(14, 4), f"Opcode: {OPCODES.get(op, 'Unknown')} ({op})")]
    if response:
        aa = flags >> 10 & 1
        rows.append(("dns.flags.authoritative", aa, pat(10),
                     "Authoritative: Server is an authority for domain" if aa
                     else "Authoritative: Server is not an authority for domain"))
    tc = flags >> 9 & 1
    rows.append(("dns.flags.truncated", tc, pat(9),
                 "Truncated: Message is truncated" if tc else "Truncated: Message is not truncated"))
    if not mdns:
        rd = flags >> 8 & 1
        rows.append(("dns.flags.recdesired", rd, pat(8),
                     "Recursion desired: Do query recursively" if rd else "Recursion desired: Don't do query recursively"))
        if response:
            ra = flags >> 7 & 1
            rows.append(("dns.flags.recavail", ra, pat(7),
                         "Recursion available: Server can do recursive queries" if ra
                         else "Recursion available: Server can't do recursive queries"))
    rows.append(("dns.flags.z", flags >> 6 & 1, pat(6), f"Z: reserved ({flags >> 6 & 1})"))
    if response:
        ad = flags >> 5 & 1
        rows.append(("dns.flags.authenticated", ad, pat(5),
                     "Answer authenticated: Answer/authority portion was authenticated by the server" if ad else
                     "Answer authenticated: Answer/authority portion was not authenticated by the server"))
    cd = flags >> 4 & 1
    rows.append(("dns.flags.checkdisable", cd, pat(4),
                 "Non-authenticated data: Acceptable" if cd else "Non-authenticated data: Unacceptable"))
    if response:
        rc = flags & 15
        rows.append(("dns.flags.rcode", rc, pat(3, 4), f"Reply code: {RCODES.get(rc, 'Unknown')} ({rc})"))
    return rows


def dissect_dns(buf: bytes, off: int, end: int, source: str = FRAME, tcp: bool = False,
                mdns: bool = False, proto: str = "dns") -> tuple[Field, str]:
    """The DNS layer of the message at ``buf[off:end]`` (after its TCP length when ``tcp``) and its Info."""
    end = min(end, len(buf))
    top = Field(proto, "", None, off, max(0, end - off), source=source)
    info: list[str] = []
    try:
        _dissect(buf, off, end, source, tcp, mdns, top, info)
    except (_Bad, IndexError, struct.error, ValueError):
        top.add(Field("_ws.malformed", "[Malformed Packet: DNS]", None, off, max(0, end - off), source=source))
        return top, " ".join(info) + "[Malformed Packet]"  # tshark appends it with no space
    return top, " ".join(info)


def _dissect(buf: bytes, off: int, end: int, src: str, tcp: bool, mdns: bool, top: Field,
             info: list[str]) -> None:
    def f(name: str, value: object, o: int, n: int, label: str | None = None, parent: Field = top,
          hidden: bool = False) -> Field:
        return parent.add(Field(name, label, value, o, n, source=src, hidden=hidden))

    title = {"dns": "Domain Name System", "mdns": "Multicast Domain Name System",
             "llmnr": "Link-local Multicast Name Resolution"}[top.name]
    top.label = title
    if tcp:
        if off + 2 > end:
            raise _Bad
        f("dns.length", _u16(buf, off)[0], off, 2)
        off += 2
    msg = off
    if msg + 12 > end:
        raise _Bad
    ident, flags, qd, an, ns, ar = struct.unpack_from(">HHHHHH", buf, msg)
    response = bool(flags & 0x8000)
    top.label = f"{title} ({'response' if response else 'query'})"
    f("dns.id", ident, msg, 2, f"Transaction ID: 0x{ident:04x}")
    fl = f("dns.flags", flags, msg + 2, 2, _flags_text(flags, response))
    for name, v, pattern, label in _flag_bits(flags, response, mdns):
        fl.add(Field(name, f"{pattern} = {label}", v, msg + 2, 2, source=src))
    f("dns.count.queries", qd, msg + 4, 2, f"Questions: {qd}")
    f("dns.count.answers", an, msg + 6, 2, f"Answer RRs: {an}")
    f("dns.count.auth_rr", ns, msg + 8, 2, f"Authority RRs: {ns}")
    f("dns.count.add_rr", ar, msg + 10, 2, f"Additional RRs: {ar}")
    op = (flags >> 11) & 15
    head = OPCODES.get(op, f"Unknown operation ({op})") + (" response" if response else "") + f" 0x{ident:04x}"
    rcode = flags & 15
    if response and rcode:
        head += " " + RCODES.get(rcode, f"Unknown error ({rcode})")
    info.append(head)
    pos = msg + 12
    if qd + an + ns + ar > MAX_RECORDS:
        raise _Bad
    if qd:
        qs = f("", None, pos, 0, "Queries")
        start = pos
        for _ in range(qd):
            pos = _question(buf, msg, pos, end, src, qs, info, mdns)
        qs.length = pos - start
    for count, title_ in ((an, "Answers"), (ns, "Authoritative nameservers"), (ar, "Additional records")):
        if not count:
            continue
        sec = f("", None, pos, 0, title_)
        start = pos
        for _ in range(count):
            pos = _record(buf, msg, pos, end, src, sec, info, mdns)
        sec.length = pos - start


def _question(buf: bytes, msg: int, pos: int, end: int, src: str, parent: Field, info: list[str],
              mdns: bool) -> int:
    name, nlen, labels = read_name(buf, msg, pos, end)
    if pos + nlen + 4 > end:
        raise _Bad
    qtype, qclass = struct.unpack_from(">HH", buf, pos + nlen)
    cls = qclass & 0x7FFF if mdns else qclass
    q = parent.add(Field("", f"{name}: type {type_name(qtype)}, class {CLASSES.get(cls, f'0x{cls:04x}')}", None,
                         pos, nlen + 4, source=src))
    q.add(Field("dns.qry.name", f"Name: {name}", name, pos, nlen, source=src))
    q.add(Field("dns.qry.name.len", f"[Name Length: {len(name)}]", len(name), pos, nlen, source=src))
    q.add(Field("dns.count.labels", f"[Label Count: {labels}]", labels, pos, nlen, source=src))
    long = TYPE_LONG.get(qtype)
    q.add(Field("dns.qry.type", f"Type: {type_name(qtype)}{f' ({long})' if long else ''} ({qtype})", qtype,
                pos + nlen, 2, source=src))
    if mdns:
        q.add(Field("dns.qry.class", f".000 0000 0000 0001 = Class: {CLASSES.get(cls, 'Unknown')} (0x{cls:04x})",
                    cls, pos + nlen + 2, 2, source=src))
        q.add(Field("dns.qry.qu", f"{qclass >> 15}... .... .... .... = \"QU\" question: {bool(qclass >> 15)}",
                    qclass >> 15, pos + nlen + 2, 2, source=src))
    else:
        q.add(Field("dns.qry.class", f"Class: {CLASSES.get(cls, 'Unknown')} (0x{cls:04x})", cls, pos + nlen + 2, 2,
                    source=src))
    info.append(f"{type_name(qtype)} {name}" + ((', "QU" question' if qclass >> 15 else ', "QM" question')
                                               if mdns else ""))
    return pos + nlen + 4


def _record(buf: bytes, msg: int, pos: int, end: int, src: str, parent: Field, info: list[str],
            mdns: bool) -> int:
    name, nlen, _labels = read_name(buf, msg, pos, end)
    p = pos + nlen
    if p + 10 > end:
        raise _Bad
    rtype, rclass, ttl, rdlen = struct.unpack_from(">HHIH", buf, p)
    rd = p + 10
    if rd + rdlen > end:
        raise _Bad
    cls = rclass & 0x7FFF if mdns else rclass
    rr = parent.add(Field("", "", None, pos, nlen + 10 + rdlen, source=src))

    def f(fname: str, value: object, o: int, n: int, label: str | None = None) -> Field:
        return rr.add(Field(fname, label, value, o, n, source=src))

    f("dns.resp.name", name, pos, nlen, f"Name: {name}")
    long = TYPE_LONG.get(rtype)
    f("dns.resp.type", rtype, p, 2, f"Type: {type_name(rtype)}{f' ({long})' if long else ''} ({rtype})")
    summary = f"{name}: type {type_name(rtype)}"
    shown = type_name(rtype) + (", cache flush" if mdns and rclass >> 15 else "")
    if rtype == 41:  # OPT pseudo-record: the class is the UDP payload size, the TTL holds flags
        f("dns.rr.udp_payload_size", rclass, p + 2, 2, f"UDP payload size: {rclass}")
        f("dns.resp.ext_rcode", ttl >> 24, p + 4, 1, f"Higher bits in extended RCODE: 0x{ttl >> 24:02x}")
        f("dns.resp.edns0_version", (ttl >> 16) & 255, p + 5, 1, f"EDNS0 version: {(ttl >> 16) & 255}")
        f("dns.resp.len", rdlen, p + 8, 2, f"Data length: {rdlen}")
        rr.label = f"{name}: type OPT"
        info.append("OPT")
        return rd + rdlen
    f("dns.resp.class", cls, p + 2, 2, f"Class: {CLASSES.get(cls, 'Unknown')} (0x{cls:04x})")
    if mdns:
        f("dns.resp.cache_flush", rclass >> 15, p + 2, 2,
          f"{rclass >> 15}... .... .... .... = Cache flush: {bool(rclass >> 15)}")
    f("dns.resp.ttl", ttl, p + 4, 4, f"Time to live: {ttl} ({_ttl_text(ttl)})")
    f("dns.resp.len", rdlen, p + 8, 2, f"Data length: {rdlen}")
    summary += f", class {CLASSES.get(cls, f'0x{cls:04x}')}"
    data = ""
    if rtype == 1 and rdlen == 4:
        a = socket.inet_ntoa(bytes(buf[rd:rd + 4]))
        f("dns.a", int.from_bytes(buf[rd:rd + 4], "big"), rd, 4, f"Address: {a}")
        summary += f", addr {a}"
        data = a
    elif rtype == 28 and rdlen == 16:
        a6 = bytes(buf[rd:rd + 16])
        txt = socket.inet_ntop(socket.AF_INET6, a6)
        f("dns.aaaa", a6, rd, 16, f"AAAA Address: {txt}")
        summary += f", addr {txt}"
        data = txt
    elif rtype in (2, 5, 12, 39):
        target, tlen, _ = read_name(buf, msg, rd, rd + rdlen if rdlen else end)
        fname, title, word = {2: ("dns.ns", "Name Server", "ns"), 5: ("dns.cname", "CNAME", "cname"),
                              12: ("dns.ptr.domain_name", "Domain Name", "ptr"),
                              39: ("dns.data", "Data", "dname")}[rtype]
        if rtype == 39:
            f(fname, bytes(buf[rd:rd + rdlen]), rd, rdlen, f"Data: {target}")
        else:
            f(fname, target, rd, tlen, f"{title}: {target}")
        summary += f", {word} {target}"
        data = target
    elif rtype == 47 and rdlen >= 1:  # NSEC: the next owner name, then the type bitmap
        target, tlen, _ = read_name(buf, msg, rd, rd + rdlen)
        f("dns.nsec.next_domain_name", target, rd, tlen, f"Next Domain Name: {target}")
        summary += f", next domain name {target}"
        data = target
    elif rtype == 15 and rdlen >= 3:
        pref = _u16(buf, rd)[0]
        target, tlen, _ = read_name(buf, msg, rd + 2, rd + rdlen)
        f("dns.mx.preference", pref, rd, 2, f"Preference: {pref}")
        f("dns.mx.mail_exchange", target, rd + 2, tlen, f"Mail Exchange: {target}")
        summary += f", preference {pref}, mx {target}"
        data = f"{pref} {target}"
    elif rtype == 16:
        q = rd
        while q < rd + rdlen:
            n = buf[q]
            if q + 1 + n > rd + rdlen:
                raise _Bad
            f("dns.txt.length", n, q, 1, f"TXT Length: {n}")
            s = text(bytes(buf[q + 1:q + 1 + n]))
            f("dns.txt", s, q + 1, n, f"TXT: {s}")
            q += 1 + n
        data = ""
    elif rtype == 6:
        mname, ml, _ = read_name(buf, msg, rd, rd + rdlen)
        rname, rl, _ = read_name(buf, msg, rd + ml, rd + rdlen)
        q = rd + ml + rl
        if q + 20 > rd + rdlen:
            raise _Bad
        f("dns.soa.mname", mname, rd, ml, f"Primary name server: {mname}")
        f("dns.soa.rname", rname, rd + ml, rl, f"Responsible authority's mailbox: {rname}")
        serial, refresh, retry, expire, minimum = struct.unpack_from(">IIIII", buf, q)
        f("dns.soa.serial_number", serial, q, 4, f"Serial Number: {serial}")
        f("dns.soa.refresh_interval", refresh, q + 4, 4, f"Refresh Interval: {refresh} ({_ttl_text(refresh)})")
        f("dns.soa.retry_interval", retry, q + 8, 4, f"Retry Interval: {retry} ({_ttl_text(retry)})")
        f("dns.soa.expire_limit", expire, q + 12, 4, f"Expire limit: {expire} ({_ttl_text(expire)})")
        f("dns.soa.minimum_ttl", minimum, q + 16, 4, f"Minimum TTL: {minimum} ({_ttl_text(minimum)})")
        summary += f", mname {mname}"
        data = mname
    elif rtype == 33 and rdlen >= 7:
        prio, weight, port = struct.unpack_from(">HHH", buf, rd)
        target, tlen, _ = read_name(buf, msg, rd + 6, rd + rdlen)
        f("dns.srv.priority", prio, rd, 2, f"Priority: {prio}")
        f("dns.srv.weight", weight, rd + 2, 2, f"Weight: {weight}")
        f("dns.srv.port", port, rd + 4, 2, f"Port: {port}")
        f("dns.srv.target", target, rd + 6, tlen, f"Target: {target}")
        summary += f", priority {prio}, weight {weight}, port {port}, target {target}"
        data = f"{prio} {weight} {port} {target}"
    elif rdlen:
        f("dns.data", bytes(buf[rd:rd + rdlen]), rd, rdlen, f"Data ({rdlen} bytes)")
    rr.label = summary
    info.append(f"{shown} {data}" if data else shown)
    return rd + rdlen


def _ttl_text(secs: int) -> str:
    if secs == 0:
        return "0 seconds"
    parts = []
    for unit, n in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        k, secs = divmod(secs, n)
        if k:
            parts.append(f"{k} {unit}{'s' if k != 1 else ''}")
    return ", ".join(parts)


def looks_like_dns(buf: bytes, off: int, end: int) -> bool:
    """A 12-byte header whose counts are plausible (for payloads on DNS ports that may be something else)."""
    if end - off < 12:
        return False
    qd, an, ns, ar = struct.unpack_from(">HHHH", buf, off + 4)
    return qd + an + ns + ar <= MAX_RECORDS
