#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Crafted DHCP requests against isoboot-proxydhcp, sent and sniffed with scapy.

Run by proxydhcp-packets.sh inside the client network namespace it creates:
    proxydhcp-scapy.py PHASE IFACE1 IFACE2 SERVER_MAC1 SERVER_MAC2
IFACE1 faces the server's 192.0.2.1, IFACE2 its 198.51.100.1. Prints one "ok: ..." or
"FAIL: ..." line per check. Every case uses a MAC address of its own, 52:54:00:a0:PP:NN (PP the
phase, NN the case), so that the server's log lines can be told apart by the shell test.
"""
import random
import sys
import time

from scapy.all import (BOOTP, DHCP, IP, UDP, AsyncSniffer, Ether, Raw, bind_layers, conf,
                       fragment, sendp)

conf.verb = 0
# Port 4011 is DHCP too (PXE 2.1), which scapy does not know by itself.
bind_layers(UDP, BOOTP, sport=4011)
bind_layers(UDP, BOOTP, dport=4011)
PHASE, IF1, IF2, SMAC1, SMAC2 = sys.argv[1:6]
SRV1, SRV2 = "192.0.2.1", "198.51.100.1"
CLI1 = "192.0.2.100"
PHASE_NO = {"full": 1, "listen": 2, "interfaces": 3, "subnets": 4}[PHASE]
UUID = bytes([0]) + bytes(range(0x10, 0x20))
WAIT_REPLY = 3.0   # seconds for an answer that should come
WAIT_NONE = 1.0    # seconds of silence that count as "no answer"
fails = 0
case_no = 0


def result(ok, what):
    global fails
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        fails += 1


# Every BOOTREPLY seen on either interface, with the interface and when.
seen = []


def keep(iface):
    def f(p):
        # Only the server's: the sniffer also sees what this script sends.
        if UDP in p and BOOTP in p and p[BOOTP].op == 2 and p[IP].src in (SRV1, SRV2):
            seen.append((iface, p))
    return f


sniffers = [AsyncSniffer(iface=i, prn=keep(i), store=False) for i in (IF1, IF2)]
for s in sniffers:
    s.start()
time.sleep(0.5)


def next_case():
    global case_no
    case_no += 1
    mac = "52:54:00:a0:%02x:%02x" % (PHASE_NO, case_no)
    xid = random.randrange(1, 2**32)
    return mac, xid


def machex(mac):
    return bytes(int(b, 16) for b in mac.split(":"))


def discover(mac, xid, options, iface=IF1, msgtype="discover", dport=67, src="0.0.0.0",
             dst="255.255.255.255", dmac="ff:ff:ff:ff:ff:ff", sport=68, ciaddr="0.0.0.0"):
    opts = [("message-type", msgtype)] + options + ["end"]
    p = (Ether(src=mac, dst=dmac) / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) /
         BOOTP(op=1, chaddr=machex(mac) + bytes(10), xid=xid, flags=0x8000, ciaddr=ciaddr) /
         DHCP(options=opts))
    sendp(p, iface=iface)


def replies(xid, wait):
    """The replies with this xid, waiting up to `wait` seconds for the first."""
    end = time.time() + wait
    while time.time() < end:
        got = [(i, p) for i, p in seen if p[BOOTP].xid == xid]
        if got and wait == WAIT_REPLY:
            time.sleep(0.3)  # a second, unwanted answer would come about now
            return [(i, p) for i, p in seen if p[BOOTP].xid == xid]
        time.sleep(0.05)
    return [(i, p) for i, p in seen if p[BOOTP].xid == xid]


def opt(p, name):
    for o in p[DHCP].options:
        if isinstance(o, tuple) and o[0] == name:
            return o[1] if len(o) == 2 else o[1:]
    return None


def raw_options(p):
    """code -> bytes, from the raw option field (scapy decodes some options its own way)."""
    data = bytes(p[BOOTP])
    out, i = {}, 240
    while i < len(data):
        c = data[i]
        if c == 0:
            i += 1
            continue
        if c == 255:
            break
        n = data[i + 1]
        out[c] = data[i + 2:i + 2 + n]
        i += 2 + n
    return out


def pxe(arch, cls=None, extra=None):
    o = [("vendor_class_id", (cls or "PXEClient:Arch:%05d:UNDI:002001" % arch).encode()),
         ("client_id", b"\x01" + bytes(6))]
    if arch is not None:
        o.append((93, arch.to_bytes(2, "big")))
    o.append((97, UUID))
    return o + (extra or [])


def expect_answer(what, options, boot, iface=IF1, server=SRV1, http=False, **kw):
    """One DHCPOFFER (or ACK) for the request, checked field by field. http: a UEFI HTTP Boot
    client's answer (vendor class HTTPClient, the URL in option 67 too, no PXE option 43)."""
    mac, xid = next_case()
    discover(mac, xid, options, iface=iface, **kw)
    got = replies(xid, WAIT_REPLY)
    if len(got) != 1:
        result(False, "%s (%s): expected one reply, got %d" % (what, mac, len(got)))
        return None
    i, p = got[0]
    b, ro = p[BOOTP], raw_options(p)
    checks = [
        ("on %s" % iface, i == iface),
        ("yiaddr 0.0.0.0", b.yiaddr == "0.0.0.0"),
        ("siaddr %s" % server, b.siaddr == server),
        ("chaddr", bytes(b.chaddr)[:6] == machex(mac)),
        ("file %s" % boot, bytes(b.file).rstrip(b"\0").decode(errors="replace") == boot),
        ("option 54 %s" % server, ro.get(54) == bytes(int(x) for x in server.split("."))),
        ("option 60 %s" % ("HTTPClient" if http else "PXEClient"),
         ro.get(60) == (b"HTTPClient" if http else b"PXEClient")),
        ("option 43 %s" % ("absent" if http else "skips discovery"),
         ro.get(43) == (None if http else b"\x06\x01\x08\xff")),
        ("option 67 %s" % ("the URL" if http else "absent"),
         ro.get(67) == (boot.encode() if http else None)),
        ("option 97 echoed", ro.get(97) == UUID),
        ("from %s:67" % server if kw.get("dport", 67) == 67 else "from port 4011",
         p[IP].src == server and p[UDP].sport == kw.get("dport", 67)),
    ]
    if kw.get("dport", 67) == 67:
        want = b"\x02" if kw.get("msgtype", "discover") == "discover" else b"\x05"
        checks.append(("%s broadcast to port 68" % ("DHCPOFFER" if want == b"\x02" else "DHCPACK"),
                       ro.get(53) == want and p[IP].dst == "255.255.255.255" and
                       p[UDP].dport == 68))
    else:
        checks.append(("DHCPACK to %s:%d" % (kw["src"], kw["sport"]), ro.get(53) == b"\x05" and
                       p[IP].dst == kw["src"] and p[UDP].dport == kw["sport"]))
        checks.append(("ciaddr echoed", b.ciaddr == kw["ciaddr"]))
    bad = [n for n, ok in checks if not ok]
    result(not bad, "%s (%s): %s" % (what, mac, "; ".join(bad) if bad else
                                     "one reply: %s from %s" % (boot, server)))
    return p


