/* csv.c - CSV fields from hostile text (see csv.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "shrinkwatch/csv.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/banned.h"

int csv_put_field(struct buf *b, const char *s)
{
	int err = buf_put_u8(b, '"');

	if (!err && s[0] && strchr("=+-@\t\r", s[0]))
		err = buf_put_u8(b, '\'');
	while (!err && *s) {
		size_t n = json_utf8_char(s);

		if (!n) {
			err = buf_append(b, "\xef\xbf\xbd", 3);
			s++;
		} else if (*s == '"') {
			err = buf_append(b, "\"\"", 2);
			s++;
		} else {
			err = buf_append(b, s, n);
			s += n;
		}
	}
	return err ? err : buf_put_u8(b, '"');
}

int csv_put_i64(struct buf *b, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);

	return buf_append(b, tmp, (size_t)n);
}
