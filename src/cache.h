/*-------------------------------------------------------------------------
 *
 * cache.h
 *		The result cache's API for the rest of cognomega (queries.c, worker.c,
 *		stats.c).  Keys are scoped internally by database and current role
 *		(GetUserId()), so callers pass only their own key text.
 *
 * To compute-and-store safely:
 *
 *		if (cache_usable())
 *		{
 *			Jsonb *hit = cache_lookup(key);
 *			if (hit) return hit;
 *			fence = cache_fence();		-- BEFORE the snapshot that computes
 *		}
 *		value = compute();
 *		if (cache_usable())
 *			cache_store(key, value, -1, deps, ndeps, fence);
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_CACHE_H
#define COGNOMEGA_CACHE_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

/* preloaded, shared memory attached, cognomega.cache_enabled, not in recovery */
extern bool cache_usable(void);

/* a fence to pass to cache_store; take it before computing the value */
extern TimestampTz cache_fence(void);

/* a valid entry for key (palloc'd copy in CurrentMemoryContext) or NULL */
extern Jsonb *cache_lookup(const char *key);

/*
 * Store value under key, depending on deps.  ttl_ms < 0 means
 * cognomega.cache_default_ttl, 0 means no expiry.  Returns false when the
 * value is not stored (too large, a dependency changed since fence, this
 * transaction wrote a dependency, row-level security, ...).
 */
extern bool cache_store(const char *key, Jsonb *value, int64 ttl_ms,
						const Oid *deps, int ndeps, TimestampTz fence);

/* remove expired entries; returns how many (the cache_sweep job) */
extern int64 cache_sweep_expired(void);

#endif							/* COGNOMEGA_CACHE_H */
