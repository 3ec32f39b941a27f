/* spool.c - the on-disk spool of unacknowledged samples (see spool.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shrinkwatch/log.h"
#include "spool.h"
#include "spool_record.h"
#include "shrinkwatch/banned.h"

static struct log_ratelimit corrupt_rl = LOG_RATELIMIT_INIT(60, 10);

int spool_fsync_parse(const char *s, enum spool_fsync *out)
{
	if (!strcmp(s, "always"))
		*out = SPOOL_FSYNC_ALWAYS;
	else if (!strcmp(s, "interval"))
		*out = SPOOL_FSYNC_INTERVAL;
	else if (!strcmp(s, "never"))
		*out = SPOOL_FSYNC_NEVER;
	else
		return -EINVAL;
	return 0;
}

static void seg_path(const struct spool *sp, uint64_t first, char *out, size_t len)
{
	snprintf(out, len, "%s/%020" PRIu64 ".seg", sp->dir, first);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/* Reads path from offset off to its end into *data (caller frees). */
int spool__read_from(const char *path, uint64_t off, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t n, got = 0;
	int fd, err = 0;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if ((uint64_t)st.st_size <= off)
		goto out;
	n = (size_t)((uint64_t)st.st_size - off);
	p = malloc(n);
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : 0;
			break;
		}
		got += (size_t)r;
	}
	if (err) {
		free(p);
		goto out;
	}
	*data = p;
	*len = got;
out:
	close(fd);
	return err;
}

/* Scans one segment file: fills seg, logs corrupt records, and returns the
 * offset just after the last good record (where a torn tail starts). */
static int scan_segment(struct spool *sp, const char *path, struct spool_segment *seg,
			uint64_t *good_end)
{
	uint8_t *data;
	size_t len, off = 0;
	int err = spool__read_from(path, 0, &data, &len);

	memset(seg, 0, sizeof *seg);
	*good_end = 0;
	if (err)
		return err;
	while (off < len) {
		struct sw_sample s;
		long used = spool_record_parse(data + off, len - off, &s);

		if (used == 0)
			break; /* torn tail */
		if (used < 0) {
			size_t skip = spool_record_resync(data + off, len - off);
			log_err("spool: '%s': corrupt record at offset %zu skipped (%zu bytes)",
				path, off, skip);
			sp->corrupt++;
			off += skip;
			continue;
		}
		if (!seg->count)
			seg->first = s.seq;
		if (s.seq > seg->last)
			seg->last = s.seq;
		seg->count++;
		off += (size_t)used;
		*good_end = off;
	}
	seg->bytes = len;
	free(data);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int seg_push(struct spool *sp, const struct spool_segment *seg)
{
	if (sp->nsegs == sp->segcap) {
		size_t cap = sp->segcap ? sp->segcap * 2 : 16;
		struct spool_segment *n = realloc(sp->segs, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		sp->segs = n;
		sp->segcap = cap;
	}
	sp->segs[sp->nsegs++] = *seg;
	return 0;
}

static void gap_save(struct spool *sp)
{
	char path[PATH_MAX + 8], tmp[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof path, "%s/gap", sp->dir);
	if (!sp->gap_seq) {
		unlink(path);
		return;
	}
	snprintf(tmp, sizeof tmp, "%s/gap.tmp", sp->dir);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%" PRIu64 "\n", sp->gap_seq);
	if (fflush(f) == 0 && fsync(fileno(f)) == 0 && fclose(f) == 0) {
		rename(tmp, path);
		return;
	}
	fclose(f);
}

static void gap_load(struct spool *sp)
{
	char path[PATH_MAX + 8];
	FILE *f;

	snprintf(path, sizeof path, "%s/gap", sp->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%" SCNu64, &sp->gap_seq) != 1)
		sp->gap_seq = 0;
	fclose(f);
}

/* Lists and scans the segments in name (= seq) order. */
static int load_segments(struct spool *sp)
{
	DIR *d = opendir(sp->dir);
	uint64_t *firsts = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int err = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		uint64_t first;
		char tail[8];

		if (sscanf(e->d_name, "%20" SCNu64 "%7s", &first, tail) != 2 ||
		    strcmp(tail, ".seg") || strlen(e->d_name) != 24)
			continue;
		if (n == cap) {
			uint64_t *g = realloc(firsts, (cap = cap ? cap * 2 : 16) * sizeof *g);
			if (!g) {
				err = -ENOMEM;
				goto out;
			}
			firsts = g;
		}
		firsts[n++] = first;
	}
	if (n)
		qsort(firsts, n, sizeof *firsts, cmp_u64);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 32];
		struct spool_segment seg;
		uint64_t good_end;

		seg_path(sp, firsts[i], path, sizeof path);
		err = scan_segment(sp, path, &seg, &good_end);
		if (err) {
			log_err("spool: cannot read '%s': %s", path, strerror(-err));
			goto out;
		}
		if (good_end < seg.bytes && i == n - 1) {
			log_warn("spool: '%s': cutting off %" PRIu64 " bytes of an incomplete last "
				 "record (the agent stopped mid-write)", path, seg.bytes - good_end);
			if (truncate(path, (off_t)good_end) == 0)
				seg.bytes = good_end;
		}
		seg.id = firsts[i];
		if (!seg.count) {
			unlink(path);
			continue;
		}
		if (sp->nsegs && seg.first <= sp->segs[sp->nsegs - 1].last) {
			log_err("spool: '%s' overlaps the segment before it; skipped", path);
			continue;
		}
		err = seg_push(sp, &seg);
		if (err)
			goto out;
		sp->total_bytes += seg.bytes;
		if (seg.last > sp->last_seq)
			sp->last_seq = seg.last;
	}
out:
	closedir(d);
	free(firsts);
	return err;
}

