/*-------------------------------------------------------------------------
 *
 * cognomega.c
 *		The front door: _PG_init, GUC definitions and shared-memory hook
 *		chaining.  Everything else lives in one file per capability:
 *
 *		setup.c			data model, recommended indexes, index_status
 *		partman.c		partition management
 *		cache.c			shared-memory result cache
 *		invalidate.c	write tracking and commit-time invalidation
 *		replica.c		the cache on hot standbys (a WAL resource manager)
 *		queries.c		joined query functions
 *		worker.c		launcher and per-database job workers
 *		stats.c			statistics history and alerts
 *
 * Loading without shared_preload_libraries is supported: CREATE EXTENSION
 * works and the functions that need shared memory raise an error through
 * cognomega_require_preload().  PGC_POSTMASTER settings can only be defined
 * while preloading (guc.c refuses them later), so they are defined only then.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "executor/executor.h"
#include "tcop/utility.h"
#include "utils/guc.h"

#include "cognomega.h"
#include "cache.h"
#include "stats.h"
#include "sysinfo.h"
#include "invalidate.h"
#include "replica.h"

PG_MODULE_MAGIC;

bool		cognomega_is_preloaded = false;

int			cognomega_cache_size_kb = 64 * 1024;
int			cognomega_cache_key_slots = 65536;
int			cognomega_cache_default_ttl_ms = 5 * 60 * 1000;
int			cognomega_cache_max_entry_size = 1024 * 1024;
bool		cognomega_cache_enabled = true;
int			cognomega_cache_role_quota = 50;

char	   *cognomega_databases = NULL;
char	   *cognomega_worker_role = NULL;
int			cognomega_cache_sweep_interval_s = 10;
int			cognomega_maintenance_interval_s = 3600;
int			cognomega_stats_interval_s = 60;
int			cognomega_stats_retention_min = 30 * 24 * 60;
double		cognomega_alert_cache_hit_ratio = 0.7;
int			cognomega_maintenance_lock_timeout_ms = 5000;
int			cognomega_maintenance_parent_timeout_ms = 5 * 60 * 1000;
int			cognomega_debug_clock_skew_ms = 0;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

void		_PG_init(void);

static void cognomega_define_gucs(void);
static void cognomega_shmem_request(void);
static void cognomega_shmem_startup(void);
static void cognomega_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void cognomega_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
									 bool readOnlyTree,
									 ProcessUtilityContext context,
									 ParamListInfo params,
									 QueryEnvironment *queryEnv,
									 DestReceiver *dest, QueryCompletion *qc);

void
_PG_init(void)
{
	cognomega_is_preloaded = process_shared_preload_libraries_in_progress;

	/* before cognomega_define_gucs() reserves the prefix */
	replica_init();
	cognomega_define_gucs();
	invalidate_init();

	if (!cognomega_is_preloaded)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = cognomega_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = cognomega_shmem_startup;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = cognomega_ExecutorStart;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = cognomega_ProcessUtility;

	worker_register_launcher();
}

static void
cognomega_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	cache_shmem_request();
	worker_shmem_request();
}

static void
cognomega_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	cache_shmem_startup();
	worker_shmem_startup();
}

/* writes recorded for commit-time invalidation (invalidate.c) */
static void
cognomega_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	invalidate_executor_start(queryDesc, eflags);

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* COPY FROM, TRUNCATE, DDL and COMMIT PREPARED invalidate (invalidate.c) */
static void
cognomega_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
						 bool readOnlyTree, ProcessUtilityContext context,
						 ParamListInfo params, QueryEnvironment *queryEnv,
						 DestReceiver *dest, QueryCompletion *qc)
{
	volatile bool two_phase = invalidate_utility_begin(pstmt);
	Node	   *node = pstmt->utilityStmt;

	/* an imported snapshot may predate the transaction: see cache.c */
	if (node && IsA(node, VariableSetStmt) &&
		((VariableSetStmt *) node)->kind == VAR_SET_MULTI &&
		strcmp(((VariableSetStmt *) node)->name, "TRANSACTION SNAPSHOT") == 0)
		cache_note_snapshot_import();

	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		invalidate_utility_end(two_phase);
	}
	PG_END_TRY();
}

