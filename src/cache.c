/*-------------------------------------------------------------------------
 *
 * cache.c
 *		Shared-memory result cache.  (Stub: the cache issue fills this in.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cognomega.h"
#include "cache.h"
#include "utils/timestamp.h"

void
cache_shmem_request(void)
{
}

void
cache_shmem_startup(void)
{
}

bool
cache_usable(void)
{
	return false;
}

TimestampTz
cache_fence(void)
{
	return GetCurrentTimestamp();
}

Jsonb *
cache_lookup(const char *key)
{
	return NULL;
}

bool
cache_store(const char *key, Jsonb *value, int64 ttl_ms,
			const Oid *deps, int ndeps, TimestampTz fence)
{
	return false;
}

int64
cache_sweep_expired(void)
{
	return 0;
}
