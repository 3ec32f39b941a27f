/*
 * gentree.c - makes an evidence-store-shaped tree for the scan benchmark:
 * year/month/day/case/file, 20 to 200 files per case directory (seeded, so
 * every run builds the same tree), sparse files of a few KB to a few GB.
 * The walk reads metadata only, so sparse files cost it what real footage
 * would.
 *
 *   gentree DIR FILES
 *
 * Writes DIR.complete (beside the tree, so that every tool measured sees
 * the same files) with the file count when done, so an interrupted build is
 * not mistaken for a finished one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASES_PER_DAY 9

static uint64_t gentree__state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: a fixed sequence, not a good one, is all this needs. */
static uint64_t gentree_rand(void)
{
	gentree__state ^= gentree__state >> 12;
	gentree__state ^= gentree__state << 25;
	gentree__state ^= gentree__state >> 27;
	return gentree__state * 2685821657736338717ULL;
}

static int gentree_mkdir(const char *p)
{
	if (mkdir(p, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "gentree: cannot create '%s': %s\n", p, strerror(errno));
		return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t want, made = 0, k;
	char p[4096];
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: gentree DIR FILES\n");
		return 2;
	}
	want = strtoull(argv[2], NULL, 10);
	if (gentree_mkdir(argv[1]) < 0)
		return 1;
	for (k = 0; made < want; k++) {
		uint64_t day = k / CASES_PER_DAY, n, i;
		unsigned year = 2015 + (unsigned)(day / (12 * 28));
		unsigned month = 1 + (unsigned)(day / 28 % 12), mday = 1 + (unsigned)(day % 28);

		snprintf(p, sizeof(p), "%s/%u", argv[1], year);
		if (gentree_mkdir(p) < 0)
			return 1;
		snprintf(p, sizeof(p), "%s/%u/%02u", argv[1], year, month);
		if (gentree_mkdir(p) < 0)
			return 1;
		snprintf(p, sizeof(p), "%s/%u/%02u/%02u", argv[1], year, month, mday);
		if (gentree_mkdir(p) < 0)
			return 1;
		snprintf(p, sizeof(p), "%s/%u/%02u/%02u/case%06llu", argv[1], year, month, mday,
			 (unsigned long long)k);
		if (gentree_mkdir(p) < 0)
			return 1;
		n = 20 + gentree_rand() % 181;
		if (n > want - made)
			n = want - made;
		for (i = 0; i < n; i++, made++) {
			size_t len = strlen(p);
			int fd;

			snprintf(p + len, sizeof(p) - len, "/bwv%04llu.mp4", (unsigned long long)i);
			fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0 || ftruncate(fd, (off_t)(4096 + gentree_rand() % (4ULL << 30))) < 0) {
				fprintf(stderr, "gentree: cannot create '%s': %s\n", p, strerror(errno));
				return 1;
			}
			close(fd);
			p[len] = '\0';
		}
	}
	snprintf(p, sizeof(p), "%s.complete", argv[1]);
	f = fopen(p, "w");
	if (!f || fprintf(f, "%llu\n", (unsigned long long)made) < 0 || fclose(f) != 0) {
		fprintf(stderr, "gentree: cannot write '%s'\n", p);
		return 1;
	}
	return 0;
}
