/* names.c - the one rule for names that become paths, URLs and labels. */
#include <string.h>

#include "shrinkwatch/names.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/banned.h"

bool name_valid_n(const char *s, size_t n)
{
	if (n == 0 || n > SW_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool name_valid(const char *s)
{
	return s && name_valid_n(s, strnlen(s, SW_NAME_MAX + 1));
}

void name_printable(const char *in, char *out, size_t outlen)
{
	size_t i = 0;

	if (outlen == 0)
		return;
	for (; in[i] && i + 1 < outlen; i++) {
		unsigned char c = (unsigned char)in[i];
		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[i] = '\0';
}

const char *store_key(struct store_key *k, const char *agent, const char *store)
{
	size_t a = strnlen(agent, SW_NAME_MAX), n = strnlen(store, SW_NAME_MAX);

	memcpy(k->s, agent, a);
	k->s[a] = '/';
	memcpy(k->s + a + 1, store, n);
	k->s[a + 1 + n] = '\0';
	return k->s;
}
