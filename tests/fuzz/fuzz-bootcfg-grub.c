/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the GRUB configuration parser (source, configfile, submenus); see
 * fuzz-bootcfg.h. */
#define TOP "boot/grub/grub.cfg"
#define FUZZ_DIR "boot/grub"
#define FUZZ_PARSE bootcfg_grub

#include "fuzz-bootcfg.h"
