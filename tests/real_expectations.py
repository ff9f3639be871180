"""What tlstui's findings must be on each third-party capture of ../shared/captures/real/ (issue 14).

Decided by reading each capture in tshark and tlstui, with nDPI's expected output beside it
(ndpi_expected/NAME.out).  For each capture:

* ``findings``: every warning and error, as "kind:severity" -> the first evidence frame of each
  such finding.  Exactly these: a warning or error that is not listed is a false alarm.
* ``notes``: diagnoses that must be there as notes (capture conditions, certificates, versions);
  other notes (TCP events, closes) may come and go.
* ``why``: the judgement, in a sentence or two.

The captures stay outside the repository; tests/unit/findings/test_real_captures.py checks this
when ../shared is present, and tests/unit/findings/test_real_traffic_*.py rebuild each case with
captures made at test time.
"""
from __future__ import annotations

EXPECTED: dict[str, dict] = {
    'ja4_CVE-2018-6794.pcap': dict(
        findings={'tcp.retransmission:warning': [8, 18], 'tcp.synack_without_options:warning': [2, 11, 20]},
        notes=set(),
        why=('A Suricata-bypass demo: a fake server (no TCP options in its SYN-ACKs) sends data before the '
             "handshake completes and never ACKs the client's request, which is resent 5 times: the SYN-ACK and "
             'retransmission warnings are true.')),
    'ja4_chrome-cloudflare-quic-with-secrets.pcapng': dict(
        findings={},
        notes=set(),
        why="Clean: Chrome over TLS 1.3 and QUIC to Cloudflare; the client's FIN without close_notify is a note."),
    'ja4_gre-sample.pcap': dict(
        findings={},
        notes=set(),
        why='Clean (GRE-encapsulated traffic; tunnels not yet decoded, issue 16).'),
    'ja4_http1-with-cookies.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean: plain HTTP/1.1.'),
    'ja4_http2-with-cookies.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean: one long TLS 1.3 + HTTP/2 session to youtube.com (a browser).'),
    'ja4_socks-https-example.pcap': dict(
        findings={'tls.certificate_name_mismatch:warning': [17, 47, 80], 'tls.obsolete_version:warning': [9], 'tls.weak_cipher:warning': [9]},
        notes={'tls.certificate_weak'},
        why=('Three TLS 1.0 sessions to www.example.com through SOCKS, with RC4-SHA negotiated (2013): obsolete '
             "version and weak cipher are true; the EdgeCast certificate does not list www.example.com's SNI as "
             'sent here (name mismatch, warning); SHA-1 certificates in a 2013 capture are notes.')),
    'ja4_ssh2.pcapng': dict(
        findings={'tcp.retransmission:warning': [124, 221, 223, 225, 763, 766, 783, 1264, 1265, 1303]},
        notes={'ip.fragmentation_needed'},
        why=('SSH sessions, and connection attempts to port 1 and 5000 whose SYNs are resent unanswered or '
             "answered by ICMP 'administratively filtered': each is a failed connect (warning). One ICMP frag- "
             'needed (MTU 1492) whose resend was re-segmented: a note, no mismatch.')),
    'ja4_tls-sni.pcapng': dict(
        findings={},
        notes={'capture.one_direction'},
        why=('ClientHellos only (one direction captured): one_direction note, handshakes not seen to finish are '
             'notes, nothing else.')),
    'ndpi_443-git.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: git over HTTPS (TLS 1.2); the encrypted alert closing it and the RSTs after are notes.'),
    'ndpi_4in4tunnel.pcap': dict(
        findings={},
        notes=set(),
        why='Clean (IP-in-IP; tunnels are issue 16).'),
    'ndpi_4in6tunnel.pcap': dict(
        findings={},
        notes=set(),
        why='Clean (IPv4-in-IPv6).'),
    'ndpi_6in4tunnel.pcap': dict(
        findings={},
        notes={'ip.fragmentation_needed'},
        why=('An ICMPv6 Packet Too Big (MTU 1460) inside the tunnel, with nothing larger after it: path MTU '
             'discovery working, a note.')),
    'ndpi_BGP_redist.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: BGP, no TLS.'),
    'ndpi_KakaoTalk_chat.pcap': dict(
        findings={'tcp.retransmission:warning': [39], 'tls.obsolete_version:warning': [64], 'tls.weak_cipher:warning': [232]},
        notes={'capture.one_direction', 'tls.certificate_weak', 'tls.missing_sni'},
        why=('KakaoTalk: TLS 1.0 negotiated (obsolete) and ECDHE-ECDSA-RC4-SHA (weak) as nDPI says; stream 2 has '
             'SYN and data resends around a second SYN-ACK with another ISN (warning); client-only streams are '
             'one_direction notes.')),
    'ndpi_anyconnect-vpn.pcap': dict(
        findings={'tcp.duplicate_ack:warning': [445], 'tcp.retransmission:warning': [11], 'tls.certificate_self_signed:warning': [186], 'tls.obsolete_version:warning': [465]},
        notes={'tls.client_certificate_missing', 'tls.missing_sni'},
        why=('Cisco AnyConnect: DTLS 0x0100 (pre-standard, obsolete), a SYN to port 8009 never answered (warning), '
             '18 duplicate ACKs with fast retransmissions in stream 13 (loss, warning), and a self-signed Code42 '
             'server certificate (warning).')),
    'ndpi_anydesk.pcapng': dict(
        findings={'tls.certificate_self_signed:warning': [72]},
        notes={'tls.missing_sni'},
        why=("AnyDesk's mutual TLS with self-signed certificates on both sides: self-signed warning; the client "
             'certificate was sent (no missing-certificate finding).')),
    'ndpi_cachefly.pcapng': dict(
        findings={},
        notes=set(),
        why=("A single server flight; the capture ends before the client's answer: handshake not seen to finish "
             '(note).')),
    'ndpi_capwap.pcap': dict(
        findings={},
        notes=set(),
        why='DTLS 1.0 CAPWAP control channel: fragmented certificate reassembled; nothing wrong judged.'),
    'ndpi_capwap_data.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean: CAPWAP data.'),
    'ndpi_chrome.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: Chrome, 6 TLS 1.3 connections.'),
    'ndpi_custom_rules_ipv6.pcapng': dict(
        findings={},
        notes={'capture.one_direction'},
        why='DTLS application data from one side only: one_direction note.'),
    'ndpi_discord.pcap': dict(
        findings={},
        notes={'capture.clock_implausible', 'tls.certificate_not_yet_valid'},
        why=('Stream 0 is dated 1970 while the rest is 2022: clock_implausible, and the certificate dates become '
             "notes (nDPI's 'expired' compares with another clock).")),
    'ndpi_dns.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: DNS.'),
    'ndpi_dns_doh.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: DNS over HTTPS.'),
    'ndpi_dns_fragmented.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: fragmented DNS.'),
    'ndpi_dnscrypt-v2-doh.pcap': dict(
        findings={},
        notes={'capture.clock_implausible', 'tls.certificate_not_yet_valid'},
        why=("Dated 2000-01-01 while carrying Let's Encrypt certificates of 2016-2020: clock_implausible, "
             'certificate dates as notes.')),
    'ndpi_doq.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean: DNS over QUIC (QUIC is issue 16).'),
    'ndpi_emotet.pcap': dict(
        findings={'tls.certificate_self_signed:warning': [143]},
        notes={'tls.missing_sni'},
        why="Emotet's self-signed certificate without SNI: self-signed warning as nDPI says; missing SNI a note."),
    'ndpi_firefox.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: Firefox, 6 TLS 1.3 connections.'),
    'ndpi_fuzz-2006-06-26-2594.pcap': dict(
        findings={'tcp.lost_segment:warning': [48], 'tcp.retransmission:warning': [37, 38], 'tcp.retransmission_mismatch:error': [88]},
        notes={'capture.one_direction'},
        why=("Fuzzer output: a resend whose overlapping bytes differ (the file's own corruption) is a mismatch by "
             'definition; the gap and resends are what the corrupted sequence numbers say.')),
    'ndpi_fuzz-2020-02-16-11740.pcap': dict(
        findings={},
        notes=set(),
        why='Fuzzer output with nothing decodable to judge.'),
    'ndpi_geforcenow.pcapng': dict(
        findings={'dtls.handshake_retransmission:warning': [59]},
        notes={'tls.certificate_self_signed'},
        why=("GeForce Now DTLS: the ClientHello and the server's flight resent (warning); both sides' self-signed "
             "certificates are WebRTC's design (note).")),
    'ndpi_googledns_android10.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: DNS over TLS; a FIN resent to a peer that forgot the connection is a note.'),
    'ndpi_haproxy.pcap': dict(
        findings={},
        notes={'capture.one_direction'},
        why='One segment (PROXY header + ClientHello): one_direction note.'),
    'ndpi_heuristic_tcp_ack_payload.pcap': dict(
        findings={'tcp.out_of_order:warning': [4, 67, 86, 186, 221], 'tcp.retransmission:warning': [12, 92, 163, 179, 218], 'tcp.zero_window:warning': [160]},
        notes=set(),
        why=('A device counts Ethernet padding in the IP length, so ACKs carry 2-6 bytes of zeros that the '
             'receivers see as data: out-of-order, resends and a zero window follow (warnings); no mismatch (the '
             'padding is equal bytes).')),
    'ndpi_http_connect.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: TLS 1.3 through an HTTP CONNECT proxy.'),
    'ndpi_http_ipv6.pcap': dict(
        findings={'tls.alert:warning': [94, 98, 125, 149], 'tls.certificate_name_mismatch:warning': [104, 106, 131, 155]},
        notes={'tls.certificate_weak'},
        why=('Certificates that do not match the SNI, answered by unrecognized_name warning alerts in the clear: '
             'name mismatch and alert warnings, as nDPI says.')),
    'ndpi_ip_fragmented_garbage.pcap': dict(
        findings={},
        notes={'capture.one_direction'},
        why='Garbage fragments from one side: one_direction note.'),
    'ndpi_iphone.pcap': dict(
        findings={},
        notes=set(),
        why=('Clean: an iPhone starting up; a few resends (one spurious) are notes; handshakes cut by the capture '
             'are notes.')),
    'ndpi_ipv6_in_gtp.pcap': dict(
        findings={},
        notes=set(),
        why='Clean (GTP-U tunnel).'),
    'ndpi_ja3_lots_of_cipher_suites_2_anon.pcap': dict(
        findings={'tls.certificate_self_signed:warning': [7], 'tls.reuse_after_close_notify:error': [20]},
        notes={'capture.snaplen_truncated'},
        why=('TLS 1.2 inside GTP-U (decoded through the tunnel): a self-signed certificate (nDPI: Self-signed Cert); '
             'the server sends FIN (frame 20) right after its Finished, the client still sends application data '
             '(24) and the server answers RST (26). Frames 4 bytes short of their wire length with complete IP '
             'packets: only the FCS missing (snaplen note).')),
    'ndpi_jabber.pcap': dict(
        findings={'tcp.lost_segment:warning': [194, 262]},
        notes=set(),
        why=('XMPP in clear: gaps in both directions at the same frames (the capture dropped packets): lost- '
             'segment warnings.')),
    'ndpi_malformed_icmp.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: malformed ICMP is not a TLS problem.'),
    'ndpi_malware.pcap': dict(
        findings={'tcp.duplicate_ack:warning': [36], 'tls.certificate_name_mismatch:warning': [16], 'tls.encrypted_alert:warning': [21]},
        notes=set(),
        why=('internetbadguys.com: certificate name mismatch (nDPI agrees); the client sends an encrypted alert '
             'right after its Finished and leaves (warning: a fatal alert or a probe); duplicate ACKs.')),
    'ndpi_mysql.pcapng': dict(
        findings={},
        notes={'tls.missing_sni'},
        why="Clean: MySQL STARTTLS-style TLS 1.3; the client's QUIT and FIN without close_notify is a note."),
    'ndpi_ocs.pcap': dict(
        findings={'tcp.duplicate_ack:warning': [61, 872], 'tcp.retransmission:warning': [25, 78, 175]},
        notes={'capture.one_direction', 'tls.missing_sni'},
        why=('Client side only (one_direction); SYNs resent five times unanswered (failed connects: warnings, the '
             "client's own resends are evidence) and duplicate ACKs the client sent.")),
    'ndpi_ocsp.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean: OCSP over HTTP.'),
    'ndpi_openvpn_nohmac_tcp.pcapng': dict(
        findings={},
        notes=set(),
        why="TLS inside OpenVPN's control channel (not decoded as TLS yet): nothing to judge."),
    'ndpi_ossfuzz_seed_fake_traces_1.pcapng': dict(
        findings={'tls.malformed:warning': [19]},
        notes={'capture.one_direction', 'tls.missing_sni'},
        why='Fake traces: a ClientHello with a trailing byte is malformed (warning).'),
    'ndpi_pgsql2.pcapng': dict(
        findings={},
        notes={'tls.missing_sni'},
        why='Clean: PostgreSQL SSLRequest then TLS 1.3 (no SNI: a note).'),
    'ndpi_pluralsight.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: handshakes the capture cuts are notes.'),
    'ndpi_pops.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean: POP3S CH/SH only, the capture ends (note).'),
    'ndpi_protonvpn.pcap': dict(
        findings={},
        notes={'capture.clock_implausible', 'tls.certificate_not_yet_valid'},
        why='40 frames dated 1970: clock_implausible; certificate dates as notes.'),
    'ndpi_quic-23.pcap': dict(
        findings={},
        notes=set(),
        why='Clean (QUIC: issue 16).'),
    'ndpi_quic-27.pcap': dict(
        findings={},
        notes=set(),
        why='Clean (QUIC).'),
    'ndpi_quic-33.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean (QUIC).'),
    'ndpi_quic-forcing-vn-with-data.pcapng': dict(
        findings={},
        notes={'quic.version_negotiation'},
        why=('The client forces version negotiation with a reserved version (0xbabababa), the server lists v1 and '
             'drafts 27-29, the client goes on with v1 (through a Retry) and completes: a note, nothing failed.')),
    'ndpi_quic-fuzz-overflow.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean (QUIC fuzz case).'),
    'ndpi_quic-mvfst-27.pcapng': dict(
        findings={},
        notes={'capture.clock_implausible'},
        why='Every frame dated 1970: clock_implausible note.'),
    'ndpi_quic-v2.pcapng': dict(
        findings={},
        notes=set(),
        why='Clean (QUIC v2).'),
    'ndpi_quic_0RTT.pcap': dict(
        findings={},
        notes={'quic.handshake_incomplete'},
        why=('Two captures stitched together: a draft-28 0-RTT connection whose capture stops after the '
             "server's first answer (handshake not seen to complete: a note), then a clean v1 connection.")),
    'ndpi_quic_interop_V.pcapng': dict(
        findings={},
        notes={'quic.version_negotiation'},
        why=('The interop runner\'s version test: 63 Initials of the reserved version 0x0a0a0a0a to many servers, '
             'answered by Version Negotiation or not at all (the client then ends some with a CONNECTION_CLOSE): '
             'version probes, notes only, no connection meant to be made.')),
    'ndpi_quic_q46.pcap': dict(
        findings={},
        notes=set(),
        why='Clean (gQUIC).'),
    'ndpi_quic_t51.pcap': dict(
        findings={},
        notes=set(),
        why='Clean (gQUIC).'),
    'ndpi_rdp2.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: RDP.'),
    'ndpi_reddit.pcap': dict(
        findings={},
        notes=set(),
        why=("Clean: 60 browser connections over IPv6; spare connections closed before the server's flight, "
             "tickets arriving after the client's FIN and the RSTs that follow are notes (these raised 22 "
             'reuse_after_close_notify errors before).')),
    'ndpi_riot.pcapng': dict(
        findings={},
        notes={'capture.one_direction'},
        why='Server side only: one_direction note.'),
    'ndpi_safari.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: Safari, full and resumed TLS 1.2 handshakes.'),
    'ndpi_sites.pcapng': dict(
        findings={'tcp.retransmission:warning': [366], 'tls.certificate_chain_incomplete:warning': [590]},
        notes=set(),
        why=('Browsing: a SYN to port 80 answered only after 7 attempts, 65 s later (warning); *.ok.ru sent '
             'without its GlobalSign intermediate (chain incomplete, warning); the rest are notes.')),
    'ndpi_smtp.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: plain SMTP (a 1999 clock with nothing newer in it is plausible).'),
    'ndpi_sonos.pcapng': dict(
        findings={},
        notes=set(),
        why=("Sonos: the client's SNI is the address 192.168.1.70 (RFC 6066 allows no addresses there), so there "
             "is no name to compare with the certificate's sonos-….local names (nDPI calls it a mismatch); the "
             "leaf is issued directly by Sonos's private root and the client went on: no chain or trust warning.")),
    'ndpi_stun.pcap': dict(
        findings={},
        notes={'dtls.fragmented_handshake', 'dtls.handshake_stalled', 'tls.certificate_self_signed'},
        why=('WebRTC: the DTLS ClientHello is the last packet of its flow before a gap of years (joined captures): '
             "stalled as a note; self-signed certificates on both sides are WebRTC's design.")),
    'ndpi_stun_dtls_unidirectional_server.pcap': dict(
        findings={'tls.obsolete_version:warning': [3]},
        notes={'capture.one_direction', 'dtls.fragmented_handshake', 'dtls.handshake_stalled'},
        why='Server side only (one_direction); DTLS 1.0 negotiated (obsolete, warning).'),
    'ndpi_stun_google_meet.pcapng': dict(
        findings={},
        notes={'tls.certificate_self_signed'},
        why='Google Meet: WebRTC DTLS with self-signed certificates both ways (note).'),
    'ndpi_stun_zoom.pcapng': dict(
        findings={'dtls.handshake_retransmission:warning': [9, 25]},
        notes={'dtls.fragmented_handshake'},
        why="Zoom: the DTLS ClientHello resent 6 times and the server's flight resent (warnings)."),
    'ndpi_synscan.pcap': dict(
        findings={},
        notes=set(),
        why='A SYN scan: half-open connections whose SYN-ACKs are resent are notes; resets are notes.'),
    'ndpi_teams.pcap': dict(
        findings={'tcp.out_of_order:warning': [1253]},
        notes=set(),
        why=('Microsoft Teams: servers that close with FIN without close_notify (notes), one burst of out-of-order '
             'segments from a server (warning).')),
    'ndpi_teredo.pcap': dict(
        findings={},
        notes=set(),
        why='Clean: Teredo.'),
    'ndpi_tor.pcap': dict(
        findings={'tls.obsolete_version:warning': [9]},
        notes={'tls.certificate_name_mismatch', 'tls.certificate_untrusted', 'tls.certificate_weak'},
        why=('Tor: TLS 1.0 negotiated (obsolete, warning as nDPI says); the made-up link certificate names, their '
             'untrusted issuers and RSA-1024/SHA-1 in 2013 are notes.')),
    'ndpi_ultrasurf.pcap': dict(
        findings={'tcp.duplicate_ack:warning': [8], 'tcp.lost_segment:warning': [135], 'tcp.out_of_order:warning': [138], 'tcp.pmtu_blackhole:warning': [1], 'tcp.retransmission:warning': [6, 139]},
        notes={'tls.missing_sni'},
        why=('Full-size segments resent without ACK while small ones pass, then resent in smaller pieces: a PMTU '
             'black hole (warning, inferred), with its resends, gaps and duplicate ACKs; no mismatch (the smaller '
             'resends are equal bytes).')),
    'ndpi_whois.pcapng': dict(
        findings={'tls.certificate_self_signed:warning': [18]},
        notes={'capture.one_direction', 'tls.missing_sni'},
        why='Every packet captured twice (notes), and a self-signed certificate for CN=10.17.51.7 (warning).'),
    'ndpi_windscribe.pcapng': dict(
        findings={'tls.certificate_self_signed:warning': [6]},
        notes={'tls.missing_sni'},
        why='Windscribe VPN: self-signed certificate, no SNI (nDPI agrees).'),
    'ndpi_yandex.pcapng': dict(
        findings={},
        notes={'capture.one_direction'},
        why='Client side only (one_direction): handshakes not seen to finish are notes.'),
}
