/* state.c - the agent's persistent sequence number and scan times (state.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shrinkwatch/names.h"
#include "state.h"
#include "shrinkwatch/banned.h"

#define STATE_FILE "agent.state"

struct agent_state_store *agent_state_store(struct agent_state *st, const char *name)
{
	for (unsigned i = 0; i < st->nstores; i++)
		if (!strcmp(st->stores[i].name, name))
			return &st->stores[i];
	if (st->nstores >= AGENT_STATE_MAX_STORES)
		return NULL;
	struct agent_state_store *s = &st->stores[st->nstores++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	return s;
}

int agent_state_load(const char *state_dir, struct agent_state *st)
{
	char path[4096], line[256], name[SW_NAME_MAX + 2];
	FILE *f;
	int rc = 0, have_version = 0;

	memset(st, 0, sizeof *st);
	snprintf(path, sizeof path, "%s/%s", state_dir, STATE_FILE);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof line, f)) {
		uint64_t u;
		int64_t sec;
		long nsec;
		unsigned ver;

		if (sscanf(line, "version %u", &ver) == 1 && ver == 1) {
			have_version = 1;
		} else if (sscanf(line, "seq %" SCNu64, &u) == 1) {
			st->seq = u;
		} else if (sscanf(line, "store %65s %" SCNd64 " %ld", name, &sec, &nsec) == 3 &&
			   name_valid(name) && nsec >= 0 && nsec < 1000000000) {
			struct agent_state_store *s = agent_state_store(st, name);
			if (s) {
				s->last_start.tv_sec = (time_t)sec;
				s->last_start.tv_nsec = nsec;
			}
		} else {
			rc = -EBADMSG;
			break;
		}
	}
	if (!rc && ferror(f))
		rc = -EIO;
	fclose(f);
	if (!rc && !have_version)
		rc = -EBADMSG;
	return rc;
}

int agent_state_save(const char *state_dir, const struct agent_state *st)
{
	char path[4096], tmp[4096];
	FILE *f = NULL;
	int fd = -1, dfd = -1, rc = 0;

	snprintf(path, sizeof path, "%s/%s", state_dir, STATE_FILE);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", state_dir, STATE_FILE);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto out;
	}
	fprintf(f, "version 1\nseq %" PRIu64 "\n", st->seq);
	for (unsigned i = 0; i < st->nstores; i++)
		fprintf(f, "store %s %" PRId64 " %ld\n", st->stores[i].name,
			(int64_t)st->stores[i].last_start.tv_sec, st->stores[i].last_start.tv_nsec);
	if (fflush(f) || fsync(fileno(f)))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (rc)
		goto out;
	if (rename(tmp, path)) {
		rc = -errno;
		goto out;
	}
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
out:
	unlink(tmp);
	return rc;
}
