/*-------------------------------------------------------------------------
 *
 * cache.c
 *		Shared-memory result cache: bounded memory, TTL, CLOCK eviction,
 *		commit-time invalidation (through invalidate.c) and statistics.
 *
 * Design
 * ------
 * One region of cognomega.cache_size bytes is carved at server start into
 * a fixed array of entry headers, hash buckets split over CACHE_NPARTS
 * partitions, and a pool of CACHE_CHUNK-byte chunks that hold each entry's
 * bytes as a linked list: [key][dependencies][value].  Values are of any
 * size up to cognomega.cache_max_entry_size (and a quarter of the pool).
 *
 * A key is (kind, database, GetUserId(), text): SET ROLE changes the key,
 * and the three kinds keep the spaces of cache_get/cache_put ('U'), of the C
 * API the query functions use ('C') and of cached_query ('Q') apart, so a
 * cache_put can never plant a result another function would serve.
 *
 * Each entry records its fence (see invalidate.c), its expiry and its
 * dependencies as (relation OID, generation slot) pairs; the slots always
 * include the database's epoch slot when there are dependencies (and, for
 * an entry over keys of a relation, the keys' slots: invalidate.c).  A lookup
 * serves an entry only when it has not expired, every slot is valid for the
 * fence, this transaction wrote none of them, and, under REPEATABLE READ,
 * the fence is no later than the transaction's start (nothing committed
 * after our snapshot can be in it).  A transaction that imported its
 * snapshot (SET TRANSACTION SNAPSHOT) has no fence: its snapshot may be
 * older than its start, so it neither stores nor is served entries with
 * dependencies.  SERIALIZABLE transactions are not
 * served entries with dependencies at all: SSI has to see their reads.  Then the caller's SELECT
 * privilege on each dependency is checked, so a REVOKE is never answered
 * from the cache.  Relations with row-level security, temporary relations
 * and catalogs are never dependencies of a stored entry: such values are
 * not stored at all.
 *
 * Eviction is CLOCK over the entry array: a hit sets the entry's usage
 * count with an atomic store under the shared partition lock; the store path
 * sweeps the hand, decrementing usage and evicting entries that reach zero
 * (expired or stale entries first come what may).
 *
 * Locking contract
 * ----------------
 * - Partition i's LWLock (tranche "cognomega_cache") protects its bucket
 *   chains and the LIVE state and fields of the entries linked into them.
 *   Lookups take it shared; insert, remove and eviction take it exclusive.
 *   Only one partition lock is held at a time.
 * - free_lock (the tranche's last LWLock) protects the free lists of
 *   entries and chunks.  It may be taken while holding a partition lock,
 *   never the other way round.  Not a spinlock: taking a large value's
 *   chunks walks its list (a 1MB value is 4096 links), too long to spin on.
 *   Lookups never take it.
 * - An entry taken from the free list is FILLING: owned by the storing
 *   backend, reachable from no bucket, until it is linked in LIVE under its
 *   partition lock.  Its bytes never change while it is LIVE.
 * - Statistics are pg_atomic counters per partition (no shared hot line);
 *   entry usage counts are pg_atomic too.
 * - Each role's share (cognomega.cache_role_quota) is a pg_atomic account:
 *   a store reserves its entry and chunks there before taking space, and
 *   evicts the role's own entries (partition lock, as any eviction) while
 *   the account is over quota; removal gives them back.  No lock of its
 *   own; lookups never touch it.
 * - No ereport while holding a lock except palloc failure, which error
 *   recovery (LWLockReleaseAll) cleans up.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/catalog.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "replication/walsender.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/bytea.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "cache.h"
#include "invalidate.h"
#include "replica.h"

/* settings (cache_init) */
static int	cognomega_cache_size_kb = 64 * 1024;
static int	cognomega_cache_default_ttl_ms = 5 * 60 * 1000;
static int	cognomega_cache_max_entry_size = 1024 * 1024;
static bool cognomega_cache_enabled = true;
static int	cognomega_cache_role_quota = 50;

#define CACHE_NPARTS		64
#define CACHE_CHUNK			256
#define CACHE_TRANCHE		"cognomega_cache"
#define CACHE_MAX_USAGE		5
#define CACHE_MAX_DEPS		1000
#define CACHE_NSHARES		1024	/* roles with an account of their own */

typedef enum CacheState
{
	CACHE_FREE = 0,
	CACHE_FILLING,
	CACHE_LIVE
} CacheState;

typedef struct CacheEntry
{
	uint64		hash;
	int32		next;			/* bucket chain or free list */
	int32		first_chunk;
	uint32		keylen;
	uint32		vallen;
	uint32		nchunks;
	uint16		ndeps;
	uint8		state;			/* CacheState */
	uint8		part;
	uint16		share;			/* index of its role's CacheShare */
	Oid			role;			/* the role in its key */
	TimestampTz fence;
	TimestampTz expires;		/* 0: never */
	pg_atomic_uint32 usage;
} CacheEntry;

typedef struct CacheDep
{
	Oid			relid;
	uint32		slot;
} CacheDep;

typedef struct CachePartition
{
	LWLock	   *lock;
	pg_atomic_uint64 counters[CACHE_NCOUNTERS];
	char		pad[PG_CACHE_LINE_SIZE];
} CachePartition;

/*
 * A role's share of the cache: what its entries occupy.  Claimed by CAS on
 * role (never given back until restart); a role finding every slot taken
 * shares the one its hash picks (then the accounting is shared too, only
 * stricter).  Touched by store and removal, never by a hit.
 */
typedef struct CacheShare
{
	pg_atomic_uint32 role;		/* InvalidOid: free */
	pg_atomic_uint32 entries;
	pg_atomic_uint64 chunks;
} CacheShare;

typedef struct CacheShared
{
	int32		nentries;
	int32		nchunks;
	int32		nbuckets;		/* per partition, a power of two */
	LWLock	   *free_lock;		/* one past the partition locks */
	int32		free_entry;
	int32		free_chunk;
	int32		nfree_chunks;
	pg_atomic_uint64 hand;
	pg_atomic_uint64 entries_used;
	pg_atomic_uint64 bytes_used;
	CachePartition parts[CACHE_NPARTS];
	CacheShare	shares[CACHE_NSHARES];
} CacheShared;

/* pointers into the region, the same in every backend */
static CacheShared *cache_shared = NULL;
static CacheEntry *cache_entries;
static int32 *cache_buckets;
static int32 *cache_chunk_next;
static char *cache_chunks;

/* ---- sizing and startup ---- */

