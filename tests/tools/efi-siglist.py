#!/usr/bin/env python3
"""efi-siglist.py CERTS.pem OUT.esl: the certificates of a PEM file as UEFI signature lists
(EFI_SIGNATURE_LIST, one per certificate, type EFI_CERT_X509_GUID), the format of OVMF's fw_cfg
file etc/edk2/https/cacerts and of the TlsCaCertificate variable it fills."""
import base64
import re
import struct
import sys
import uuid

EFI_CERT_X509 = uuid.UUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072").bytes_le
OWNER = uuid.UUID("6973626f-6f62-746f-2d74-657374636100").bytes_le  # any GUID: "isoboot-testca"


def main():
    pem = open(sys.argv[1], encoding="ascii").read()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)
    if not blocks:
        sys.exit("efi-siglist: no certificate in " + sys.argv[1])
    out = b""
    for b in blocks:
        der = base64.b64decode("".join(b.split()))
        size = 16 + len(der)
        out += EFI_CERT_X509 + struct.pack("<III", 28 + size, 0, size) + OWNER + der
    with open(sys.argv[2], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