int spool_open(struct spool *sp, const char *dir, enum spool_fsync policy, uint64_t max_bytes,
	       unsigned nreaders)
{
	int err;

	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
	if (nreaders < 1 || nreaders > SPOOL_MAX_READERS)
		return -EINVAL;
	if (strlen(dir) >= sizeof sp->dir - 32)
		return -ENAMETOOLONG;
	snprintf(sp->dir, sizeof sp->dir, "%s", dir);
	sp->fsync_policy = policy;
	sp->max_bytes = max_bytes ? max_bytes : SPOOL_DEFAULT_MAX;
	/* about sixteen segments in a full spool, so dropping or trimming one
	 * is a small step; within [64 KiB, 8 MiB] */
	sp->segment_max = sp->max_bytes / 16;
	if (sp->segment_max < 64 * 1024)
		sp->segment_max = 64 * 1024;
	if (sp->segment_max > 8u << 20)
		sp->segment_max = 8u << 20;
	sp->nreaders = nreaders;
	pthread_mutex_init(&sp->lock, NULL);
	if (mkdir(dir, 0750) && errno != EEXIST) {
		err = -errno;
		log_err("spool: cannot create '%s': %s", dir, strerror(-err));
		goto fail;
	}
	err = load_segments(sp);
	if (err)
		goto fail;
	gap_load(sp);
	if (sp->nsegs && sp->gap_seq < sp->segs[0].first)
		sp->gap_seq = 0; /* the gap marker was delivered and trimmed */
	if (sp->nsegs) {
		char path[PATH_MAX + 32];

		seg_path(sp, sp->segs[sp->nsegs - 1].id, path, sizeof path);
		sp->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (sp->fd < 0) {
			err = -errno;
			log_err("spool: cannot open '%s': %s", path, strerror(-err));
			goto fail;
		}
	}
	return 0;
fail:
	pthread_mutex_destroy(&sp->lock);
	free(sp->segs);
	sp->segs = NULL;
	return err;
}

