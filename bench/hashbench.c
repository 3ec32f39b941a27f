/*
 * hashbench.c - content hashing (agent/hashes.h) as the agent's worker does
 * it: every FILE in turn, read-only with O_NOATIME, SHA-256, under a rate cap.
 *
 *   hashbench RATE_BYTES_PER_S FILE...
 *
 * Prints "name value" lines: the bytes hashed, the seconds taken and the
 * rate reached (MB/s), to set against sha256sum on the same files and
 * against the cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "agent/hashes.h"

static double hb_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct hashes_rate r = { 0 };
	uint64_t total = 0;
	double t0, took;

	if (argc < 3 || !(r.rate = strtoull(argv[1], NULL, 10))) {
		fprintf(stderr, "usage: hashbench RATE_BYTES_PER_S FILE...\n");
		return 2;
	}
	t0 = hb_now();
	for (int i = 2; i < argc; i++) {
		uint8_t h[HASHES_LEN];
		uint64_t size;
		int64_t mtime;

		if (hashes_file(&r, argv[i], h, &size, &mtime)) {
			fprintf(stderr, "hashbench: cannot hash '%s'\n", argv[i]);
			return 1;
		}
		total += size;
	}
	took = hb_now() - t0;
	printf("hashed_bytes %llu\n", (unsigned long long)total);
	printf("hash_s %.3f\n", took);
	printf("hash_mb_s %.1f\n", (double)total / took / 1e6);
	return 0;
}