void
cognomega_require_preload(const char *what)
{
	if (cognomega_is_preloaded)
		return;

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s requires cognomega to be loaded via shared_preload_libraries",
					what),
			 errhint("Add cognomega to shared_preload_libraries in postgresql.conf and restart the server.")));
}

PG_FUNCTION_INFO_V1(cognomega_preloaded);

Datum
cognomega_preloaded(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(cognomega_is_preloaded);
}

static void
cognomega_define_gucs(void)
{
	/* settings fixed at server start: only definable while preloading */
	if (cognomega_is_preloaded)
	{
		DefineCustomIntVariable("cognomega.cache_size",
								"Shared memory reserved for the result cache.",
								NULL,
								&cognomega_cache_size_kb,
								64 * 1024, 1024, INT_MAX / 2,
								PGC_POSTMASTER, GUC_UNIT_KB,
								NULL, NULL, NULL);
		DefineCustomIntVariable("cognomega.cache_key_slots",
								"Generation slots relations and keys are hashed to for cache invalidation.",
								"Two keys sharing a slot only invalidate each other's entries (a miss, never a stale hit); 16 bytes of shared memory each.",
								&cognomega_cache_key_slots,
								65536, 1024, 1 << 28,
								PGC_POSTMASTER, 0,
								NULL, NULL, NULL);
	}

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

	DefineCustomStringVariable("cognomega.databases",
							   "Comma-separated list of databases in which the background jobs run.",
							   NULL,
							   &cognomega_databases,
							   "postgres",
							   PGC_SIGHUP, GUC_LIST_INPUT,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("cognomega.worker_role",
							   "Role the background jobs run as; empty means the bootstrap superuser.",
							   NULL,
							   &cognomega_worker_role,
							   "",
							   PGC_SIGHUP, 0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.cache_sweep_interval",
							"Interval of the cache_sweep job; 0 disables it.",
							NULL,
							&cognomega_cache_sweep_interval_s,
							10, 0, INT_MAX / 1000,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.maintenance_interval",
							"Interval of the partition_maintenance job; 0 disables it.",
							NULL,
							&cognomega_maintenance_interval_s,
							3600, 0, INT_MAX / 1000,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.stats_interval",
							"Interval of the stats job; 0 disables it.",
							NULL,
							&cognomega_stats_interval_s,
							60, 0, INT_MAX / 1000,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.stats_retention",
							"How long rows of cognomega.stats_history are kept.",
							NULL,
							&cognomega_stats_retention_min,
							30 * 24 * 60, 60, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MIN,
							NULL, NULL, NULL);

	DefineCustomRealVariable("cognomega.alert_cache_hit_ratio",
							 "Cache hit ratio below which the stats job raises LOW_CACHE_HIT_RATE.",
							 NULL,
							 &cognomega_alert_cache_hit_ratio,
							 0.7, 0.0, 1.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.maintenance_lock_timeout",
							"lock_timeout the partition_maintenance job uses; a parent whose locks cannot be had in time is skipped.",
							NULL,
							&cognomega_maintenance_lock_timeout_ms,
							5000, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.maintenance_parent_timeout",
							"Time limit of one parent's maintenance in the partition_maintenance job; 0 disables it.",
							"A parent that takes longer is cancelled, rolled back and retried on the next run; the other parents and jobs go on.",
							&cognomega_maintenance_parent_timeout_ms,
							5 * 60 * 1000, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.debug_clock_skew",
							"Developer option: shift the wall clock the cache's invalidation reads in this session.",
							"Lets tests simulate a system clock stepped backwards.",
							&cognomega_debug_clock_skew_ms,
							0, -INT_MAX, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);

	stats_define_gucs();
	sysinfo_define_gucs();

	MarkGUCPrefixReserved("cognomega");
}
