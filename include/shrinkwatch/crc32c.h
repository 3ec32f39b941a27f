/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of the agent's spool records.
 *
 * CRC-32C rather than zlib's CRC-32 because it detects more of the short
 * bursts a torn write leaves, and because it needs no extra library: a table
 * built once is enough at the spool's rates (a few records per interval).
 */
#ifndef SHRINKWATCH_CRC32C_H
#define SHRINKWATCH_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 to start) over n bytes at p; thread-safe. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
