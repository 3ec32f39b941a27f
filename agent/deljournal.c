/* deljournal.c - deletion reports on disk (see deljournal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deljournal.h"
#include "spool.h"
#include "spool_record.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

int deljournal_encode(struct buf *out, const struct sw_deletion *d)
{
	size_t start;
	int err = spool_record_begin(out, &start);

	if (err)
		return err;
	err = proto_encode_deletions(out, d, 1);
	if (err) {
		out->len = start;
		return err;
	}
	spool_record_seal(out, start);
	return 0;
}

/* Decodes the good records of data into *out; returns the offset after the
 * last good one (where a torn tail, or nothing but corrupt records, start). */
static size_t load(struct deljournal *j, const uint8_t *data, size_t len,
		   struct sw_deletion *out, size_t *n)
{
	size_t off = 0, good_end = 0;

	*n = 0;
	while (off < len) {
		struct sw_frame f;
		size_t count;
		long used = spool_record_frame(data + off, len - off, &f);

		if (used == 0)
			break;
		if (used > 0 && (f.type != SW_MSG_DELETIONS ||
				 proto_decode_deletions(&f, &out[*n], 1, &count) || count != 1))
			used = -EBADMSG;
		if (used < 0) {
			size_t skip = spool_record_resync(data + off, len - off);

			log_err("delqueue: '%s': corrupt deletion report at offset %zu skipped "
				"(%zu bytes)", j->path, off, skip);
			j->corrupt++;
			off += skip;
			continue;
		}
		(*n)++;
		off += (size_t)used;
		good_end = off;
	}
	return good_end;
}

int deljournal_open(struct deljournal *j, const char *path, struct sw_deletion **out,
		    size_t *n)
{
	uint8_t *data = NULL;
	size_t len = 0, end;
	int err;

	memset(j, 0, sizeof *j);
	j->fd = -1;
	*out = NULL;
	*n = 0;
	if (strlen(path) >= sizeof j->path - 8)
		return -ENAMETOOLONG;
	snprintf(j->path, sizeof j->path, "%s", path);
	j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (j->fd < 0) {
		err = -errno;
		log_err("delqueue: cannot open '%s': %s", path, strerror(-err));
		return err;
	}
	err = spool__read_from(path, 0, &data, &len);
	if (err) {
		log_err("delqueue: cannot read '%s': %s", path, strerror(-err));
		goto fail;
	}
	/* a record is at least a header and a frame header */
	*out = calloc(len / (SPOOL_RECORD_HEADER + SW_FRAME_HEADER) + 1, sizeof **out);
	if (!*out) {
		err = -ENOMEM;
		goto fail;
	}
	end = load(j, data, len, *out, n);
	if (end < len) {
		/* a torn last record (a crash mid-write), or corrupt ones */
		log_warn("delqueue: '%s': cutting off %zu bytes after the last good report (the "
			 "agent stopped mid-write)", path, len - end);
		if (ftruncate(j->fd, (off_t)end))
			log_warn("delqueue: cannot cut '%s': %s", path, strerror(errno));
	}
	j->records = *n;
	free(data);
	return 0;
fail:
	free(data);
	free(*out);
	*out = NULL;
	*n = 0;
	close(j->fd);
	j->fd = -1;
	return err;
}

void deljournal_close(struct deljournal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int deljournal_append(struct deljournal *j, const struct sw_deletion *d)
{
	struct buf rec;
	off_t was;
	int err;

	if (j->fd < 0)
		return -EBADF;
	buf_init(&rec, SPOOL_RECORD_MAX);
	err = deljournal_encode(&rec, d);
	if (err)
		goto out;
	was = lseek(j->fd, 0, SEEK_END);
	err = write_all(j->fd, rec.data, rec.len);
	if (!err && fdatasync(j->fd))
		err = -errno;
	if (err) {
		/* nothing half-written stays in front of a later good record */
		if (was >= 0 && ftruncate(j->fd, was))
			log_warn("delqueue: cannot cut back '%s': %s", j->path, strerror(errno));
		goto out;
	}
	j->records++;
out:
	buf_release(&rec);
	return err;
}

int deljournal_replace(struct deljournal *j, const struct buf *recs, size_t count)
{
	char tmp[PATH_MAX + 8], dir[PATH_MAX];
	char *slash;
	int fd, err = 0;

	if (j->fd < 0)
		return -EBADF;
	if (count == 0) {
		/* nothing waits: an empty file, no rename needed (a crash
		 * before the truncation only resends stored reports) */
		if (ftruncate(j->fd, 0) || fdatasync(j->fd))
			return -errno;
		j->records = 0;
		return 0;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", j->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	err = write_all(fd, recs->data, recs->len);
	if (!err && fdatasync(fd))
		err = -errno;
	if (!err && rename(tmp, j->path))
		err = -errno;
	if (err) {
		close(fd);
		unlink(tmp);
		return err;
	}
	snprintf(dir, sizeof dir, "%s", j->path);
	slash = strrchr(dir, '/');
	if (slash) {
		int dfd;

		*slash = '\0';
		dfd = open(slash == dir ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	/* the new file is the journal now; it was opened for writing only */
	close(j->fd);
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	close(fd);
	if (j->fd < 0)
		return -errno;
	j->records = count;
	return 0;
}
