/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

#include "iso9660.h"

/*
 * The CPU architectures of UEFI boot loaders. UEFI firmware booting a removable medium (a CD, or
 * an ISO that iPXE hands it) runs only \EFI\BOOT\BOOT<ARCH>.EFI of its own architecture (UEFI
 * specification 3.5.1.1), so an ISO boots on the architectures whose file is there and is a
 * PE/COFF image for that machine.
 */
enum {
	ISO_EFI_ARCH_IA32 = 1u << 0,	    /* BOOTIA32.EFI, PE machine 0x014c */
	ISO_EFI_ARCH_X64 = 1u << 1,	    /* BOOTX64.EFI, 0x8664 */
	ISO_EFI_ARCH_ARM = 1u << 2,	    /* BOOTARM.EFI, 0x01c2 (Thumb) */
	ISO_EFI_ARCH_ARM64 = 1u << 3,	    /* BOOTAA64.EFI, 0xaa64 */
	ISO_EFI_ARCH_RISCV64 = 1u << 4,	    /* BOOTRISCV64.EFI, 0x5064 */
	ISO_EFI_ARCH_LOONGARCH64 = 1u << 5, /* BOOTLOONGARCH64.EFI, 0x6264 */
	/* An architecture this version has no name for: a catalog written by a later one. */
	ISO_EFI_ARCH_OTHER = 1u << 30,
};
#define ISO_EFI_ARCH_KNOWN 0x3fu

/* "ia32", "x64", "arm", "arm64", "riscv64", "loongarch64" for one bit, else NULL. */
const char *iso_efi_arch_to_string(unsigned bit);

/* The bit of one of those names, or -EINVAL. */
int iso_efi_arch_from_string(const char *s);

/* The bit of iPXE's ${buildarch} ("i386", "x86_64", "arm32", "arm64", "riscv64", "loong64"),
 * or 0 for another or a BIOS build. */
unsigned iso_efi_arch_from_ipxe(const char *buildarch);

/* The bit of a PE/COFF machine type, or 0 for another. */
unsigned iso_efi_arch_from_machine(uint16_t machine);

/*
 * Reads the FAT12, FAT16 or FAT32 file system (an EFI system partition image) whose boot sector
 * is at byte offset of src, or, when that sector is an MBR, of its first FAT or EFI partition.
 * Its size is its own (an El Torito entry's sector count is often wrong), but never past the
 * end of src. *arches gets the ISO_EFI_ARCH_* bits of the valid boot loaders in \EFI\BOOT\
 * (names in any case, 8.3 or long). Returns 0 when there is at least one, else -ENOENT (none),
 * -EMEDIUMTYPE (not FAT), -EBADMSG (corrupt or truncated) or an I/O error, and *problem says why.
 */
int iso_efi_fat_arches(const struct iso_source *src, uint64_t offset, unsigned *arches,
		       const char **problem);

/* The same for /EFI/BOOT/ in the ISO 9660 tree (case ignored). */
int iso_efi_tree_arches(const struct iso_volume *v, unsigned *arches, const char **problem);

/*
 * The architectures an ISO boots on with UEFI: the union over its UEFI El Torito entries
 * (info from iso_inspect()); when none yields a boot loader (no entry, or a missing or broken
 * image, as in some hybrid images), those in its ISO 9660 tree. 0, or as iso_efi_fat_arches()
 * with *arches 0: unknown.
 */
int iso_efi_arches(const struct iso_source *src, const struct iso_info *info, unsigned *arches,
		   const char **problem);

/*
 * Whether the PE/COFF image of size bytes, whose first head_len bytes are head, carries an
 * Authenticode signature (a certificate table, data directory 4, inside the file): 1 signed, 0
 * not, -EBADMSG when head is no PE image or its header is not within head. Who signed it is not
 * looked at: the firmware judges that. An unsigned loader never starts with Secure Boot on.
 */
int iso_efi_pe_signed(const uint8_t *head, size_t head_len, uint64_t size);