void spool_close(struct spool *sp)
{
	if (sp->fd >= 0) {
		if (sp->fsync_policy != SPOOL_FSYNC_NEVER)
			fdatasync(sp->fd);
		close(sp->fd);
	}
	sp->fd = -1;
	free(sp->segs);
	sp->segs = NULL;
	sp->nsegs = sp->segcap = 0;
	pthread_mutex_destroy(&sp->lock);
}

static void drop_segment(struct spool *sp, size_t i)
{
	char path[PATH_MAX + 32];

	seg_path(sp, sp->segs[i].id, path, sizeof path);
	if (unlink(path) && errno != ENOENT)
		log_warn("spool: cannot remove '%s': %s", path, strerror(errno));
	sp->total_bytes -= sp->segs[i].bytes;
	memmove(sp->segs + i, sp->segs + i + 1, (sp->nsegs - i - 1) * sizeof *sp->segs);
	sp->nsegs--;
}

/* Past the size bound: the oldest segment goes, delivered or not. */
static void enforce_bound(struct spool *sp)
{
	while (sp->total_bytes > sp->max_bytes && sp->nsegs > 1) {
		struct spool_segment old = sp->segs[0];

		drop_segment(sp, 0);
		sp->dropped += old.count;
		sp->gap_seq = sp->segs[0].first;
		log_err("spool: '%s' is over its limit of %" PRIu64 " bytes: DROPPED %u "
			"undelivered samples (seq %" PRIu64 "-%" PRIu64 "); the collector will "
			"see a gap before seq %" PRIu64,
			sp->dir, sp->max_bytes, old.count, old.first, old.last, sp->gap_seq);
		gap_save(sp);
	}
}

