#!/usr/bin/python3
"""pe-stub.py OUT signed|unsigned: an 8 KiB PE32+ image for x86-64, with a certificate table
(data directory 4, one WIN_CERTIFICATE inside the file) or none: what isoboot-scan and
isoboot-menu read of a UEFI boot loader. Nothing in it runs."""
import struct
import sys

out, kind = sys.argv[1], sys.argv[2]
b = bytearray(8192)
b[0:2] = b"MZ"
struct.pack_into("<I", b, 0x3C, 0x80)
b[0x80:0x84] = b"PE\0\0"
struct.pack_into("<HH", b, 0x84, 0x8664, 0)
struct.pack_into("<H", b, 0x80 + 20, 112 + 16 * 8)
opt = 0x80 + 24
struct.pack_into("<H", b, opt, 0x20B)
struct.pack_into("<I", b, opt + 108, 16)
if kind == "signed":
    struct.pack_into("<II", b, opt + 112 + 32, 4096, 4096)
    struct.pack_into("<IHH", b, 4096, 4096, 0x200, 2)
with open(out, "wb") as f:
    f.write(b)
