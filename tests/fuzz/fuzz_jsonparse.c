/* fuzz_jsonparse.c - libFuzzer target for the control socket's JSON parser:
 * whatever the bytes, no crash and no read past the input; every token lies
 * inside the input, siblings move forward, and every string token that the
 * tokenizer accepted can be unescaped (its escapes were validated). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/jsonparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jsonparse_tok toks[256];
	static char out[8192];
	char *copy = malloc(size ? size : 1);
	int n, i;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	n = jsonparse(copy, size, toks, 256);
	for (i = 0; i < n; i++) {
		if (toks[i].start > size || toks[i].end > size || toks[i].start > toks[i].end ||
		    toks[i].next <= (uint32_t)i || toks[i].next > (uint32_t)n)
			abort();
		if (toks[i].type == JSONPARSE_STRING) {
			int r = jsonparse_str(copy, &toks[i], out, sizeof out);
			if (r && r != -ENOBUFS && r != -EINVAL)
				abort();
		}
		if (toks[i].type == JSONPARSE_OBJECT)
			(void)jsonparse_get(copy, toks, i, "cmd");
	}
	free(copy);
	return 0;
}