static int start_segment(struct spool *sp, uint64_t first)
{
	char path[PATH_MAX + 32];
	struct spool_segment seg = { .id = first, .first = first, .last = 0 };
	int fd, err;

	seg_path(sp, first, path, sizeof path);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	err = seg_push(sp, &seg);
	if (err) {
		close(fd);
		unlink(path);
		return err;
	}
	if (sp->fd >= 0) {
		if (sp->fsync_policy != SPOOL_FSYNC_NEVER)
			fdatasync(sp->fd);
		close(sp->fd);
	}
	sp->fd = fd;
	if (sp->fsync_policy != SPOOL_FSYNC_NEVER)
		sync_dir(sp->dir);
	return 0;
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

int spool_append(struct spool *sp, const struct sw_sample *s, size_t n)
{
	struct buf rec;
	struct spool_segment *seg;
	int err = 0;

	if (n == 0)
		return 0;
	buf_init(&rec, n * SPOOL_RECORD_MAX);
	for (size_t i = 0; i < n && !err; i++)
		err = spool_record_encode(&rec, &s[i]);
	if (err)
		goto out_nolock;
	pthread_mutex_lock(&sp->lock);
	if (s[0].seq <= sp->last_seq) {
		err = -EINVAL;
		goto out;
	}
	if (sp->fd < 0 || !sp->nsegs || sp->segs[sp->nsegs - 1].bytes >= sp->segment_max) {
		err = start_segment(sp, s[0].seq);
		if (err) {
			/* the caller reports it, once per outage */
			log_debug("spool: cannot start a segment in '%s': %s", sp->dir,
				  strerror(-err));
			goto out;
		}
	}
	seg = &sp->segs[sp->nsegs - 1];
	err = write_all(sp->fd, rec.data, rec.len);
	if (!err && (sp->fsync_policy == SPOOL_FSYNC_ALWAYS ||
		     (sp->fsync_policy == SPOOL_FSYNC_INTERVAL && now_ms() - sp->last_sync_ms >= 1000))) {
		if (fdatasync(sp->fd))
			err = -errno;
		sp->last_sync_ms = now_ms();
	}
	if (err) {
		/* nothing half-written stays behind a later good record */
		if (ftruncate(sp->fd, (off_t)seg->bytes))
			log_err("spool: cannot cut back a failed write in '%s': %s", sp->dir,
				strerror(errno));
		log_debug("spool: cannot append %zu samples in '%s': %s", n, sp->dir,
			  strerror(-err));
		goto out;
	}
	if (!seg->count)
		seg->first = s[0].seq;
	seg->last = s[n - 1].seq;
	seg->count += (uint32_t)n;
	seg->bytes += rec.len;
	sp->total_bytes += rec.len;
	sp->last_seq = s[n - 1].seq;
	enforce_bound(sp);
out:
	pthread_mutex_unlock(&sp->lock);
out_nolock:
	buf_release(&rec);
	return err;
}

size_t spool_read(struct spool *sp, unsigned reader, uint64_t after, struct sw_sample *out,
		  size_t max)
{
	struct spool_cursor *cur = &sp->cursor[reader];
	size_t got = 0;

	pthread_mutex_lock(&sp->lock);
	for (size_t i = 0; i < sp->nsegs && got < max; i++) {
		const struct spool_segment *seg = &sp->segs[i];
		char path[PATH_MAX + 32];
		uint8_t *data;
		size_t len, off = 0;
		uint64_t base = 0;
		int err;

		if (seg->last <= after)
			continue;
		if (cur->seg_id == seg->id && cur->seq == after && cur->off)
			base = cur->off;
		seg_path(sp, seg->id, path, sizeof path);
		err = spool__read_from(path, base, &data, &len);
		if (err) {
			log_ratelimited(&corrupt_rl, LOG_ERR, "spool: cannot read '%s': %s", path,
					strerror(-err));
			break;
		}
		while (off < len && got < max) {
			long used = spool_record_parse(data + off, len - off, &out[got]);

			if (used == 0)
				break;
			if (used < 0) {
				size_t skip = spool_record_resync(data + off, len - off);
				log_ratelimited(&corrupt_rl, LOG_ERR,
						"spool: '%s': corrupt record at offset %" PRIu64
						" skipped", path, base + off);
				off += skip;
				continue;
			}
			off += (size_t)used;
			if (out[got].seq <= after)
				continue;
			if (out[got].seq == sp->gap_seq)
				out[got].flags |= SW_SAMPLE_GAP;
			cur->seg_id = seg->id;
			cur->off = base + off;
			cur->seq = out[got].seq;
			got++;
		}
		free(data);
	}
	pthread_mutex_unlock(&sp->lock);
	return got;
}

void spool_ack(struct spool *sp, unsigned reader, uint64_t seq)
{
	uint64_t min = UINT64_MAX;

	pthread_mutex_lock(&sp->lock);
	if (seq > sp->acked[reader])
		sp->acked[reader] = seq;
	for (unsigned r = 0; r < sp->nreaders; r++)
		if (sp->acked[r] < min)
			min = sp->acked[r];
	/* the newest segment stays: it is being appended to, and it keeps the
	 * last seq across a restart */
	while (sp->nsegs > 1 && sp->segs[0].last <= min)
		drop_segment(sp, 0);
	if (sp->gap_seq && sp->gap_seq <= min) {
		sp->gap_seq = 0;
		gap_save(sp);
	}
	pthread_mutex_unlock(&sp->lock);
}

uint64_t spool_pending(struct spool *sp, unsigned reader)
{
	uint64_t n = 0, from;

	pthread_mutex_lock(&sp->lock);
	from = sp->acked[reader];
	if (sp->nsegs && sp->segs[0].first > from + 1)
		from = sp->segs[0].first - 1;
	if (sp->last_seq > from)
		n = sp->last_seq - from;
	pthread_mutex_unlock(&sp->lock);
	return n;
}

uint64_t spool_last_seq(struct spool *sp)
{
	uint64_t v;

	pthread_mutex_lock(&sp->lock);
	v = sp->last_seq;
	pthread_mutex_unlock(&sp->lock);
	return v;
}