def expect_silence(what, options, iface=IF1, **kw):
    mac, xid = next_case()
    discover(mac, xid, options, iface=iface, **kw)
    got = replies(xid, WAIT_NONE)
    result(not got, "%s (%s): %s" % (what, mac, "no reply" if not got else
                                     "%d unexpected replies" % len(got)))


def send_raw(iface, payload, fragmented=False):
    eth = Ether(src="52:54:00:a0:ff:ff", dst="ff:ff:ff:ff:ff:ff")
    ip = IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / Raw(payload)
    if fragmented:
        sendp([eth / f for f in fragment(ip, fragsize=1000)], iface=iface)
    else:
        sendp(eth / ip, iface=iface)


def valid_bytes(xid, mac, options):
    return bytes(BOOTP(op=1, chaddr=machex(mac) + bytes(10), xid=xid, flags=0x8000) /
                 DHCP(options=[("message-type", "discover")] + options + ["end"]))


def garbage():
    """Malformed packets: none may be answered, and the server must keep serving."""
    xids = []
    mac, xid = next_case()
    good = valid_bytes(xid, mac, pxe(0))
    xids.append(xid)
    hdr = good[:240]
    random.seed(42)
    payloads = [
        ("random bytes", bytes(random.randrange(256) for _ in range(300))),
        ("empty", b""),
        ("a truncated header", good[:100]),
        ("header only, no options", hdr),
        ("no end option", good[:-1]),
        ("an option past the end", hdr + b"\x35\x01\x01\x3c\x40PXEClient"),
        ("an option without its length", hdr + b"\x35\x01\x01\x3c"),
        ("option overloading (52)", hdr + b"\x35\x01\x01\x34\x01\x03" + good[243:]),
        ("a 3-byte option 53", hdr + b"\x35\x03\x01\x01\x01" + good[243:]),
        ("a 3-byte option 93", hdr + b"\x35\x01\x01\x5d\x03\x00\x00\x00\x3c\x09PXEClient\xff"),
        ("a 16-byte option 97", hdr + b"\x35\x01\x01\x61\x10" + bytes(16) +
         b"\x3c\x09PXEClient\xff"),
        ("option 53 twice", hdr + b"\x35\x01\x01" + good[240:]),
        ("a BOOTREPLY", b"\x02" + good[1:]),
        ("not Ethernet (hlen 20)", good[:2] + b"\x14" + good[3:]),
        ("no magic cookie", good[:236] + b"\x00\x00\x00\x00" + good[240:]),
        ("a BOOTP request (no message type)", hdr + b"\x3c\x09PXEClient\x5d\x02\x00\x00\xff"),
    ]
    for name, data in payloads:
        send_raw(IF1, data)
    # Over the size of one Ethernet frame, in IP fragments that the kernel puts together.
    send_raw(IF1, good[:-1] + b"\x00" * 1400 + b"\xff", fragmented=True)
    time.sleep(WAIT_NONE)
    got = [p for _, p in seen if p[BOOTP].xid == xid]
    result(not got, "%d malformed packets and an oversized one: %s" % (
        len(payloads), "no reply" if not got else "%d replies" % len(got)))
    print("# garbage mac %s" % mac, flush=True)


