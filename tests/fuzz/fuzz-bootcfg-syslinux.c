/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the isolinux/syslinux configuration parser (INCLUDE, CONFIG, menus); see
 * fuzz-bootcfg.h. */
#define TOP "isolinux/isolinux.cfg"
#define FUZZ_DIR "isolinux"
#define FUZZ_PARSE bootcfg_syslinux

#include "fuzz-bootcfg.h"
