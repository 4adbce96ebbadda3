/* SPDX-License-Identifier: MIT */
/* libFuzzer target for iSCSI text key=value parsing and CHAP value decoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chap.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_list l;
	uint8_t bin[CHAP_MAX_BINARY];

	if (text_parse(data, size, &l) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			if (strlen(l.pairs[i].key) > TEXT_KEY_MAX)
				abort();
			int n = chap_decode(l.pairs[i].value, bin, sizeof(bin));
			if (n > (int)sizeof(bin))
				abort();
		}
		text_get(&l, "InitiatorName");
		text_list_finish(&l);
	}
	return 0;
}