if PHASE in ("full", "listen"):
    expect_answer("BIOS PXE", pxe(0), "pxelinux.0")
    expect_answer("x86-64 UEFI (arch 7)", pxe(7), "snponly.efi")
    expect_answer("iPXE (user class)", pxe(0, extra=[(77, b"iPXE")]),
                  "http://192.0.2.1/boot.ipxe")
    expect_answer("ProxyDHCPREQUEST to port 4011 from port 68 (iPXE)",
                  pxe(7, extra=[("server_id", SRV1)]), "snponly.efi", msgtype="request",
                  dport=4011, src=CLI1, dst=SRV1, dmac=SMAC1, sport=68, ciaddr=CLI1)
    expect_answer("multi-homed: BIOS PXE on the second network", pxe(0), "pxelinux.0",
                  iface=IF2, server=SRV2)

if PHASE == "full":
    expect_answer("x86-64 UEFI (arch 9)", pxe(9), "snponly.efi")
    expect_answer("iPXE (option 175 only)",
                  pxe(7, extra=[(175, b"\x13\x01\x01\x11\x01\x01")]),
                  "http://192.0.2.1/boot.ipxe")
    expect_answer("no option 93, PXEClient:Arch:00007", pxe(None, "PXEClient:Arch:00007:UNDI:003016"),
                  "snponly.efi")
    expect_answer("BINL request to port 4011 from port 4011 (UEFI)", pxe(7), "snponly.efi",
                  msgtype="request", dport=4011, src=CLI1, dst=SRV1, dmac=SMAC1, sport=4011,
                  ciaddr=CLI1)
    expect_answer("DHCPREQUEST on 67 naming us (option 54)",
                  pxe(0, extra=[("server_id", SRV1)]), "pxelinux.0", msgtype="request",
                  dport=67)
    expect_silence("wrong vendor class (MSFT 5.0)", pxe(0, "MSFT 5.0"))
    expect_silence("no vendor class", [(93, b"\x00\x00"), (97, UUID)])
    expect_silence("no option 93, no architecture in PXEClient", pxe(None, "PXEClient"))
    expect_silence("unknown architecture 12", pxe(12))
    expect_silence("IA32 UEFI (6), no iPXE for it", pxe(6))
    expect_answer("ARM64 UEFI (arch 11)", pxe(11, "PXEClient:Arch:00011:UNDI:003000"),
                  "ipxe-arm64.efi")
    expect_answer("x86-64 UEFI HTTP Boot (HTTPClient, arch 16)",
                  pxe(16, "HTTPClient:Arch:00016:UNDI:003001"),
                  "http://192.0.2.1/boot/ipxe-x64.efi", http=True)
    expect_silence("IA32 UEFI HTTP Boot (arch 15), no iPXE for it",
                   pxe(15, "HTTPClient:Arch:00015:UNDI:003001"))
    expect_silence("DHCPREQUEST on 67 for another server", pxe(0, extra=[("server_id", "192.0.2.2")]),
                   msgtype="request")
    expect_silence("DHCPDISCOVER to port 4011", pxe(7), dport=4011, src=CLI1, dst=SRV1,
                   dmac=SMAC1)
    expect_silence("DHCPINFORM on 67", pxe(0), msgtype="inform")
    expect_answer("iPXE on ARM64 (arch 11, user class)",
                  pxe(11, "PXEClient:Arch:00011:UNDI:003010", extra=[(77, b"iPXE")]),
                  "http://192.0.2.1/boot.ipxe")
    expect_answer("ARM64 UEFI HTTP Boot (HTTPClient, arch 19)",
                  pxe(19, "HTTPClient:Arch:00019:UNDI:003001"),
                  "http://192.0.2.1/boot/ipxe-arm64.efi", http=True)
    garbage()
    # Still serving after all that.
    expect_answer("BIOS PXE after the malformed packets", pxe(0), "pxelinux.0")

if PHASE == "interfaces":
    expect_silence("interfaces = second only: nothing on the first", pxe(0))
    expect_answer("interfaces = second only: answered on the second", pxe(0), "pxelinux.0",
                  iface=IF2, server=SRV2)
    expect_silence("arm64_boot empty: ARM64 UEFI not served", pxe(11), iface=IF2)

if PHASE == "subnets":
    expect_answer("subnets = 192.0.2.0/24: answered on the first", pxe(0), "pxelinux.0")
    expect_silence("subnets = 192.0.2.0/24: nothing on the second", pxe(0), iface=IF2)

for s in sniffers:
    s.stop()
print("# scapy phase %s: %d failed" % (PHASE, fails), flush=True)
sys.exit(min(fails, 100))
