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
 *			text *hit = cache_lookup(key);
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

/*
 * The session settings that change how a value prints as jsonb (TimeZone,
 * DateStyle, IntervalStyle, extra_float_digits, bytea_output, lc_monetary),
 * for a cache key: snprintf into buf, returns the length it needed.
 */
/* load time (cognomega.c): settings; shared memory when preloaded */
extern void cache_init(void);
extern void cache_shmem_request(void);
extern void cache_shmem_startup(void);

extern int	cache_output_settings(char *buf, size_t size);

/* preloaded, shared memory attached, cognomega.cache_enabled, and not in
 * recovery unless this standby may serve (replica.c) */
extern bool cache_usable(void);

/*
 * A fence to pass to cache_store; take it before computing the value.  In
 * READ COMMITTED: the statement's start, and the shared clock is raised to
 * at least it, so a value computed from a snapshot taken after this call
 * (SPI with read_only = false takes one) stays correct even if the wall
 * clock steps backwards.  Under REPEATABLE READ / SERIALIZABLE: the
 * transaction's start (the wall clock, taken before its snapshot).
 */
extern TimestampTz cache_fence(void);

/*
 * The fence of a value computed from the transaction's snapshot (cache_put):
 * the transaction's start, or 0 (nothing is stored) when the snapshot was
 * imported (SET TRANSACTION SNAPSHOT) and may be older than that start.
 */
extern TimestampTz cache_xact_fence(void);
extern bool cache_snapshot_foreign(void);
extern void cache_note_snapshot_import(void);

/*
 * Values are stored as the bytes of a varlena and returned as stored: the
 * kind of key says what they are.  cache_get/cache_put ('U') hold jsonb;
 * the C API below and cached_query hold json, i.e. text (since 0.3), so a
 * hit is sent with no parse and no re-encoding.
 */

/* a valid entry for key (palloc'd copy in CurrentMemoryContext) or NULL */
extern text *cache_lookup(const char *key);

/*
 * Store value under key, depending on deps.  ttl_ms < 0 means
 * cognomega.cache_default_ttl, 0 means no expiry.  Returns false when the
 * value is not stored (too large, a dependency changed since fence, this
 * transaction wrote a dependency, row-level security, ...).
 */
extern bool cache_store(const char *key, const text *value, int64 ttl_ms,
						const Oid *deps, int ndeps, TimestampTz fence);

/*
 * A key dependency: the value read only the rows of relid whose column
 * equals value (its text output).  cache_store_keys: relid must be one of
 * deps; the entry then survives writes to relid's other keys, as long as
 * relid's key trigger reports column (cognomega.cache_key_column), else
 * it depends on the whole relation.
 */
typedef struct CacheKeyDep
{
	Oid			relid;
	const char *column;
	const char *value;
} CacheKeyDep;

extern bool cache_store_keys(const char *key, const text *value, int64 ttl_ms,
							 const Oid *deps, int ndeps,
							 const CacheKeyDep *keys, int nkeys,
							 TimestampTz fence);

/* remove expired (and stale) entries; returns how many (cache_sweep job) */
extern int64 cache_sweep_expired(void);

/* statistics, summed over partitions (the stats job) */
typedef enum CacheCounter
{
	CACHE_HITS,
	CACHE_MISSES,
	CACHE_STORES,
	CACHE_EVICTIONS,
	CACHE_EXPIRATIONS,
	CACHE_INVALIDATIONS,
	CACHE_NCOUNTERS
} CacheCounter;

typedef struct CacheStats
{
	uint64		entries;
	uint64		bytes_used;
	uint64		bytes_total;
	uint64		counters[CACHE_NCOUNTERS];	/* indexed by CacheCounter */
} CacheStats;

/* all zero when the library is not preloaded */
extern void cache_read_stats(CacheStats *stats);

/* what one role's entries occupy (cognomega.cache_role_quota) */
typedef struct CacheRoleStats
{
	Oid			role;
	uint64		entries;
	uint64		bytes;			/* chunks held, in bytes */
} CacheRoleStats;

#define CACHE_MAX_ROLE_STATS	1024

/* fills out[] (at most max), returns how many; 0 when not preloaded */
extern int	cache_read_role_stats(CacheRoleStats *out, int max);

/*
 * Below: for the cache's own SQL functions (cache_sql.c, cache_query.c).
 * Key spaces: cache_get/cache_put, the C API above, cached_query.
 */
#define CACHE_KIND_USER		'U'	/* jsonb */
#define CACHE_KIND_API		'D'	/* json text ('C' held jsonb before 0.3) */
#define CACHE_KIND_QUERY	'R'	/* json text ('Q' held jsonb before 0.3) */

extern bool cache_attached(void);	/* preloaded; in recovery: replica_serving() */
extern int64 cache_ttl_ms(int64 ttl_ms);
extern struct varlena *cache_lookup_kind(char kind, const char *text,
										 uint32 textlen, Oid **relids,
										 int *nrelids);
extern bool cache_store_kind(char kind, const char *text, uint32 textlen,
							 const struct varlena *value, int64 ttl_ms,
							 const Oid *relids,
							 int nrelids, TimestampTz fence);
extern bool cache_store_kind_keys(char kind, const char *text, uint32 textlen,
								  const struct varlena *value, int64 ttl_ms, const Oid *relids,
								  int nrelids, const CacheKeyDep *keys,
								  int nkeys, TimestampTz fence);
extern bool cache_relation_storable(Oid relid);
extern bool cache_citus_local_checked;
extern bool cache_citus_relation(Oid relid);
extern Oid	cache_citus_shard_of(Oid relid);
extern bool cache_type_output_keyed(Oid typid);
extern void cache_check_schema_usage(Oid relid);
extern Jsonb *cache_get_internal(const char *key);
extern bool cache_invalidate_key(char kind, const char *key);
extern int64 cache_invalidate_relation_internal(Oid relid);
extern int64 cache_clear_internal(void);
extern void cache_reset_stats_internal(void);

#endif							/* COGNOMEGA_CACHE_H */
