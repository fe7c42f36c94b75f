/*
 * cache.c -- per-worker cache of rendered GET responses.
 *
 * An entry is keyed by route, bound parameters and the UTC date (the
 * windows are relative to today) and tagged with its user.  listen.c
 * drops a user's entries as soon as PostgreSQL announces a change of
 * that user's data (channel apid_data, sent by triggers from 0004 on
 * every table apid reads), and the whole cache while that channel is
 * down, so a response is never served after the data it shows changed
 * (beyond the few milliseconds the notification takes).  A byte budget
 * with least-recently-used eviction bounds the memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/xmalloc.h"

#include "apid/apid.h"

void
cache_init(struct apid_cache *c, size_t nslot, size_t budget)
{
	size_t	n = 16;

	while (n < nslot)
		n *= 2;
	c->slot = pf_xcalloc(n, sizeof(*c->slot));
	c->nslot = n;
	c->budget = budget;
	c->bytes = 0;
	c->tick = 0;
}

static void
entry_clear(struct apid_cache *c, struct apid_centry *e)
{
	if (e->key == NULL)
		return;
	c->bytes -= e->keylen + e->len;
	free(e->key);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

void
cache_flush(struct apid_cache *c)
{
	size_t	i;

	for (i = 0; i < c->nslot; i++)
		entry_clear(c, &c->slot[i]);
}

void
cache_free(struct apid_cache *c)
{
	cache_flush(c);
	free(c->slot);
	c->slot = NULL;
	c->nslot = 0;
}

#define PROBE	8

const struct apid_centry *
cache_get(struct apid_cache *c, const char *key, size_t keylen)
{
	uint64_t	h = pf_hash64(key, keylen);
	size_t		i;
	struct apid_centry *e;

	for (i = 0; i < PROBE; i++) {
		e = &c->slot[(h + i) & (c->nslot - 1)];
		if (e->key != NULL && e->hash == h && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0) {
			e->lru = ++c->tick;
			c->hits++;
			return e;
		}
	}
	c->misses++;
	return NULL;
}

/* Evicts the least recently used entries until extra bytes fit. */
static void
make_room(struct apid_cache *c, size_t extra)
{
	size_t	i, oldest;

	while (c->bytes + extra > c->budget && c->bytes > 0) {
		oldest = c->nslot;
		for (i = 0; i < c->nslot; i++)
			if (c->slot[i].key != NULL && (oldest == c->nslot ||
			    c->slot[i].lru < c->slot[oldest].lru))
				oldest = i;
		if (oldest == c->nslot)
			break;
		entry_clear(c, &c->slot[oldest]);
	}
}

void
cache_put(struct apid_cache *c, const char *key, size_t keylen,
    const char *uid, int ctype, const char *body, size_t len)
{
	uint64_t	h = pf_hash64(key, keylen);
	size_t		i;
	struct apid_centry *e, *victim = NULL;

	if (keylen + len > c->budget / 8)
		return;			/* one entry never takes it all */
	for (i = 0; i < PROBE; i++) {
		e = &c->slot[(h + i) & (c->nslot - 1)];
		if (e->key == NULL || (e->hash == h && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0)) {
			victim = e;
			break;
		}
		if (victim == NULL || e->lru < victim->lru)
			victim = e;
	}
	entry_clear(c, victim);
	make_room(c, keylen + len);
	victim->key = pf_xmalloc(keylen);
	memcpy(victim->key, key, keylen);
	victim->keylen = keylen;
	victim->hash = h;
	victim->body = pf_xmalloc(len + 1);
	memcpy(victim->body, body, len);
	victim->body[len] = '\0';
	victim->len = len;
	victim->ctype = ctype;
	snprintf(victim->uid, sizeof(victim->uid), "%s", uid);
	victim->lru = ++c->tick;
	c->bytes += keylen + len;
}

void
cache_drop_user(struct apid_cache *c, const char *uid)
{
	size_t	i;

	for (i = 0; i < c->nslot; i++)
		if (c->slot[i].key != NULL && strcmp(c->slot[i].uid, uid) == 0)
			entry_clear(c, &c->slot[i]);
}

size_t
minify_json(char *s, size_t len)
{
	size_t	i, o = 0;
	int	instr = 0, esc = 0;

	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (instr) {
			if (esc)
				esc = 0;
			else if (ch == '\\')
				esc = 1;
			else if (ch == '"')
				instr = 0;
		} else if (ch == '"')
			instr = 1;
		else if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r')
			continue;
		s[o++] = ch;
	}
	s[o] = '\0';
	return o;
}
