/* copies_conf.c - the [copy NAME] sections (see copies_conf.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "copies_conf.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

void copies_config_init(struct copies_config *c)
{
	memset(c, 0, sizeof *c);
}

const char *copies_compare_name(enum copies_compare c)
{
	switch (c) {
	case COPIES_NAMES:
		return "names";
	case COPIES_SIZES:
		return "sizes";
	case COPIES_CONTENT:
		return "content";
	}
	return "unknown";
}

const struct copies_relation *copies_config_find(const struct copies_config *c,
						 const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->rel[i].name, name))
			return &c->rel[i];
	return NULL;
}

int copies_end_parse(struct copies_end *e, const char *value, char *err, size_t errlen)
{
	const char *slash = strchr(value, '/');
	size_t al;

	if (!slash) {
		snprintf(err, errlen, "must be AGENT/STORE (an agent's name and one of its stores)");
		return -EINVAL;
	}
	al = (size_t)(slash - value);
	if (!al || al > SW_NAME_MAX || !name_valid_n(value, al) || strlen(slash + 1) > SW_NAME_MAX ||
	    !name_valid(slash + 1)) {
		snprintf(err, errlen, "must be AGENT/STORE with two valid names (letters, digits, "
				      "'.', '_', '-'), as in the agents' [store] sections");
		return -EINVAL;
	}
	memcpy(e->agent, value, al);
	e->agent[al] = '\0';
	snprintf(e->store, sizeof e->store, "%s", slash + 1);
	return 0;
}

int copies_prefix_parse(const char *value, char *out, char *err, size_t errlen)
{
	size_t len = strlen(value);
	const char *p;

	while (len && value[len - 1] == '/')
		len--;
	if (len > COPIES_PREFIX_MAX) {
		snprintf(err, errlen, "is longer than %d bytes", COPIES_PREFIX_MAX);
		return -EINVAL;
	}
	if (value[0] == '/') {
		snprintf(err, errlen, "must be relative to the store's root (no leading '/')");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)value[i];

		if (ch < 0x20 || ch == 0x7f) {
			snprintf(err, errlen, "contains a control character");
			return -EINVAL;
		}
	}
	for (p = value; len && p < value + len;) {
		const char *end = memchr(p, '/', (size_t)(value + len - p));
		size_t cl = end ? (size_t)(end - p) : (size_t)(value + len - p);

		if (!cl || (cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.')) {
			snprintf(err, errlen, "must name a directory without empty, '.' or '..' "
					      "components");
			return -EINVAL;
		}
		p += cl + 1;
	}
	memcpy(out, value, len);
	out[len] = '\0';
	return 0;
}

/* The relation of section "copy NAME", made when its first key comes. */
static struct copies_relation *relation(struct copies_config *c, const char *name, char *err,
					size_t errlen)
{
	struct copies_relation *r = (struct copies_relation *)copies_config_find(c, name);

	if (r)
		return r;
	if (!*name || strlen(name) > COPIES_NAME_MAX || !name_valid(name)) {
		snprintf(err, errlen, "a copy relation needs a name of at most %d letters, digits, "
				      "'.', '_' or '-': [copy NAME]", COPIES_NAME_MAX);
		return NULL;
	}
	if (c->n == COPIES_MAX) {
		snprintf(err, errlen, "more than %d copy relations", COPIES_MAX);
		return NULL;
	}
	r = &c->rel[c->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", name);
	r->grace = COPIES_DEFAULT_GRACE;
	r->compare = COPIES_SIZES;
	return r;
}

int copies_config_key(void *ctx, const char *section, const char *key, const char *value,
		      char *err, size_t errlen)
{
	struct copies_config *c = ctx;
	struct copies_relation *r;
	uint64_t secs;

	if (strncmp(section, "copy ", 5) && strcmp(section, "copy"))
		return 0;
	r = relation(c, section[4] ? section + 5 : "", err, errlen);
	if (!r)
		return -1;
	if (!strcmp(key, "source") || !strcmp(key, "destination")) {
		struct copies_end *e = key[0] == 's' ? &r->source : &r->destination;

		return copies_end_parse(e, value, err, errlen) ? -1 : 1;
	}
	if (!strcmp(key, "source_prefix") || !strcmp(key, "destination_prefix")) {
		struct copies_end *e = key[0] == 's' ? &r->source : &r->destination;

		return copies_prefix_parse(value, e->prefix, err, errlen) ? -1 : 1;
	}
	if (!strcmp(key, "grace")) {
		if (parse_duration(value, &secs) || secs > 366ull * 86400) {
			snprintf(err, errlen, "must be a duration up to 366d, such as 30m, 1h or 2d");
			return -1;
		}
		r->grace = (int64_t)secs;
		return 1;
	}
	if (!strcmp(key, "compare")) {
		if (!strcmp(value, "names"))
			r->compare = COPIES_NAMES;
		else if (!strcmp(value, "sizes"))
			r->compare = COPIES_SIZES;
		else if (!strcmp(value, "content"))
			r->compare = COPIES_CONTENT;
		else {
			snprintf(err, errlen, "must be names, sizes or content");
			return -1;
		}
		return 1;
	}
	snprintf(err, errlen, "unknown key (a [copy] section takes source, destination, "
			      "source_prefix, destination_prefix, grace and compare)");
	return -1;
}

int copies_config_finish(const struct copies_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct copies_relation *r = &c->rel[i];

		if (!r->source.agent[0] || !r->destination.agent[0]) {
			snprintf(err, errlen, "[copy %s]: needs both source = AGENT/STORE and "
					      "destination = AGENT/STORE", r->name);
			return -1;
		}
		if (!strcmp(r->source.agent, r->destination.agent) &&
		    !strcmp(r->source.store, r->destination.store) &&
		    !strcmp(r->source.prefix, r->destination.prefix)) {
			snprintf(err, errlen, "[copy %s]: source and destination are the same "
					      "directory; give a destination_prefix or another store",
				 r->name);
			return -1;
		}
	}
	return 0;
}