static void
cache_layout(Size total, int32 *nentries, int32 *nchunks, int32 *nbuckets)
{
	Size		avail = total - MAXALIGN(sizeof(CacheShared));
	Size		per_entry = sizeof(CacheEntry) + sizeof(int32);
	Size		per_chunk = CACHE_CHUNK + sizeof(int32);
	int32		b = 1;

	*nentries = (int32) (avail / (per_entry + 2 * per_chunk));
	while (b * CACHE_NPARTS < *nentries)
		b <<= 1;
	*nbuckets = b;
	avail -= (Size) *nentries * sizeof(CacheEntry) +
		(Size) b * CACHE_NPARTS * sizeof(int32) + 4 * MAXIMUM_ALIGNOF;
	*nchunks = (int32) (avail / per_chunk);
}

static Size
cache_region_size(void)
{
	return (Size) cognomega_cache_size_kb * 1024;
}

/*
 * The cache's settings, from _PG_init.  cognomega.cache_size is fixed at
 * server start: only definable while preloading (guc.c refuses it later).
 */
void
cache_init(void)
{
	if (cognomega_is_preloaded)
		DefineCustomIntVariable("cognomega.cache_size",
								"Shared memory reserved for the result cache.",
								NULL,
								&cognomega_cache_size_kb,
								64 * 1024, 1024, INT_MAX / 2,
								PGC_POSTMASTER, GUC_UNIT_KB,
								NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.cache_default_ttl",
							"Time to live of a cache entry stored without an explicit TTL; 0 means no expiry.",
							NULL,
							&cognomega_cache_default_ttl_ms,
							5 * 60 * 1000, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.cache_max_entry_size",
							"Largest value the result cache stores; larger puts return false.",
							NULL,
							&cognomega_cache_max_entry_size,
							1024 * 1024, 64, INT_MAX / 2,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("cognomega.cache_enabled",
							 "Serve the joined query functions and cached_query through the result cache.",
							 NULL,
							 &cognomega_cache_enabled,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	/* superuser: a role must not raise its own share (ALTER ROLE ... SET) */
	DefineCustomIntVariable("cognomega.cache_role_quota",
							"Largest share of the result cache one role's entries occupy, in percent.",
							"Past it, the role's puts evict its own entries, never another role's.",
							&cognomega_cache_role_quota,
							50, 1, 100,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}

void
cache_shmem_request(void)
{
	RequestAddinShmemSpace(cache_region_size());
	RequestNamedLWLockTranche(CACHE_TRANCHE, CACHE_NPARTS + 1);
}

static void
cache_attach(char *base)
{
	CacheShared *s = (CacheShared *) base;
	char	   *p = base + MAXALIGN(sizeof(CacheShared));

	cache_entries = (CacheEntry *) p;
	p += MAXALIGN((Size) s->nentries * sizeof(CacheEntry));
	cache_buckets = (int32 *) p;
	p += MAXALIGN((Size) s->nbuckets * CACHE_NPARTS * sizeof(int32));
	cache_chunk_next = (int32 *) p;
	p += MAXALIGN((Size) s->nchunks * sizeof(int32));
	cache_chunks = p;
	cache_shared = s;
}

static void
cache_init_region(CacheShared *s)
{
	LWLockPadded *locks = GetNamedLWLockTranche(CACHE_TRANCHE);

	s->free_lock = &locks[CACHE_NPARTS].lock;
	pg_atomic_init_u64(&s->hand, 0);
	pg_atomic_init_u64(&s->entries_used, 0);
	pg_atomic_init_u64(&s->bytes_used, 0);
	for (int i = 0; i < CACHE_NSHARES; i++)
	{
		pg_atomic_init_u32(&s->shares[i].role, InvalidOid);
		pg_atomic_init_u32(&s->shares[i].entries, 0);
		pg_atomic_init_u64(&s->shares[i].chunks, 0);
	}
	for (int i = 0; i < CACHE_NPARTS; i++)
	{
		s->parts[i].lock = &locks[i].lock;
		for (int c = 0; c < CACHE_NCOUNTERS; c++)
			pg_atomic_init_u64(&s->parts[i].counters[c], 0);
	}
	for (int32 i = 0; i < s->nentries; i++)
	{
		memset(&cache_entries[i], 0, sizeof(CacheEntry));
		pg_atomic_init_u32(&cache_entries[i].usage, 0);
		cache_entries[i].next = (i + 1 < s->nentries) ? i + 1 : -1;
	}
	s->free_entry = 0;
	for (int32 i = 0; i < s->nbuckets * CACHE_NPARTS; i++)
		cache_buckets[i] = -1;
	for (int32 i = 0; i < s->nchunks; i++)
		cache_chunk_next[i] = (i + 1 < s->nchunks) ? i + 1 : -1;
	s->free_chunk = 0;
	s->nfree_chunks = s->nchunks;
}

void
cache_shmem_startup(void)
{
	bool		found;
	char	   *base;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	base = ShmemInitStruct("cognomega cache", cache_region_size(), &found);
	if (!found)
	{
		CacheShared *s = (CacheShared *) base;

		cache_layout(cache_region_size(), &s->nentries, &s->nchunks,
					 &s->nbuckets);
		cache_attach(base);
		cache_init_region(s);
	}
	else
		cache_attach(base);
	LWLockRelease(AddinShmemInitLock);
}

/* ---- small helpers ---- */

/* in recovery only on a standby that may serve (replica.c) */
bool
cache_attached(void)
{
	return cache_shared != NULL &&
		(!RecoveryInProgress() || replica_serving());
}

int
cache_output_settings(char *buf, size_t size)
{
	return snprintf(buf, size, "%s|%d|%d|%d|%d|%s",
					pg_get_timezone_name(session_timezone), DateStyle,
					IntervalStyle, extra_float_digits, bytea_output,
					locale_monetary);
}

bool
cache_usable(void)
{
	return cognomega_cache_enabled && cache_attached();
}

/*
 * SET TRANSACTION SNAPSHOT ran in this transaction (its local id is kept, so
 * no reset is needed at transaction end).
 */
static LocalTransactionId cache_import_lxid = InvalidLocalTransactionId;

void
cache_note_snapshot_import(void)
{
	cache_import_lxid = COGNOMEGA_MY_LXID();
}

/*
 * The transaction's snapshot was not taken by this transaction: imported
 * with SET TRANSACTION SNAPSHOT, or a walsender's USE_SNAPSHOT.  Then it may
 * be older than the transaction's start, which is no fence for it, and no
 * clock reading orders it against commits: such a transaction neither
 * stores nor is served entries with dependencies.
 */
bool
cache_snapshot_foreign(void)
{
	return (cache_import_lxid != InvalidLocalTransactionId &&
			cache_import_lxid == COGNOMEGA_MY_LXID()) ||
		(am_walsender && IsolationUsesXactSnapshot());
}

TimestampTz
cache_xact_fence(void)
{
	replica_sweep();			/* a standby's miss path: see replica.c */
	return cache_snapshot_foreign() ? 0 : GetCurrentTransactionStartTimestamp();
}

TimestampTz
cache_fence(void)
{
	if (IsolationUsesXactSnapshot())
		return cache_xact_fence();
	replica_sweep();
	/*
	 * The statement start precedes every snapshot of the statement, however
	 * the caller computes; inval_fence() publishes a reading in the shared
	 * clock, so every later commit lands above the fence even if the wall
	 * clock steps backwards (safe for callers whose snapshot follows this
	 * call: all of ours, see cache.h).
	 */
	return Min(GetCurrentStatementStartTimestamp(), inval_fence());
}

static void
cache_count(int part, CacheCounter c, uint64 n)
{
	pg_atomic_fetch_add_u64(&cache_shared->parts[part].counters[c], n);
}

static int32 *
cache_bucket(uint64 hash)
{
	int			part = (int) (hash % CACHE_NPARTS);
	uint64		b = (hash / CACHE_NPARTS) & (cache_shared->nbuckets - 1);

	return &cache_buckets[part * cache_shared->nbuckets + b];
}

static inline char *
cache_chunk(int32 c)
{
	return cache_chunks + (Size) c * CACHE_CHUNK;
}

/* copy len bytes at offset of the entry's chunk list into dst (or compare) */
static bool
cache_bytes(const CacheEntry *e, uint32 offset, char *dst, const char *cmp,
			uint32 len)
{
	int32		c = e->first_chunk;

	while (offset >= CACHE_CHUNK)
	{
		c = cache_chunk_next[c];
		offset -= CACHE_CHUNK;
	}
	while (len > 0)
	{
		uint32		n = Min(len, CACHE_CHUNK - offset);

		if (dst)
			memcpy(dst, cache_chunk(c) + offset, n);
		else if (memcmp(cmp, cache_chunk(c) + offset, n) != 0)
			return false;
		if (dst)
			dst += n;
		else
			cmp += n;
		len -= n;
		offset = 0;
		c = cache_chunk_next[c];
	}
	return true;
}

static void
cache_write_bytes(int32 *c, uint32 *offset, const char *src, uint32 len)
{
	while (len > 0)
	{
		uint32		n;

		if (*offset == CACHE_CHUNK)
		{
			*c = cache_chunk_next[*c];
			*offset = 0;
		}
		n = Min(len, CACHE_CHUNK - *offset);
		memcpy(cache_chunk(*c) + *offset, src, n);
		src += n;
		*offset += n;
		len -= n;
	}
}

/* ---- keys ---- */

typedef struct CacheKey
{
	char	   *bytes;
	uint32		len;
	uint64		hash;
	int			part;
} CacheKey;

static void
cache_make_key(CacheKey *k, char kind, const char *text, uint32 textlen)
{
	Oid			db = MyDatabaseId;
	Oid			role = GetUserId();

	k->len = 1 + 2 * sizeof(Oid) + textlen;
	k->bytes = palloc(k->len);
	k->bytes[0] = kind;
	memcpy(k->bytes + 1, &db, sizeof(Oid));
	memcpy(k->bytes + 1 + sizeof(Oid), &role, sizeof(Oid));
	memcpy(k->bytes + 1 + 2 * sizeof(Oid), text, textlen);
	k->hash = hash_bytes_extended((unsigned char *) k->bytes, k->len, 0);
	k->part = (int) (k->hash % CACHE_NPARTS);
}

static CacheEntry *
cache_find(const CacheKey *k, int32 **link)
{
	int32	   *l = cache_bucket(k->hash);

	while (*l >= 0)
	{
		CacheEntry *e = &cache_entries[*l];

		if (e->hash == k->hash && e->keylen == k->len &&
			cache_bytes(e, 0, NULL, k->bytes, k->len))
		{
			if (link)
				*link = l;
			return e;
		}
		l = &e->next;
	}
	return NULL;
}

/* ---- allocation, removal, eviction ---- */

static void
cache_free_chunks(CacheEntry *e)
{
	int32		last = e->first_chunk;

	for (uint32 i = 1; i < e->nchunks; i++)
		last = cache_chunk_next[last];
	LWLockAcquire(cache_shared->free_lock, LW_EXCLUSIVE);
	cache_chunk_next[last] = cache_shared->free_chunk;
	cache_shared->free_chunk = e->first_chunk;
	cache_shared->nfree_chunks += e->nchunks;
	e->next = cache_shared->free_entry;
	cache_shared->free_entry = (int32) (e - cache_entries);
	e->state = CACHE_FREE;
	LWLockRelease(cache_shared->free_lock);
}

/* unlink a LIVE entry; caller holds its partition lock exclusively */
static void
cache_remove(CacheEntry *e, int32 *link, CacheCounter why)
{
	uint64		bytes = (uint64) e->keylen + e->vallen + e->ndeps * sizeof(CacheDep);

	*link = e->next;
	pg_atomic_fetch_sub_u64(&cache_shared->entries_used, 1);
	pg_atomic_fetch_sub_u64(&cache_shared->bytes_used, bytes);
	pg_atomic_fetch_sub_u32(&cache_shared->shares[e->share].entries, 1);
	pg_atomic_fetch_sub_u64(&cache_shared->shares[e->share].chunks, e->nchunks);
	if (why < CACHE_NCOUNTERS)
		cache_count(e->part, why, 1);
	cache_free_chunks(e);
}

/* the link pointing at e in its bucket chain (partition lock held) */
static int32 *
cache_link_of(CacheEntry *e)
{
	int32	   *l = cache_bucket(e->hash);
	int32		idx = (int32) (e - cache_entries);

	while (*l >= 0 && *l != idx)
		l = &cache_entries[*l].next;
	return *l == idx ? l : NULL;
}

static bool
cache_take(uint32 nchunks, int32 *entry, int32 *first)
{
	bool		ok = false;

	LWLockAcquire(cache_shared->free_lock, LW_EXCLUSIVE);
	if (cache_shared->free_entry >= 0 &&
		cache_shared->nfree_chunks >= (int32) nchunks)
	{
		int32		c = cache_shared->free_chunk;

		*entry = cache_shared->free_entry;
		cache_shared->free_entry = cache_entries[*entry].next;
		cache_entries[*entry].state = CACHE_FILLING;
		*first = c;
		for (uint32 i = 1; i < nchunks; i++)
			c = cache_chunk_next[c];
		cache_shared->free_chunk = cache_chunk_next[c];
		cache_chunk_next[c] = -1;
		cache_shared->nfree_chunks -= nchunks;
		ok = true;
	}
	LWLockRelease(cache_shared->free_lock);
	return ok;
}

static bool
cache_expired(const CacheEntry *e, TimestampTz now)
{
	return e->expires != 0 && e->expires <= now;
}

/*
 * One step of the CLOCK hand; true when it freed an entry.  The first sweep
 * skips partitions whose lock is busy; later ones wait (a put must not fail
 * for space because readers were busy).
 */
static bool
cache_clock_step(TimestampTz now, bool wait)
{
	uint64		i = pg_atomic_fetch_add_u64(&cache_shared->hand, 1);
	CacheEntry *e = &cache_entries[i % cache_shared->nentries];
	int			part = e->part;
	bool		freed = false;

	if (e->state != CACHE_LIVE)
		return false;
	if (wait)
		LWLockAcquire(cache_shared->parts[part].lock, LW_EXCLUSIVE);
	else if (!LWLockConditionalAcquire(cache_shared->parts[part].lock, LW_EXCLUSIVE))
		return false;
	if (e->state == CACHE_LIVE && e->part == part)
	{
		uint32		u = pg_atomic_read_u32(&e->usage);

		if (cache_expired(e, now))
			cache_remove(e, cache_link_of(e), CACHE_EXPIRATIONS), freed = true;
		else if (u > 0)
			pg_atomic_write_u32(&e->usage, u - 1);
		else
			cache_remove(e, cache_link_of(e), CACHE_EVICTIONS), freed = true;
	}
	LWLockRelease(cache_shared->parts[part].lock);
	return freed;
}

/* an entry with nchunks chunks, evicting as needed; false if impossible */
static bool
cache_alloc(uint32 nchunks, int32 *entry, int32 *first)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		steps = (int64) cache_shared->nentries * (CACHE_MAX_USAGE + 2);
	int64		patient = steps - cache_shared->nentries;

	while (!cache_take(nchunks, entry, first))
	{
		if (steps-- <= 0)
			return false;
		cache_clock_step(now, steps < patient);
	}
	return true;
}

/* ---- the share of each role (cognomega.cache_role_quota) ---- */

/* role's account, claimed on first use */
static uint16
cache_share_of(Oid role)
{
	uint32		h = hash_uint32(role) % CACHE_NSHARES;

	for (uint32 i = 0; i < CACHE_NSHARES; i++)
	{
		CacheShare *sh = &cache_shared->shares[(h + i) % CACHE_NSHARES];
		uint32		owner = pg_atomic_read_u32(&sh->role);

		if (owner == InvalidOid)
		{
			uint32		expected = InvalidOid;

			if (pg_atomic_compare_exchange_u32(&sh->role, &expected, role))
				return (uint16) ((h + i) % CACHE_NSHARES);
			owner = expected;
		}
		if (owner == role)
			return (uint16) ((h + i) % CACHE_NSHARES);
	}
	return (uint16) h;			/* all taken: shared with others */
}

/*
 * One step of this backend's own hand over the entry array: an entry of
 * role in share loses a usage count, or goes when it has none left (or
 * has expired); with force, it goes anyway.  True when it freed one.
 */
static bool
cache_own_step(uint16 share, Oid role, TimestampTz now, bool force)
{
	static uint64 own_hand = 0;
	CacheEntry *e = &cache_entries[own_hand++ % cache_shared->nentries];
	int			part = e->part;
	bool		freed = false;

	if (e->state != CACHE_LIVE || e->share != share || e->role != role)
		return false;
	if (force)
		LWLockAcquire(cache_shared->parts[part].lock, LW_EXCLUSIVE);
	else if (!LWLockConditionalAcquire(cache_shared->parts[part].lock, LW_EXCLUSIVE))
		return false;
	if (e->state == CACHE_LIVE && e->part == part && e->share == share &&
		e->role == role)
	{
		uint32		u = pg_atomic_read_u32(&e->usage);

		if (cache_expired(e, now))
			cache_remove(e, cache_link_of(e), CACHE_EXPIRATIONS), freed = true;
		else if (u > 0 && !force)
			pg_atomic_write_u32(&e->usage, u - 1);
		else
			cache_remove(e, cache_link_of(e), CACHE_EVICTIONS), freed = true;
	}
	LWLockRelease(cache_shared->parts[part].lock);
	return freed;
}

/*
 * Count an entry of nchunks chunks against the calling role's share, first
 * evicting the role's own entries while the share would exceed
 * cognomega.cache_role_quota percent of the cache (chunks or entries).
 * The reservation is taken before the check, so concurrent puts of one
 * role cannot overshoot together.  False (nothing reserved) when the role
 * cannot make room from its own entries.
 */
static bool
cache_share_reserve(uint16 share, Oid role, uint32 nchunks)
{
	CacheShare *sh = &cache_shared->shares[share];
	uint64		max_chunks = (uint64) cache_shared->nchunks * cognomega_cache_role_quota / 100;
	uint32		max_entries = (uint32) ((uint64) cache_shared->nentries * cognomega_cache_role_quota / 100);
	int64		steps = (int64) cache_shared->nentries * 3;
	TimestampTz now = GetCurrentTimestamp();

	if (nchunks > max_chunks || max_entries == 0)
		return false;
	pg_atomic_fetch_add_u64(&sh->chunks, nchunks);
	pg_atomic_fetch_add_u32(&sh->entries, 1);
	while (pg_atomic_read_u64(&sh->chunks) > max_chunks ||
		   pg_atomic_read_u32(&sh->entries) > max_entries)
	{
		if (steps-- <= 0)
		{
			pg_atomic_fetch_sub_u64(&sh->chunks, nchunks);
			pg_atomic_fetch_sub_u32(&sh->entries, 1);
			return false;
		}
		/* a CLOCK pass over the role's entries first, then take any */
		cache_own_step(share, role, now, steps < cache_shared->nentries);
	}
	return true;
}

static void
cache_share_release(uint16 share, uint32 nchunks)
{
	pg_atomic_fetch_sub_u64(&cache_shared->shares[share].chunks, nchunks);
	pg_atomic_fetch_sub_u32(&cache_shared->shares[share].entries, 1);
}

/* ---- lookup ---- */

static void
cache_slots_of(const CacheDep *deps, int n, uint32 *slots)
{
	for (int i = 0; i < n; i++)
		slots[i] = deps[i].slot;
}

static bool
cache_entry_valid(const CacheEntry *e, const CacheDep *deps)
{
	uint32		slots[CACHE_MAX_DEPS + 1];

	cache_slots_of(deps, e->ndeps, slots);
	if (!inval_slots_valid(slots, e->ndeps, e->fence))
		return false;
	if (inval_written_by_me(slots, e->ndeps))
		return false;
	if (IsolationUsesXactSnapshot() &&
		(e->fence > GetCurrentTransactionStartTimestamp() ||
		 (e->ndeps > 0 && cache_snapshot_foreign())))
		return false;
	/* SSI must see the reads behind a dependent value: compute it */
	if (IsolationIsSerializable() && e->ndeps > 0)
		return false;
	return true;
}

static bool
cache_entry_stale(const CacheEntry *e, const CacheDep *deps)
{
	uint32		slots[CACHE_MAX_DEPS + 1];

	cache_slots_of(deps, e->ndeps, slots);
	return inval_slots_stale(slots, e->ndeps, e->fence);
}

/* drop an entry found expired or stale, if it is still the same one */
static void
cache_drop_if(const CacheKey *k, TimestampTz fence, CacheCounter why)
{
	LWLock	   *lock = cache_shared->parts[k->part].lock;
	CacheEntry *e;
	int32	   *link;

	if (!LWLockConditionalAcquire(lock, LW_EXCLUSIVE))
		return;
	e = cache_find(k, &link);
	if (e && e->fence == fence)
		cache_remove(e, link, why);
	LWLockRelease(lock);
}

/*
 * Reading a relation by name also needs USAGE on its schema.  PostgreSQL
 * checks that when a name is parsed, which a hit never does, so a role that
 * lost it (a revoked membership is no DDL on the relation) is refused here
 * with the error a plain query would give.
 */
void
cache_check_schema_usage(Oid relid)
{
	Oid			nsp = get_rel_namespace(relid);
	AclResult	r;

	if (!OidIsValid(nsp))
		return;
	r = pg_namespace_aclcheck(nsp, GetUserId(), ACL_USAGE);
	if (r != ACLCHECK_OK)
		aclcheck_error(r, OBJECT_SCHEMA, get_namespace_name(nsp));
}

/*
 * The caller must be able to read every dependency, or get the usual error.
 * Catalog changes committed since the last command (REVOKE of a role
 * membership) are taken in first, as locking the relations would.
 */
static void
cache_check_privileges(const Oid *relids, int n)
{
	if (n > 0)
		AcceptInvalidationMessages();
	for (int i = 0; i < n; i++)
	{
		bool		missing = false;
		AclResult	r = pg_class_aclcheck_ext(relids[i], GetUserId(), ACL_SELECT,
											  &missing);

		cache_check_schema_usage(relids[i]);

		if (r != ACLCHECK_OK && !missing &&
			pg_attribute_aclcheck_all(relids[i], GetUserId(), ACL_SELECT,
									  ACLMASK_ANY) != ACLCHECK_OK)
			aclcheck_error(r, get_relkind_objtype(get_rel_relkind(relids[i])),
						   get_rel_name(relids[i]));
	}
}

/*
 * Look key up.  Returns a palloc'd copy of the value or NULL.  When relids
 * is not NULL the dependencies' OIDs are returned through it (palloc'd).
 */
struct varlena *
cache_lookup_kind(char kind, const char *text, uint32 textlen,
				  Oid **relids, int *nrelids)
{
	CacheKey	k;
	CacheEntry *e;
	CacheDep	deps[CACHE_MAX_DEPS + 1];
	struct varlena *value = NULL;
	CacheCounter drop = CACHE_NCOUNTERS;
	TimestampTz fence = 0;
	int			ndeps = 0;

	cache_make_key(&k, kind, text, textlen);
	LWLockAcquire(cache_shared->parts[k.part].lock, LW_SHARED);
	e = cache_find(&k, NULL);
	if (e)
	{
		fence = e->fence;
		ndeps = e->ndeps;
		cache_bytes(e, e->keylen, (char *) deps, NULL, ndeps * sizeof(CacheDep));
		if (e->expires != 0 && cache_expired(e, GetCurrentTimestamp()))
			drop = CACHE_EXPIRATIONS;
		else if (cache_entry_valid(e, deps))
		{
			value = palloc(e->vallen);
			cache_bytes(e, e->keylen + ndeps * sizeof(CacheDep), (char *) value,
						NULL, e->vallen);
			if (pg_atomic_read_u32(&e->usage) < CACHE_MAX_USAGE)
				pg_atomic_fetch_add_u32(&e->usage, 1);
		}
		else if (cache_entry_stale(e, deps))
			drop = CACHE_INVALIDATIONS;
	}
	LWLockRelease(cache_shared->parts[k.part].lock);

	if (drop != CACHE_NCOUNTERS)
		cache_drop_if(&k, fence, drop);
	cache_count(k.part, value ? CACHE_HITS : CACHE_MISSES, 1);
	if (value && relids)
	{
		*relids = palloc(sizeof(Oid) * (ndeps + 1));
		*nrelids = 0;
		for (int i = 0; i < ndeps; i++)
			if (OidIsValid(deps[i].relid))
				(*relids)[(*nrelids)++] = deps[i].relid;
	}
	pfree(k.bytes);
	return value;
}

/* lookup plus the privilege check on the entry's dependencies */
static struct varlena *
cache_lookup_checked(char kind, const char *key)
{
	Oid		   *relids;
	int			nrelids;
	struct varlena *value;

	value = cache_lookup_kind(kind, key, strlen(key), &relids, &nrelids);
	if (value)
	{
		cache_check_privileges(relids, nrelids);
		pfree(relids);
	}
	return value;
}

text *
cache_lookup(const char *key)
{
	if (!cache_attached())
		return NULL;
	return (text *) cache_lookup_checked(CACHE_KIND_API, key);
}

Jsonb *
cache_get_internal(const char *key)
{
	cognomega_require_preload("cache_get()");
	if (!cache_attached())
		return NULL;
	return (Jsonb *) cache_lookup_checked(CACHE_KIND_USER, key);
}

/* ---- store ---- */

/* ---- Citus (docs/cache.md, "Citus") ---- */

/*
 * Set by the query functions around their store, after qry_citus_local
 * found every shard the document read on this node: then a Citus table
 * (never a shard named directly) may back the entry.
 */
bool		cache_citus_local_checked = false;

/*
 * Whether relid is a Citus table (distributed, reference or Citus local:
 * a row in pg_dist_partition) or a shard of one (named <table>_<shardid>,
 * a row in pg_dist_shard).  Writes to a Citus table run on its shards, on
 * whichever node holds them, in backends of that node: the write sets of
 * this node do not see them as writes to relid, so nothing cached over a
 * Citus table could be invalidated on time.  The cache is bypassed for
 * them, except for the query functions' documents whose shards are all on
 * this node (queries.c, qry_citus_local), whose writes the write sets see
 * as writes to the table (cache_citus_shard_of).  Without Citus in this
 * database (no pg_dist_partition) it is one
 * negative syscache lookup.  Answers are kept per backend until the next
 * relcache invalidation (Citus invalidates a table's relcache entry when
 * it distributes or undistributes it).
 */
#define CACHE_CITUS_MEMO 64
static struct
{
	Oid			relid;
	bool		citus;
	Oid			logical;		/* the table relid is a shard of, or Invalid */
}			cache_citus_memo[CACHE_CITUS_MEMO];
static int	cache_citus_nmemo = 0;
static bool cache_citus_callback = false;

static void
cache_citus_forget(Datum arg, Oid relid)
{
	cache_citus_nmemo = 0;
}

/*
 * The first row whose column attnum equals value (by proc) in
 * pg_catalog.catname; its first column (an oid) in *first.
 */
static bool
cache_catalog_has(const char *catname, AttrNumber attnum, RegProcedure proc,
				  Datum value, Oid *first)
{
	Oid			catalog = get_relname_relid(catname, PG_CATALOG_NAMESPACE);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found;

	if (!OidIsValid(catalog))
		return false;
	rel = table_open(catalog, AccessShareLock);
	ScanKeyInit(&key, attnum, BTEqualStrategyNumber, proc, value);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	tup = systable_getnext(scan);
	found = HeapTupleIsValid(tup);
	if (found && first != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);

		*first = isnull ? InvalidOid : DatumGetObjectId(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

static bool
cache_citus_lookup(Oid relid, Oid *logical)
{
	char	   *name;
	char	   *digits;
	int64		shardid = 0;

	*logical = InvalidOid;
	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return false;
	/* pg_dist_partition.logicalrelid (1), pg_dist_shard.shardid (2) */
	if (cache_catalog_has("pg_dist_partition", 1, F_OIDEQ, ObjectIdGetDatum(relid), NULL))
		return true;
	name = get_rel_name(relid);
	if (name == NULL || (digits = strrchr(name, '_')) == NULL || digits[1] == '\0')
		return false;
	for (char *p = digits + 1; *p; p++)
	{
		if (*p < '0' || *p > '9' || shardid > (PG_INT64_MAX - 9) / 10)
			return false;
		shardid = shardid * 10 + (*p - '0');
	}
	if (!cache_catalog_has("pg_dist_shard", 2, F_INT8EQ, Int64GetDatum(shardid), logical))
		return false;
	/* a shard's name is its table's, cut to fit, then _shardid */
	if (!OidIsValid(*logical) || get_rel_name(*logical) == NULL ||
		strncmp(name, get_rel_name(*logical), Min(digits - name, 8)) != 0)
		*logical = InvalidOid;
	return true;
}

static int
cache_citus_memo_index(Oid relid)
{
	bool		citus;
	Oid			logical;

	if (!cache_citus_callback)
	{
		CacheRegisterRelcacheCallback(cache_citus_forget, (Datum) 0);
		cache_citus_callback = true;
	}
	for (int i = 0; i < cache_citus_nmemo; i++)
		if (cache_citus_memo[i].relid == relid)
			return i;
	citus = cache_citus_lookup(relid, &logical);
	if (cache_citus_nmemo == CACHE_CITUS_MEMO)
		cache_citus_nmemo = 0;
	cache_citus_memo[cache_citus_nmemo].relid = relid;
	cache_citus_memo[cache_citus_nmemo].citus = citus;
	cache_citus_memo[cache_citus_nmemo].logical = logical;
	return cache_citus_nmemo++;
}

bool
cache_citus_relation(Oid relid)
{
	return cache_citus_memo[cache_citus_memo_index(relid)].citus;
}

/*
 * The Citus table whose shard relid is (on a node holding shards), or
 * InvalidOid: the write sets of this node map a write to a shard to its
 * table (invalidate.c), so that entries over the table on this node are
 * invalidated by the writes to its local shards.
 */
Oid
cache_citus_shard_of(Oid relid)
{
	return cache_citus_memo[cache_citus_memo_index(relid)].logical;
}

/*
 * false when rel may not back a shared entry (RLS, temporary, catalog, a
 * Citus table or shard)
 */
bool
cache_relation_storable(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	bool		ok;

	if (!HeapTupleIsValid(tup))
		return false;
	form = (Form_pg_class) GETSTRUCT(tup);
	ok = !form->relrowsecurity &&
		form->relpersistence != RELPERSISTENCE_TEMP &&
		form->relkind != RELKIND_FOREIGN_TABLE &&
		form->relkind != RELKIND_SEQUENCE &&
		!IsCatalogRelationOid(relid);
	ReleaseSysCache(tup);
	return ok && (!cache_citus_relation(relid) ||
				  (cache_citus_local_checked && !OidIsValid(cache_citus_shard_of(relid))));
}

/* add (relid, slot) unless the slot is there already */
static int
cache_add_dep(CacheDep *deps, int nd, Oid relid, uint32 slot)
{
	for (int j = 0; j < nd; j++)
		if (deps[j].slot == slot && (deps[j].relid == relid || !OidIsValid(relid)))
			return nd;
	deps[nd].relid = relid;
	deps[nd].slot = slot;
	return nd + 1;
}

/*
 * The inheritance children of a (non-partitioned) parent: a write to one
 * changes what the parent returns, and a plain child is not mapped to the
 * parent's slot the way a partition is.  NIL when there are none.
 */
static List *
cache_inheritors(Oid relid)
{
	if (get_rel_relkind(relid) != RELKIND_RELATION || !has_subclass(relid))
		return NIL;
	return list_delete_first(find_all_inheritors(relid, NoLock, NULL));
}

/*
 * Whether relid's entry may depend on its keys[] rather than the whole
 * relation: there is at least one key on it, its key trigger reports every
 * one (then their KEY and UNKEYED slots go to *slots), and it has no plain
 * inheritance children (whose writes it would not see).
 */
static bool
cache_keyed_relation(Oid relid, const CacheKeyDep *keys, int nkeys,
					 uint32 *slots, int *nslots)
{
	*nslots = 0;
	if (nkeys == 0 || (get_rel_relkind(relid) == RELKIND_RELATION &&
					   has_subclass(relid)))
		return false;
	for (int k = 0; k < nkeys; k++)
	{
		if (keys[k].relid != relid)
			continue;
		if (!inval_key_slots(relid, keys[k].column, keys[k].value,
							 &slots[*nslots], &slots[*nslots + 1]))
			return false;
		*nslots += 2;
	}
	return *nslots > 0;
}

/*
 * Dependencies as (relid, slot) pairs: the declared relations (relid kept
 * for the privilege check on a hit), the slots of their inheritance
 * children (relid invalid: their privileges do not matter through the
 * parent) and the database epoch.  NULL when one may not back an entry.  A
 * declared view is refused: writes reach its base tables, not the view
 * (cached_query passes the planner's base tables along with views, is_query).
 * A query's entry depends on the epoch even without relations: it also
 * depends on functions, operators and types, whose DDL bumps the epoch.
 * A relation with key dependencies (cache_keyed_relation) depends on their
 * KEY slots and its UNKEYED slot instead; its own slot is kept, flagged
 * INVAL_SLOT_OWN_ONLY, for the own-writes check (invalidate.c).
 */
static CacheDep *
cache_make_deps(const Oid *relids, int n, bool is_query,
				const CacheKeyDep *keys, int nkeys, int *nd)
{
	List	   *children = NIL;
	CacheDep   *deps;
	uint32	   *kslots = palloc(sizeof(uint32) * (2 * nkeys + 1));

	*nd = 0;
	for (int i = 0; i < n; i++)
	{
		if (!cache_relation_storable(relids[i]) ||
			(!is_query && get_rel_relkind(relids[i]) == RELKIND_VIEW))
			return NULL;
		children = list_concat_unique_oid(children, cache_inheritors(relids[i]));
	}
	if (n + 2 * nkeys + list_length(children) > CACHE_MAX_DEPS)
		return NULL;
	deps = palloc(sizeof(CacheDep) * (n + 2 * nkeys + list_length(children) + 1));
	for (int i = 0; i < n; i++)
	{
		uint32		all = inval_slot_for_relation(relids[i]);
		int			nk;

		/*
		 * Keyed: the relation's slot is listed for own writes only (it is
		 * distinct from the same slot unflagged, so a child or the epoch
		 * hashed there is still added below and checked).
		 */
		if (cache_keyed_relation(relids[i], keys, nkeys, kslots, &nk))
		{
			*nd = cache_add_dep(deps, *nd, relids[i], all | INVAL_SLOT_OWN_ONLY);
			for (int j = 0; j < nk; j++)
				*nd = cache_add_dep(deps, *nd, InvalidOid, kslots[j]);
		}
		else
			*nd = cache_add_dep(deps, *nd, relids[i], all);
	}
	for (int i = 0; i < list_length(children); i++)
	{
		Oid			child = list_nth_oid(children, i);

		if (!cache_relation_storable(child))
			return NULL;
		*nd = cache_add_dep(deps, *nd, InvalidOid, inval_slot_for_relation(child));
	}
	if (*nd > 0 || is_query)
		*nd = cache_add_dep(deps, *nd, InvalidOid, inval_db_epoch_slot());
	return deps;
}

static bool
cache_deps_ok(const CacheDep *deps, int nd, TimestampTz fence)
{
	uint32		slots[CACHE_MAX_DEPS + 1];

	cache_slots_of(deps, nd, slots);
	return inval_slots_valid(slots, nd, fence) &&
		!inval_written_by_me(slots, nd);
}

static void
cache_fill(CacheEntry *e, int32 first, const CacheKey *k, const CacheDep *deps,
		   int nd, const struct varlena *value)
{
	int32		c = first;
	uint32		off = 0;

	cache_write_bytes(&c, &off, k->bytes, k->len);
	cache_write_bytes(&c, &off, (const char *) deps, nd * sizeof(CacheDep));
	cache_write_bytes(&c, &off, (const char *) value, VARSIZE(value));
}

static void
cache_link_in(CacheEntry *e, const CacheKey *k)
{
	LWLock	   *lock = cache_shared->parts[k->part].lock;
	CacheEntry *old;
	int32	   *link;
	int32	   *head = cache_bucket(k->hash);

	LWLockAcquire(lock, LW_EXCLUSIVE);
	old = cache_find(k, &link);
	if (old)
		cache_remove(old, link, CACHE_NCOUNTERS);
	e->next = *head;
	e->state = CACHE_LIVE;
	*head = (int32) (e - cache_entries);
	LWLockRelease(lock);
	pg_atomic_fetch_add_u64(&cache_shared->entries_used, 1);
	pg_atomic_fetch_add_u64(&cache_shared->bytes_used,
							(uint64) e->keylen + e->vallen + e->ndeps * sizeof(CacheDep));
	cache_count(k->part, CACHE_STORES, 1);
}

/* the header of a FILLING entry */
static void
cache_init_entry(CacheEntry *e, const CacheKey *k, int32 first,
				 uint32 nchunks, int nd, uint32 vallen, TimestampTz fence,
				 int64 ttl_ms, uint16 share)
{
	e->hash = k->hash;
	e->first_chunk = first;
	e->nchunks = nchunks;
	e->keylen = k->len;
	e->vallen = vallen;
	e->ndeps = nd;
	e->part = k->part;
	e->share = share;
	e->role = GetUserId();
	e->fence = fence;
	ttl_ms = cache_ttl_ms(ttl_ms);
	e->expires = 0;
	if (ttl_ms > 0 &&
		(pg_mul_s64_overflow(ttl_ms, 1000, &e->expires) ||
		 pg_add_s64_overflow(e->expires, GetCurrentTimestamp(), &e->expires)))
		e->expires = PG_INT64_MAX;	/* later than any now */
	pg_atomic_write_u32(&e->usage, 1);
}

int64
cache_ttl_ms(int64 ttl_ms)
{
	return ttl_ms < 0 ? (int64) cognomega_cache_default_ttl_ms : ttl_ms;
}

bool
cache_store_kind(char kind, const char *text, uint32 textlen,
				 const struct varlena *value,
				 int64 ttl_ms, const Oid *relids, int nrelids,
				 TimestampTz fence)
{
	return cache_store_kind_keys(kind, text, textlen, value, ttl_ms, relids,
								 nrelids, NULL, 0, fence);
}

bool
cache_store_kind_keys(char kind, const char *text, uint32 textlen,
					  const struct varlena *value, int64 ttl_ms, const Oid *relids,
					  int nrelids, const CacheKeyDep *keys, int nkeys,
					  TimestampTz fence)
{
	CacheKey	k;
	CacheDep   *deps;
	int			nd;
	uint64		total;
	uint32		nchunks;
	int32		idx,
				first;
	CacheEntry *e;
	uint16		share;

	if (VARSIZE(value) > (Size) cognomega_cache_max_entry_size ||
		nrelids + 2 * nkeys > CACHE_MAX_DEPS)
		return false;
	deps = cache_make_deps(relids, nrelids, kind == CACHE_KIND_QUERY, keys,
						   nkeys, &nd);
	if (deps == NULL || !cache_deps_ok(deps, nd, fence))
		return false;

	cache_make_key(&k, kind, text, textlen);
	total = (uint64) k.len + nd * sizeof(CacheDep) + VARSIZE(value);
	nchunks = (uint32) ((total + CACHE_CHUNK - 1) / CACHE_CHUNK);
	if (nchunks > (uint32) cache_shared->nchunks / 4)
		return false;
	share = cache_share_of(GetUserId());
	if (!cache_share_reserve(share, GetUserId(), nchunks))
		return false;
	if (!cache_alloc(nchunks, &idx, &first))
	{
		cache_share_release(share, nchunks);
		return false;
	}

	e = &cache_entries[idx];
	cache_init_entry(e, &k, first, nchunks, nd, VARSIZE(value), fence, ttl_ms,
					 share);
	cache_fill(e, first, &k, deps, nd, value);
	cache_link_in(e, &k);
	return true;
}

bool
cache_store(const char *key, const text *value, int64 ttl_ms,
			const Oid *deps, int ndeps, TimestampTz fence)
{
	if (!cache_attached())
		return false;
	return cache_store_kind(CACHE_KIND_API, key, strlen(key), value, ttl_ms,
							deps, ndeps, fence);
}

bool
cache_store_keys(const char *key, const text *value, int64 ttl_ms,
				 const Oid *deps, int ndeps, const CacheKeyDep *keys,
				 int nkeys, TimestampTz fence)
{
	if (!cache_attached())
		return false;
	return cache_store_kind_keys(CACHE_KIND_API, key, strlen(key), value,
								 ttl_ms, deps, ndeps, keys, nkeys, fence);
}

/* ---- removal by key, relation, everything; sweep ---- */

bool
cache_invalidate_key(char kind, const char *key)
{
	CacheKey	k;
	CacheEntry *e;
	int32	   *link;

	cache_make_key(&k, kind, key, strlen(key));
	LWLockAcquire(cache_shared->parts[k.part].lock, LW_EXCLUSIVE);
	e = cache_find(&k, &link);
	if (e)
		cache_remove(e, link, CACHE_INVALIDATIONS);
	LWLockRelease(cache_shared->parts[k.part].lock);
	pfree(k.bytes);
	return e != NULL;
}

/* does the entry have to go?  (partition lock held) */
typedef bool (*CacheDoomed) (const CacheEntry *e, const CacheDep *deps,
							 const void *arg, CacheCounter *why);

/* walk every partition, removing the entries doomed() picks; count them */
static int64
cache_scan(CacheDoomed doomed, const void *arg)
{
	int64		removed = 0;
	CacheDep	deps[CACHE_MAX_DEPS + 1];

	for (int p = 0; p < CACHE_NPARTS; p++)
	{
		LWLockAcquire(cache_shared->parts[p].lock, LW_EXCLUSIVE);
		for (int32 b = 0; b < cache_shared->nbuckets; b++)
		{
			int32	   *link = &cache_buckets[p * cache_shared->nbuckets + b];

			while (*link >= 0)
			{
				CacheEntry *e = &cache_entries[*link];
				CacheCounter why;

				cache_bytes(e, e->keylen, (char *) deps, NULL,
							e->ndeps * sizeof(CacheDep));
				if (doomed(e, deps, arg, &why))
				{
					cache_remove(e, link, why);
					removed++;
				}
				else
					link = &e->next;
			}
		}
		LWLockRelease(cache_shared->parts[p].lock);
		CHECK_FOR_INTERRUPTS();
	}
	return removed;
}

static bool
cache_doomed_by_slot(const CacheEntry *e, const CacheDep *deps,
					 const void *arg, CacheCounter *why)
{
	const uint32 *slots = (const uint32 *) arg;

	*why = CACHE_INVALIDATIONS;
	for (int i = 0; i < e->ndeps; i++)
		if (deps[i].slot == slots[0] || deps[i].slot == slots[1])
			return true;
	return false;
}

/* ALL(R) for entries on the relation, UNKEYED(R) for those on its keys */
int64
cache_invalidate_relation_internal(Oid relid)
{
	uint32		slots[2];

	inval_relation_slots(relid, &slots[0], &slots[1]);
	inval_bump_slot(slots[0]);
	inval_bump_slot(slots[1]);
	return cache_scan(cache_doomed_by_slot, slots);
}

static bool
cache_doomed_always(const CacheEntry *e, const CacheDep *deps,
					const void *arg, CacheCounter *why)
{
	*why = CACHE_INVALIDATIONS;
	return true;
}

int64
cache_clear_internal(void)
{
	inval_bump_global();
	return cache_scan(cache_doomed_always, NULL);
}

static bool
cache_doomed_expired(const CacheEntry *e, const CacheDep *deps,
					 const void *arg, CacheCounter *why)
{
	*why = CACHE_EXPIRATIONS;
	if (cache_expired(e, *(const TimestampTz *) arg))
		return true;
	*why = CACHE_INVALIDATIONS;
	return cache_entry_stale(e, deps);
}

int64
cache_sweep_expired(void)
{
	TimestampTz now = GetCurrentTimestamp();

	if (cache_shared == NULL)
		return 0;
	return cache_scan(cache_doomed_expired, &now);
}

/* ---- statistics ---- */

void
cache_read_stats(CacheStats *st)
{
	memset(st, 0, sizeof(*st));
	if (cache_shared == NULL)
		return;
	for (int p = 0; p < CACHE_NPARTS; p++)
		for (int c = 0; c < CACHE_NCOUNTERS; c++)
			st->counters[c] += pg_atomic_read_u64(&cache_shared->parts[p].counters[c]);
	st->entries = pg_atomic_read_u64(&cache_shared->entries_used);
	st->bytes_used = pg_atomic_read_u64(&cache_shared->bytes_used);
	st->bytes_total = (uint64) cache_shared->nchunks * CACHE_CHUNK;
}

/*
 * The share of each role with entries: role, entries, bytes (chunks held).
 * Returns how many were filled (at most max).
 */
int
cache_read_role_stats(CacheRoleStats *out, int max)
{
	int			n = 0;

	if (cache_shared == NULL)
		return 0;
	for (int i = 0; i < CACHE_NSHARES && n < max; i++)
	{
		CacheShare *sh = &cache_shared->shares[i];
		Oid			role = pg_atomic_read_u32(&sh->role);
		uint32		entries = pg_atomic_read_u32(&sh->entries);

		if (role == InvalidOid || entries == 0)
			continue;
		out[n].role = role;
		out[n].entries = entries;
		out[n].bytes = pg_atomic_read_u64(&sh->chunks) * CACHE_CHUNK;
		n++;
	}
	return n;
}

void
cache_reset_stats_internal(void)
{
	for (int p = 0; p < CACHE_NPARTS; p++)
		for (int c = 0; c < CACHE_NCOUNTERS; c++)
			pg_atomic_write_u64(&cache_shared->parts[p].counters[c], 0);
}
