/*-------------------------------------------------------------------------
 *
 * cognomega.h
 *		What every capability of cognomega shares: the GUC variables, the
 *		"was I preloaded?" guard, and the entry points the front door
 *		(cognomega.c) calls at load time.
 *
 * Each capability keeps its own header (cache.h, invalidate.h, partman.h,
 * queries.h, worker.h, stats.h) with its API for the others; this header
 * holds only what belongs to no single capability.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_H
#define COGNOMEGA_H

#include "postgres.h"

#include "compat.h"

/* true when loaded from shared_preload_libraries (shared memory, workers) */
extern bool cognomega_is_preloaded;

/*
 * Raise ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE with a HINT naming
 * shared_preload_libraries unless the library was preloaded.  Every SQL
 * function that needs shared memory calls this first; it is the one place
 * that error is worded.
 */
extern void cognomega_require_preload(const char *what);

/* GUCs: cache (section 4 of DESIGN.md) */
extern int	cognomega_cache_size_kb;		/* PGC_POSTMASTER */
extern int	cognomega_cache_key_slots;		/* PGC_POSTMASTER */
extern int	cognomega_cache_default_ttl_ms;	/* 0 = no expiry */
extern int	cognomega_cache_max_entry_size;	/* bytes */
extern bool cognomega_cache_enabled;
extern int	cognomega_cache_role_quota;	/* percent of the cache per role */

/* GUCs: workers and jobs (section 5) */
extern char *cognomega_databases;			/* comma-separated list */
extern char *cognomega_worker_role;			/* "" = bootstrap superuser */
extern int	cognomega_cache_sweep_interval_s;	/* 0 disables the job */
extern int	cognomega_maintenance_interval_s;	/* 0 disables the job */
extern int	cognomega_stats_interval_s;		/* 0 disables the job */
extern int	cognomega_stats_retention_min;
extern double cognomega_alert_cache_hit_ratio;
extern int	cognomega_maintenance_lock_timeout_ms;
extern int	cognomega_maintenance_parent_timeout_ms;
extern int	cognomega_debug_clock_skew_ms;	/* developer: tests of clock steps */

/* load-time entry points each capability provides (see cognomega.c) */
extern void cache_shmem_request(void);
extern void cache_shmem_startup(void);
extern void invalidate_init(void);
extern void worker_shmem_request(void);
extern void worker_shmem_startup(void);
extern void worker_register_launcher(void);

#endif							/* COGNOMEGA_H */
