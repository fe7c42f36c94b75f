/*
 * ratelimit.c -- per-worker cache of API key rows and quota leases.
 *
 * The hourly quota of a key lives in api_rate_windows, shared by every
 * worker and every apid instance.  A worker does not write that row on
 * each request: it leases a few tokens at a time (apid_key_lease(), one
 * statement that also re-reads the key row) and spends them locally.
 * Leases never exceed what is left, so the quota is never overrun; they
 * shrink to one token as the quota runs out, so nobody is refused while
 * tokens are stranded in another worker except in the last few percent.
 * Key rows are re-read at least every APID_KEY_TTL_MS, or every
 * APID_KEY_TTL_LONG_MS while listen.c hears every change of api_keys.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/xmalloc.h"

#include "apid/apid.h"

#define RL_LEASE_MAX	256
#define RL_PROBE	8

int64_t
rl_window(int64_t now_s)
{
	int64_t	w = now_s - now_s % RL_WINDOW_S;

	if (now_s < 0 && now_s % RL_WINDOW_S != 0)
		w -= RL_WINDOW_S;
	return w;
}

int
rl_want(int limit, int used_db)
{
	int	left = limit - used_db, want;

	if (left <= 0)
		return 1;
	want = left / 16;
	if (want < 1)
		want = 1;
	if (want > RL_LEASE_MAX)
		want = RL_LEASE_MAX;
	return want;
}

int
rl_remaining(const struct apid_key *k)
{
	int	r = k->limit - k->used_db + k->lease;

	return r < 0 ? 0 : r;
}

long
rl_retry_after(const struct apid_key *k, int64_t now_s)
{
	int64_t	r = k->window + RL_WINDOW_S - now_s;

	return r < 1 ? 1 : (long)r;
}

void
keycache_init(struct apid_keycache *c, size_t nslot)
{
	size_t	n = 16;

	while (n < nslot)
		n *= 2;
	c->slot = pf_xcalloc(n, sizeof(*c->slot));
	c->nslot = n;
	c->tick = 0;
}

void
keycache_free(struct apid_keycache *c)
{
	free(c->slot);
	c->slot = NULL;
	c->nslot = 0;
}

static size_t
slot_of(const struct apid_keycache *c, const char *hash)
{
	return (size_t)pf_hash64(hash, strlen(hash)) & (c->nslot - 1);
}

struct apid_key *
keycache_find(struct apid_keycache *c, const char *hash)
{
	size_t	 s = slot_of(c, hash), i;
	struct apid_key *k;

	for (i = 0; i < RL_PROBE; i++) {
		k = &c->slot[(s + i) & (c->nslot - 1)];
		if (k->used && strcmp(k->hash, hash) == 0) {
			k->lru = ++c->tick;
			return k;
		}
	}
	return NULL;
}

struct apid_key *
keycache_put(struct apid_keycache *c, const char *hash)
{
	size_t	 s = slot_of(c, hash), i;
	struct apid_key *k, *victim = NULL;

	if ((k = keycache_find(c, hash)) != NULL)
		return k;
	for (i = 0; i < RL_PROBE; i++) {
		k = &c->slot[(s + i) & (c->nslot - 1)];
		if (!k->used) {
			victim = k;
			break;
		}
		if (victim == NULL || k->lru < victim->lru)
			victim = k;
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->hash, hash, sizeof(victim->hash) - 1);
	victim->used = true;
	victim->lru = ++c->tick;
	return victim;
}

void
keycache_flush(struct apid_keycache *c)
{
	memset(c->slot, 0, c->nslot * sizeof(*c->slot));
}

void
keycache_drop_id(struct apid_keycache *c, int64_t key_id)
{
	size_t	i;

	for (i = 0; i < c->nslot; i++)
		if (c->slot[i].used && c->slot[i].key_id == key_id)
			memset(&c->slot[i], 0, sizeof(c->slot[i]));
}

void
keycache_drop_user(struct apid_keycache *c, const char *uid)
{
	size_t	i;

	for (i = 0; i < c->nslot; i++)
		if (c->slot[i].used && strcmp(c->slot[i].user_id, uid) == 0)
			memset(&c->slot[i], 0, sizeof(c->slot[i]));
}

int
keycache_take(struct apid_key *k, int64_t now_s, int64_t mono_ms,
    int64_t ttl_ms)
{
	if (mono_ms - k->checked_ms >= ttl_ms || mono_ms < k->checked_ms)
		return 0;
	if (!k->valid)
		return 1;		/* known bad key, still fresh */
	if (k->window != rl_window(now_s) || k->lease <= 0)
		return 0;
	k->lease--;
	return 1;
}

void
keycache_lease(struct apid_key *k, int64_t mono_ms, int64_t window,
    int limit, int granted, int used)
{
	if (k->window != window)
		k->lease = 0;
	k->checked_ms = mono_ms;
	k->window = window;
	k->limit = limit;
	k->used_db = used;
	k->lease += granted;
}
