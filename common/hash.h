/*
 * hash.h -- the one hash function of the tree's in-memory tables.
 *
 * FNV-1a, 64 bits: fast on short keys (cache keys, key hashes, user ids)
 * and well spread in the low bits that a power-of-two table masks.  Not
 * for anything an attacker could exploit: keys here are server-chosen or
 * already hashed.
 */
#ifndef PF_COMMON_HASH_H
#define PF_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t	pf_hash64(const void *p, size_t len);

#endif /* PF_COMMON_HASH_H */
