#!/usr/bin/env python3
"""A stand-in for dumpcap in the live-capture tests (TLSTUI_CAPTURE_PROGRAM=dumpcap:python THIS).

Takes dumpcap's arguments (-i IFACE -w PREFIX.pcapng -b filesize:KB -b files:N [-f FILTER]) and
writes the frames of a known pcap ($STANDIN_SOURCE) as pcapng, one every $STANDIN_DELAY seconds,
flushed at once, into dumpcap's ring of files (PREFIX_00001_STAMP.pcapng, ...), printing dumpcap's
'Packets: N' counts on stderr; SIGINT ends it as it ends dumpcap.  $STANDIN_FAIL=permission,
nodevice or filter prints dumpcap's message for that failure and exits 1.  Standard library only.
"""
import os
import signal
import struct
import sys
import time

MESSAGES = {
    "permission": 'Capturing on \'{i}\'\ndumpcap: You do not have permission to capture on device "{i}".\n'
                  "(socket: Operation not permitted)\nPlease check to make sure you have sufficient permissions.\n",
    "nodevice": 'Capturing on \'{i}\'\ndumpcap: There is no device named "{i}".\n(No such device exists)\n',
    "filter": "Capturing on '{i}'\ndumpcap: Invalid capture filter \"{f}\" for interface '{i}'.\n\n"
              "That string isn't a valid capture filter (can't parse filter expression: syntax error).\n"
              "See the User's Guide for a description of the capture filter syntax.\n",
}


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def main(argv):
    args = {"-b": []}
    it = iter(argv)
    for a in it:
        if a == "-b":
            args["-b"].append(next(it))
        elif a in ("-i", "-w", "-f"):
            args[a] = next(it)
    ring = dict(b.split(":") for b in args["-b"])
    filesize, nfiles = int(ring.get("filesize", "0")) * 1024, int(ring.get("files", "0"))
    fail = os.environ.get("STANDIN_FAIL")
    if fail:
        sys.stderr.write(MESSAGES[fail].format(i=args["-i"], f=args.get("-f", "")))
        return 1
    raw = open(os.environ["STANDIN_SOURCE"], "rb").read()
    assert raw[:4] == b"\xd4\xc3\xb2\xa1", "little-endian microsecond pcap only"
    linktype = struct.unpack_from("<I", raw, 20)[0]
    delay = float(os.environ.get("STANDIN_DELAY", "0.01"))
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    prefix = args["-w"][:-len(".pcapng")]
    head = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)) + \
        block(1, struct.pack("<HHI", linktype, 0, 262144))
    files, out, size, count = [], None, 0, 0

    def new_file():
        nonlocal out, size
        if out:
            out.close()
        name = f"{prefix}_{len(files) + 1:05d}_{time.strftime('%Y%m%d%H%M%S')}.pcapng"
        files.append(name)
        if nfiles and len(files) > nfiles:
            os.unlink(files[-nfiles - 1])
        out = open(name, "wb")
        out.write(head)
        out.flush()
        size = len(head)
        sys.stderr.write(f"File: {name}\n")

    sys.stderr.write(f"Capturing on '{args['-i']}'\n")
    new_file()
    pos = 24
    while pos + 16 <= len(raw) and not stop:
        sec, usec, incl, orig = struct.unpack_from("<IIII", raw, pos)
        units = sec * 1_000_000 + usec
        epb = block(6, struct.pack("<IIIII", 0, units >> 32, units & 0xFFFFFFFF, incl, orig) + raw[pos + 16:pos + 16 + incl])
        if filesize and size + len(epb) > filesize and size > len(head):
            new_file()
        out.write(epb)
        out.flush()
        size += len(epb)
        count += 1
        pos += 16 + incl
        sys.stderr.write(f"\rPackets: {count} ")
        sys.stderr.flush()
        time.sleep(delay)
    while not stop:  # all written: keep "capturing" until stopped, as dumpcap does
        time.sleep(0.02)
    out.close()
    sys.stderr.write(f"\rPackets captured: {count}\nPackets received/dropped on interface '{args['-i']}': {count}/0\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
