/*-------------------------------------------------------------------------
 *
 * cognomega.c
 *		The front door: _PG_init and hook chaining.  Everything else lives
 *		in one file per capability, which defines its own settings (GUCs)
 *		and shared memory from the *_init() and *_shmem_*() functions its
 *		header declares:
 *
 *		setup.c			data model, recommended indexes, index_status
 *		partman.c		partition management (partman_*.c, partman_int.h)
 *		cache.c			shared-memory result cache
 *		invalidate.c	write tracking and commit-time invalidation
 *		replica.c		the cache on hot standbys (a WAL resource manager)
 *		queries.c		joined query functions
 *		worker.c		launcher and per-database job workers
 *		stats.c			statistics history and alerts
 *		spi_util.c		the SPI and subtransaction toolkit
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
#include "invalidate.h"
#include "stats.h"
#include "sysinfo.h"
#include "worker.h"
#include "replica.h"
#include "routing.h"

PG_MODULE_MAGIC;

bool		cognomega_is_preloaded = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

void		_PG_init(void);

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

	/*
	 * Each capability defines its settings (those fixed at server start only
	 * while preloading) and, preloaded, its callbacks.
	 */
	replica_init();
	cache_init();
	invalidate_init();
	worker_init();
	jobs_init();
	stats_init();
	sysinfo_init();
	MarkGUCPrefixReserved("cognomega");

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
	routing_init();

	worker_register_launcher();
}

static void
cognomega_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	cache_shmem_request();
	invalidate_shmem_request();
	worker_shmem_request();
}

static void
cognomega_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	invalidate_shmem_startup();
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
