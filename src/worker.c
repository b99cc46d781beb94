/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The launcher, the per-database workers, and the shared job status
 *		table behind cognomega.job_status.
 *
 * One launcher is registered from shared_preload_libraries.  It connects
 * to no database (only the shared catalogs, to check that each database of
 * cognomega.databases exists and that cognomega.worker_role may log in),
 * and keeps one dynamic worker per listed database running: started with
 * bgw_notify_pid so its latch is set when one starts or stops, restarted
 * with a backoff (1 s doubling to 60 s) when one dies, stopped when its
 * database leaves the list, all restarted when worker_role changes.  A
 * problem with a listed database (missing, not accepting connections, no
 * extension) is LOGged once and retried every WK_RETRY_MS; the other
 * databases are unaffected.
 *
 * A database worker connects as cognomega.worker_role and runs the jobs of
 * jobs.c on their own schedules, sleeping on its latch in between with no
 * transaction open and no lock held.  SIGHUP re-reads the intervals,
 * SIGTERM (die) ends it at the next CHECK_FOR_INTERRUPTS, including inside
 * a job's queries.  A failing job backs off (interval doubling up to 16x,
 * capped at max(interval, 10 min)) instead of spinning.
 *
 * If the launcher itself is restarted (pg_terminate_backend), workers it
 * started are orphans: the new launcher sends them SIGTERM and starts its
 * own.  After a crash-restart shared memory is new and the postmaster
 * restarts the launcher, which starts the workers again.
 *
 * Locking contract: WkShared->lock (one LWLock, tranche "cognomega_worker")
 * protects the whole slot array.  It is held only to copy a few fields in
 * or out -- never across a job, a query or an ereport -- so readers of
 * job_status and the workers never wait on each other for long.  This is
 * no hot path: each worker takes it a few times per job run.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "cognomega.h"
#include "worker.h"

/* settings (worker_init) */
static char *cognomega_databases = NULL;
static char *cognomega_worker_role = NULL;

#define WK_MAX_DATABASES	64
#define WK_STATUS_LEN		32
#define WK_ERROR_LEN		512
#define WK_RESULT_LEN		256
#define WK_RETRY_MS			10000	/* recheck a database with a problem */
#define WK_BACKOFF_MIN_MS	1000	/* restart of a dead worker */
#define WK_BACKOFF_MAX_MS	60000
#define WK_MAX_SLEEP_MS		60000
#define WK_MIN_HINT_MS		1000	/* a job's "due again" hint: no sooner */
#define WK_TRANCHE			"cognomega_worker"

typedef struct WkJobState
{
	TimestampTz last_start;		/* 0: never */
	TimestampTz last_end;
	TimestampTz next_run;		/* 0: not scheduled */
	int64		runs;
	int64		failures;
	int			consecutive_failures;
	TimestampTz last_success;	/* 0: none since the server started */
	char		last_status[WK_STATUS_LEN];
	char		last_error[WK_ERROR_LEN];
	char		last_result[WK_RESULT_LEN];
} WkJobState;

typedef struct WkDbSlot
{
	bool		in_use;
	Oid			dboid;
	NameData	dbname;
	pid_t		pid;			/* its database worker, 0 when none */
	bool		running;		/* that worker found the extension: jobs run */
	bool		no_extension;	/* the worker found no extension (LOGged) */
	bool		cache_seen;		/* the stats job's last cache counters: */
	int64		cache_hits;
	int64		cache_misses;
	bool		cpu_seen;		/* the stats job's last CPU reading: */
	double		cpu_seconds;
	int			cpu_count;
	TimestampTz cpu_at;
	Oid			pm_parent;		/* the parent its worker is maintaining */
	WkJobState	jobs[WK_NUM_JOBS];
} WkDbSlot;

typedef struct WkShared
{
	LWLock	   *lock;
	pid_t		launcher_pid;
	TimestampTz last_sweep;		/* the cache is one for all databases */
	WkDbSlot	dbs[WK_MAX_DATABASES];
} WkShared;

/* the launcher's view of one listed database */
typedef struct WkEntry
{
	char		name[NAMEDATALEN];
	int			slotno;			/* -1 until the database is found */
	BackgroundWorkerHandle *handle;
	TimestampTz started_at;
	TimestampTz next_start;
	int			backoff_ms;
	bool		reported;		/* its current problem was LOGged */
} WkEntry;

static WkShared *wk_shared = NULL;

/* launcher state, in TopMemoryContext */
static WkEntry *wk_entries = NULL;
static int	wk_nentries = 0;
static char *wk_role_in_use = NULL;
static bool wk_role_reported = false;

PGDLLEXPORT void cognomega_launcher_main(Datum main_arg);
PGDLLEXPORT void cognomega_worker_main(Datum main_arg);

/* ---- Settings and shared memory ---- */

/* the launcher's settings, from _PG_init */
void
worker_init(void)
{
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
}

void
worker_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(WkShared)));
	RequestNamedLWLockTranche(WK_TRANCHE, 1);
}

void
worker_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	wk_shared = ShmemInitStruct("cognomega worker", sizeof(WkShared), &found);
	if (!found)
	{
		memset(wk_shared, 0, sizeof(WkShared));
		wk_shared->lock = &(GetNamedLWLockTranche(WK_TRANCHE))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * The slot of a database: the one it has, else a free one, else one no
 * worker uses (the status of a database long gone is forgotten first).
 * Returns -1 when every slot has a running worker.
 */
int
wk_slot_for_database(Oid dboid, const char *dbname)
{
	int			free_slot = -1;
	int			idle_slot = -1;
	int			i;

	if (wk_shared == NULL)
		return -1;

	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < WK_MAX_DATABASES; i++)
	{
		WkDbSlot   *s = &wk_shared->dbs[i];

		if (s->in_use && s->dboid == dboid)
			break;
		if (!s->in_use && free_slot < 0)
			free_slot = i;
		if (s->in_use && s->pid == 0 && idle_slot < 0)
			idle_slot = i;
	}
	if (i == WK_MAX_DATABASES)
	{
		i = free_slot >= 0 ? free_slot : idle_slot;
		if (i >= 0)
		{
			WkDbSlot   *s = &wk_shared->dbs[i];

			memset(s, 0, sizeof(WkDbSlot));
			s->in_use = true;
			s->dboid = dboid;
			namestrcpy(&s->dbname, dbname);
		}
	}
	LWLockRelease(wk_shared->lock);
	return i;
}

void
wk_status_begin(int slotno, WkJobKind job, TimestampTz start)
{
	WkJobState *js;

	if (wk_shared == NULL || slotno < 0)
		return;
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	js = &wk_shared->dbs[slotno].jobs[job];
	js->last_start = start;
	strlcpy(js->last_status, "running", WK_STATUS_LEN);
	LWLockRelease(wk_shared->lock);
}

void
wk_status_end(int slotno, WkJobKind job, const WkResult *res,
			  TimestampTz next_run)
{
	WkJobState *js;
	const char *status;

	if (wk_shared == NULL || slotno < 0)
		return;
	status = res->error ? "error" : (res->skipped ? "skipped" : "ok");

	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	js = &wk_shared->dbs[slotno].jobs[job];
	js->last_end = GetCurrentTimestamp();
	js->runs++;
	if (res->error)
	{
		js->failures++;
		js->consecutive_failures++;
		strlcpy(js->last_error, res->error, WK_ERROR_LEN);
	}
	else
	{
		js->consecutive_failures = 0;
		js->last_error[0] = '\0';
		if (!res->skipped)
			js->last_success = js->last_end;
	}
	strlcpy(js->last_status, status, WK_STATUS_LEN);
	strlcpy(js->last_result, res->summary ? res->summary : "", WK_RESULT_LEN);
	if (next_run != 0)
		js->next_run = next_run;
	LWLockRelease(wk_shared->lock);
}

void
wk_status_set_next(int slotno, WkJobKind job, TimestampTz next_run)
{
	if (wk_shared == NULL || slotno < 0)
		return;
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	wk_shared->dbs[slotno].jobs[job].next_run = next_run;
	LWLockRelease(wk_shared->lock);
}

/* the current database's slot, NULL when it has none (or no shared memory) */
static WkDbSlot *
wk_current_slot(void)
{
	int			slotno;

	if (wk_shared == NULL)
		return NULL;
	slotno = wk_slot_for_database(MyDatabaseId, get_database_name(MyDatabaseId));
	return slotno < 0 ? NULL : &wk_shared->dbs[slotno];
}

/*
 * The stats job's window: store this run's cache counters for the current
 * database and return the previous run's (false when there was none since
 * the server started -- the cache's counters started then too).
 */
bool
wk_cache_window(int64 hits, int64 misses, int64 *prev_hits, int64 *prev_misses)
{
	WkDbSlot   *s = wk_current_slot();
	bool		seen;

	if (s == NULL)
		return false;
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	seen = s->cache_seen;
	*prev_hits = s->cache_hits;
	*prev_misses = s->cache_misses;
	s->cache_seen = true;
	s->cache_hits = hits;
	s->cache_misses = misses;
	LWLockRelease(wk_shared->lock);
	return seen;
}

/*
 * The stats job's CPU window, as wk_cache_window: store this run's reading
 * for the current database and return the previous one (false when none).
 */
bool
wk_cpu_window(double cpu_seconds, int cpu_count, TimestampTz at,
			  double *prev_seconds, int *prev_count, TimestampTz *prev_at)
{
	WkDbSlot   *s = wk_current_slot();
	bool		seen;

	if (s == NULL)
		return false;
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	seen = s->cpu_seen;
	*prev_seconds = s->cpu_seconds;
	*prev_count = s->cpu_count;
	*prev_at = s->cpu_at;
	s->cpu_seen = true;
	s->cpu_seconds = cpu_seconds;
	s->cpu_count = cpu_count;
	s->cpu_at = at;
	LWLockRelease(wk_shared->lock);
	return seen;
}

/*
 * Failed runs in a row of a job in the current database, -1 when unknown;
 * *runs: its runs since the server started (the streak is wholly seen only
 * when some of them did not fail).
 */
int
wk_failures_in_row(WkJobKind job, int64 *runs)
{
	WkDbSlot   *s = wk_current_slot();
	int			n;

	if (s == NULL)
		return -1;
	LWLockAcquire(wk_shared->lock, LW_SHARED);
	n = s->jobs[job].consecutive_failures;
	*runs = s->jobs[job].runs;
	LWLockRelease(wk_shared->lock);
	return n;
}

/*
 * The cache is shared by all databases: of the workers, only one sweeps it
 * per interval.  True when the caller should sweep now (and has claimed it).
 */
bool
wk_claim_sweep(int64 interval_ms)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		claim;

	if (wk_shared == NULL)
		return true;
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	claim = wk_shared->last_sweep == 0 ||
		TimestampDifferenceExceeds(wk_shared->last_sweep, now, (int) (interval_ms * 9 / 10));
	if (claim)
		wk_shared->last_sweep = now;
	LWLockRelease(wk_shared->lock);
	return claim;
}

/* a job's last start and consecutive failures, for the worker's schedule */
static void
wk_job_read(int slotno, WkJobKind job, TimestampTz *last_start, int *failures)
{
	LWLockAcquire(wk_shared->lock, LW_SHARED);
	*last_start = wk_shared->dbs[slotno].jobs[job].last_start;
	*failures = wk_shared->dbs[slotno].jobs[job].consecutive_failures;
	LWLockRelease(wk_shared->lock);
}

/* ---- cognomega.job_status ---- */

static Datum
wk_text_or_null(const char *s, bool *isnull)
{
	*isnull = (s[0] == '\0');
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

static Datum
wk_time_or_null(TimestampTz t, bool *isnull)
{
	*isnull = (t == 0);
	return TimestampTzGetDatum(t);
}

static void
wk_emit_job_row(ReturnSetInfo *rsinfo, const WkDbSlot *s, int job)
{
	const WkJobState *js = &s->jobs[job];
	Datum		v[12];
	bool		n[12] = {0};

	v[0] = CStringGetTextDatum(wk_job_names[job]);
	v[1] = NameGetDatum(&s->dbname);
	v[2] = wk_time_or_null(js->last_start, &n[2]);
	v[3] = wk_time_or_null(js->last_end, &n[3]);
	v[4] = wk_text_or_null(js->last_status, &n[4]);
	v[5] = wk_text_or_null(js->last_error, &n[5]);
	v[6] = Int64GetDatum(js->runs);
	v[7] = Int64GetDatum(js->failures);
	v[8] = wk_time_or_null(s->running ? js->next_run : 0, &n[8]);
	v[9] = wk_text_or_null(js->last_result, &n[9]);
	v[10] = Int32GetDatum(s->pid);
	n[10] = !s->running;
	/* since 0.3 (a 0.2 definition of the function has 11 columns) */
	v[11] = wk_time_or_null(js->last_success, &n[11]);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
}

PG_FUNCTION_INFO_V1(cognomega_job_status);

/*
 * One row per (database, job) that ran or is scheduled.  The table lives
 * in shared memory: without preloading there is none (55000 with the
 * preload hint, like every other view over shared memory).
 */
Datum
cognomega_job_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WkDbSlot   *copy;
	int			i,
				j;

	cognomega_require_preload("job_status");
	InitMaterializedSRF(fcinfo, 0);
	if (wk_shared == NULL)
		return (Datum) 0;

	copy = palloc(sizeof(wk_shared->dbs));
	LWLockAcquire(wk_shared->lock, LW_SHARED);
	memcpy(copy, wk_shared->dbs, sizeof(wk_shared->dbs));
	LWLockRelease(wk_shared->lock);

	for (i = 0; i < WK_MAX_DATABASES; i++)
	{
		/* a database dropped (and maybe re-created: a new OID) is forgotten */
		if (!copy[i].in_use ||
			!SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(copy[i].dboid)))
			continue;
		for (j = 0; j < WK_NUM_JOBS; j++)
			if (copy[i].running || copy[i].jobs[j].last_start != 0)
				wk_emit_job_row(rsinfo, &copy[i], j);
	}
	return (Datum) 0;
}

/* ---- Registration ---- */

static void
wk_fill_worker(BackgroundWorker *w, const char *function)
{
	memset(w, 0, sizeof(BackgroundWorker));
	w->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	/* on a hot standby too: the jobs that write skip themselves there */
	w->bgw_start_time = BgWorkerStart_ConsistentState;
	strlcpy(w->bgw_library_name, "cognomega", BGW_MAXLEN);
	strlcpy(w->bgw_function_name, function, BGW_MAXLEN);
}

void
worker_register_launcher(void)
{
	BackgroundWorker w;

	wk_fill_worker(&w, "cognomega_launcher_main");
	w.bgw_restart_time = 5;
	strlcpy(w.bgw_name, "cognomega launcher", BGW_MAXLEN);
	strlcpy(w.bgw_type, "cognomega launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&w);
}

/* ---- Launcher ---- */

/* on exit, forget being the launcher (workers check nothing of it) */
static void
wk_launcher_detach(int code, Datum arg)
{
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	if (wk_shared->launcher_pid == MyProcPid)
		wk_shared->launcher_pid = 0;
	LWLockRelease(wk_shared->lock);
}

/* workers a previous launcher started: stop them, we start our own */
static void
wk_launcher_stop_orphans(void)
{
	int			i,
				waited;
	bool		any = true;

	for (waited = 0; any && waited < 100; waited++)
	{
		any = false;
		LWLockAcquire(wk_shared->lock, LW_SHARED);
		for (i = 0; i < WK_MAX_DATABASES; i++)
		{
			pid_t		pid = wk_shared->dbs[i].pid;

			if (pid != 0)
			{
				any = true;
				if (waited % 20 == 0)
					(void) kill(pid, SIGTERM);
			}
		}
		LWLockRelease(wk_shared->lock);
		if (any)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 100L, cognomega_we_worker_exit());
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
}

static void
wk_entry_stop(WkEntry *e)
{
	if (e->handle != NULL)
	{
		TerminateBackgroundWorker(e->handle);
		pfree(e->handle);
		e->handle = NULL;
	}
}


/* the database list of cognomega.databases; false (LOGged) if malformed */
static bool
wk_parse_databases(char **raw, List **names)
{
	*raw = pstrdup(cognomega_databases ? cognomega_databases : "");
	*names = NIL;
	if (SplitIdentifierString(*raw, ',', names))
		return true;
	ereport(LOG,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid list syntax in parameter \"cognomega.databases\""),
			 errdetail("The previous list of databases stays in effect.")));
	return false;
}

/* remember the worker role in use; true when it changed */
static bool
wk_launcher_track_role(void)
{
	if (wk_role_in_use != NULL && strcmp(wk_role_in_use, cognomega_worker_role) == 0)
		return false;
	if (wk_role_in_use)
		pfree(wk_role_in_use);
	wk_role_in_use = MemoryContextStrdup(TopMemoryContext, cognomega_worker_role);
	wk_role_reported = false;
	return true;
}

/* the entry of name in entries[0..n), or -1 */
static int
wk_entry_find(const WkEntry *entries, int n, const char *name)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(entries[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * The entries for names: kept ones carry their worker over (stopped when
 * the role changed), new ones start now; the workers of databases no
 * longer listed are stopped.
 */
static void
wk_entries_rebuild(List *names, bool role_changed)
{
	WkEntry    *next = MemoryContextAllocZero(TopMemoryContext,
											  sizeof(WkEntry) * WK_MAX_DATABASES);
	int			nnext = 0;
	ListCell   *lc;
	int			i;

	foreach(lc, names)
	{
		const char *name = lfirst(lc);
		int			k = wk_entry_find(wk_entries, wk_nentries, name);

		if (wk_entry_find(next, nnext, name) >= 0)
			continue;			/* listed twice */
		if (nnext >= WK_MAX_DATABASES)
		{
			ereport(LOG,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("cognomega.databases lists more than %d databases; the rest are ignored",
							WK_MAX_DATABASES)));
			break;
		}
		if (k >= 0)
		{
			next[nnext] = wk_entries[k];
			wk_entries[k].handle = NULL;	/* carried over */
			if (role_changed)
				wk_entry_stop(&next[nnext]);
		}
		else
		{
			strlcpy(next[nnext].name, name, NAMEDATALEN);
			next[nnext].slotno = -1;
		}
		next[nnext++].next_start = 0;
	}
	for (i = 0; i < wk_nentries; i++)
		wk_entry_stop(&wk_entries[i]);	/* those not carried over */
	if (wk_entries)
		pfree(wk_entries);
	wk_entries = next;
	wk_nentries = nnext;
}

/* bring the entries in line with cognomega.databases and worker_role */
static void
wk_launcher_sync(void)
{
	char	   *raw;
	List	   *names;

	if (wk_parse_databases(&raw, &names))
		wk_entries_rebuild(names, wk_launcher_track_role());
	list_free(names);
	pfree(raw);
}

/*
 * The launcher is connected to no database: the shared catalogs' indexes
 * are not available to it (relcache phase 3 never ran), so it reads
 * pg_authid and pg_database with plain heap scans, as the autovacuum
 * launcher does.
 */
/* may the worker role log in?  LOGs once when not */
static bool
wk_role_usable(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	bool		usable = false;

	if (cognomega_worker_role == NULL || cognomega_worker_role[0] == '\0')
		return true;
	rel = table_open(AuthIdRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_authid role = (Form_pg_authid) GETSTRUCT(tup);

		if (strcmp(NameStr(role->rolname), cognomega_worker_role) == 0)
			usable = role->rolcanlogin;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	if (!usable && !wk_role_reported)
		ereport(LOG,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("cognomega.worker_role \"%s\" does not exist or cannot log in",
						cognomega_worker_role),
				 errdetail("No cognomega job runs until it can; the launcher retries every %d seconds.",
						   WK_RETRY_MS / 1000)));
	wk_role_reported = !usable;
	return usable;
}

/* the database's OID if a worker can connect to it; LOGs once when not */
static Oid
wk_database_usable(WkEntry *e)
{
	Relation	rel = table_open(DatabaseRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple	tup;
	Oid			dboid = InvalidOid;
	const char *problem = "does not exist";

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (strcmp(NameStr(db->datname), e->name) != 0)
			continue;
		if (db->datallowconn)
		{
			dboid = db->oid;
			problem = NULL;
		}
		else
			problem = "does not accept connections";
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	if (problem == NULL)
	{
		e->reported = false;
		return dboid;
	}
	if (!e->reported)
		ereport(LOG,
				(errcode(ERRCODE_UNDEFINED_DATABASE),
				 errmsg("database \"%s\" listed in cognomega.databases %s", e->name, problem),
				 errdetail("Its cognomega jobs do not run; the launcher retries every %d seconds.",
						   WK_RETRY_MS / 1000)));
	e->reported = true;
	return InvalidOid;
}

/* start the worker of one database; false (LOGged) if it could not start */
static bool
wk_entry_start(WkEntry *e)
{
	BackgroundWorker w;
	BackgroundWorkerHandle *handle;
	pid_t		pid;
	MemoryContext old;
	bool		ok;

	wk_fill_worker(&w, "cognomega_worker_main");
	w.bgw_restart_time = BGW_NEVER_RESTART;
	w.bgw_main_arg = Int32GetDatum(e->slotno);
	w.bgw_notify_pid = MyProcPid;
	snprintf(w.bgw_name, BGW_MAXLEN, "cognomega worker for database %s", e->name);
	strlcpy(w.bgw_type, "cognomega worker", BGW_MAXLEN);

	/* the handle outlives the launcher's transaction */
	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&w, &handle);
	MemoryContextSwitchTo(old);
	if (!ok)
	{
		ereport(LOG,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the cognomega worker for database \"%s\"", e->name),
				 errhint("You may need to increase max_worker_processes.")));
		return false;
	}
	if (WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_POSTMASTER_DIED)
		proc_exit(1);
	e->handle = handle;
	e->started_at = GetCurrentTimestamp();
	return true;
}

/* did the worker of e stop since we last looked?  Then schedule its restart */
static void
wk_entry_check(WkEntry *e, TimestampTz now)
{
	pid_t		pid;
	bool		no_extension;

	if (e->handle == NULL ||
		GetBackgroundWorkerPid(e->handle, &pid) != BGWH_STOPPED)
		return;

	pfree(e->handle);
	e->handle = NULL;
	LWLockAcquire(wk_shared->lock, LW_SHARED);
	no_extension = wk_shared->dbs[e->slotno].no_extension;
	LWLockRelease(wk_shared->lock);

	if (no_extension)
	{
		e->next_start = TimestampTzPlusMilliseconds(now, WK_RETRY_MS);
		return;
	}
	/* died: back off, unless it had been running well for a while */
	if (TimestampDifferenceExceeds(e->started_at, now, WK_BACKOFF_MAX_MS))
		e->backoff_ms = WK_BACKOFF_MIN_MS;
	else
		e->backoff_ms = Min(Max(e->backoff_ms * 2, WK_BACKOFF_MIN_MS),
							WK_BACKOFF_MAX_MS);
	e->next_start = TimestampTzPlusMilliseconds(now, e->backoff_ms);
}

/* try to start the worker of e, whose start is due */
static void
wk_entry_try_start(WkEntry *e, bool role_ok, TimestampTz now)
{
	Oid			dboid = InvalidOid;

	e->next_start = TimestampTzPlusMilliseconds(now, WK_RETRY_MS);
	if (!role_ok || !OidIsValid(dboid = wk_database_usable(e)))
		return;

	e->slotno = wk_slot_for_database(dboid, e->name);
	if (e->slotno < 0)
	{
		if (!e->reported)
			ereport(LOG,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("no free cognomega job slot for database \"%s\"", e->name)));
		e->reported = true;
		return;
	}
	if (!wk_entry_start(e))
		e->next_start = TimestampTzPlusMilliseconds(now, WK_BACKOFF_MAX_MS);
}

/*
 * One pass over the entries: notice stopped workers, start the due ones.
 * Returns how long to sleep until something is due.
 */
static long
wk_launcher_tend(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz wake = TimestampTzPlusMilliseconds(now, WK_MAX_SLEEP_MS);
	bool		in_xact = false;
	bool		role_ok = false;
	int			i;

	for (i = 0; i < wk_nentries; i++)
	{
		WkEntry    *e = &wk_entries[i];

		wk_entry_check(e, now);
		if (e->handle != NULL)
			continue;
		if (e->next_start <= now)
		{
			if (!in_xact)
			{
				SetCurrentStatementStartTimestamp();
				StartTransactionCommand();
				in_xact = true;
				role_ok = wk_role_usable();
			}
			wk_entry_try_start(e, role_ok, now);
		}
		if (e->handle == NULL && e->next_start < wake)
			wake = e->next_start;
	}
	if (in_xact)
		CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return Max(10L, (long) ((wake - now) / 1000));
}

void
cognomega_launcher_main(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* shared catalogs only: pg_database and pg_authid */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	wk_shared->launcher_pid = MyProcPid;
	LWLockRelease(wk_shared->lock);
	before_shmem_exit(wk_launcher_detach, (Datum) 0);

	wk_launcher_stop_orphans();
	wk_launcher_sync();

	for (;;)
	{
		long		timeout;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			wk_launcher_sync();
		}
		timeout = wk_launcher_tend();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, cognomega_we_launcher_main());
		ResetLatch(MyLatch);
	}
}

/* ---- Database worker ---- */

static int	wk_my_slot = -1;

/* set (in a signal handler) when the worker stops itself over a parent */
volatile sig_atomic_t wk_pm_killed = false;

static void
wk_worker_detach(int code, Datum arg)
{
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	if (wk_shared->dbs[wk_my_slot].pid == MyProcPid)
	{
		wk_shared->dbs[wk_my_slot].pid = 0;
		wk_shared->dbs[wk_my_slot].running = false;
		/* only a worker stopped by a parent's time limit leaves it behind */
		if (!wk_pm_killed)
			wk_shared->dbs[wk_my_slot].pm_parent = InvalidOid;
	}
	LWLockRelease(wk_shared->lock);
}

/*
 * The parent the database's worker is maintaining now (InvalidOid: none).
 * It lives in the slot, so it outlives the worker: a worker stopped in the
 * middle of a parent (owner code that went on past the parent's time limit,
 * catching the cancel) leaves it for the next worker to stamp
 * (wk_pm_take_interrupted).
 */
void
wk_pm_set_current(Oid parent)
{
	if (wk_shared == NULL || wk_my_slot < 0)
		return;
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	wk_shared->dbs[wk_my_slot].pm_parent = parent;
	LWLockRelease(wk_shared->lock);
}

/* the parent a previous worker was stopped in (and forget it), or InvalidOid */
Oid
wk_pm_take_interrupted(void)
{
	Oid			parent;

	if (wk_shared == NULL || wk_my_slot < 0)
		return InvalidOid;
	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	parent = wk_shared->dbs[wk_my_slot].pm_parent;
	wk_shared->dbs[wk_my_slot].pm_parent = InvalidOid;
	LWLockRelease(wk_shared->lock);
	return parent;
}

/*
 * Is the extension installed here?  When not, LOG once (the flag lives in
 * the slot, so it survives this process) and tell the launcher to retry.
 */
static bool
wk_worker_has_extension(void)
{
	bool		present;
	bool		was_missing;
	WkDbSlot   *s = &wk_shared->dbs[wk_my_slot];

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	present = OidIsValid(get_extension_oid("cognomega", true));
	CommitTransactionCommand();

	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	was_missing = s->no_extension;
	s->no_extension = !present;
	s->running = present;
	LWLockRelease(wk_shared->lock);

	if (!present && !was_missing)
		ereport(LOG,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"cognomega\" is not installed in database \"%s\" listed in cognomega.databases",
						NameStr(s->dbname)),
				 errdetail("Its cognomega jobs do not run; the launcher retries every %d seconds.",
						   WK_RETRY_MS / 1000),
				 errhint("Run CREATE EXTENSION cognomega in that database, or remove it from cognomega.databases.")));
	return present;
}

/* delay before the next run: the interval, doubled per consecutive failure */
static int64
wk_backoff_ms(int64 interval_ms, int failures)
{
	int64		cap = Max(interval_ms, 10 * 60 * 1000);
	int64		delay = interval_ms << Min(failures, 4);

	return failures == 0 ? interval_ms : Min(delay, cap);
}

/* when job should next run, given its interval and recent failures */
static TimestampTz
wk_schedule(WkJobKind job, TimestampTz from)
{
	int64		interval = wk_job_interval_ms(job);
	TimestampTz last;
	int			failures;

	if (interval <= 0)
		return DT_NOEND;
	wk_job_read(wk_my_slot, job, &last, &failures);
	return TimestampTzPlusMilliseconds(from, wk_backoff_ms(interval, failures));
}

/* after SIGHUP: every job's next run from its last start and new interval */
static void
wk_reschedule(TimestampTz *due, TimestampTz now)
{
	int			j;

	for (j = 0; j < WK_NUM_JOBS; j++)
	{
		TimestampTz last;
		int			failures;

		wk_job_read(wk_my_slot, j, &last, &failures);
		due[j] = wk_schedule(j, last != 0 ? last : now);
		wk_status_set_next(wk_my_slot, j, due[j] == DT_NOEND ? 0 : due[j]);
	}
}

/* run one job; returns when it is due next */
static TimestampTz
wk_worker_run(WkJobKind job, MemoryContext cxt)
{
	WkResult	res = {0};
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz next;

	res.cxt = cxt;
	wk_status_begin(wk_my_slot, job, start);
	(void) set_config_option("application_name", psprintf("cognomega %s", wk_job_names[job]),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	pgstat_report_activity(STATE_RUNNING, psprintf("cognomega job %s", wk_job_names[job]));
	wk_job_run(job, WK_MODE_WORKER, &res);
	wk_job_history(job, WK_MODE_WORKER, start, &res);
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	if (res.extension_gone && !wk_worker_has_extension())
	{
		/* end the job's status first: it must not show "running" for ever */
		wk_status_end(wk_my_slot, job, &res, 0);
		proc_exit(0);			/* LOGged; the launcher checks again later */
	}

	next = wk_schedule(job, start);
	/* a hint in the past (a parent failing every run) must not spin the loop */
	if (res.due_hint != 0 && res.due_hint < next)
		next = Max(res.due_hint,
				   TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WK_MIN_HINT_MS));
	wk_status_end(wk_my_slot, job, &res, next == DT_NOEND ? 0 : next);
	return next;
}

static void
wk_worker_loop(void)
{
	MemoryContext loopcxt = AllocSetContextCreate(TopMemoryContext,
												  "cognomega worker loop",
												  ALLOCSET_DEFAULT_SIZES);
	TimestampTz due[WK_NUM_JOBS];
	int			j;

	/* every enabled job runs once at start */
	for (j = 0; j < WK_NUM_JOBS; j++)
		due[j] = wk_job_interval_ms(j) > 0 ? 0 : DT_NOEND;

	for (;;)
	{
		TimestampTz now;
		TimestampTz wake;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			wk_reschedule(due, GetCurrentTimestamp());
		}
		/* what a run allocates outside its transactions lives one iteration */
		MemoryContextReset(loopcxt);
		MemoryContextSwitchTo(loopcxt);
		now = GetCurrentTimestamp();
		wake = TimestampTzPlusMilliseconds(now, WK_MAX_SLEEP_MS);
		for (j = 0; j < WK_NUM_JOBS; j++)
		{
			if (due[j] <= now)
			{
				due[j] = wk_worker_run(j, loopcxt);
				CHECK_FOR_INTERRUPTS();
				now = GetCurrentTimestamp();
			}
			if (due[j] < wake)
				wake = due[j];
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(1L, (long) ((wake - now) / 1000)), cognomega_we_worker_main());
		ResetLatch(MyLatch);
	}
}

void
cognomega_worker_main(Datum main_arg)
{
	char		dbname[NAMEDATALEN];
	const char *role = cognomega_worker_role;

	wk_my_slot = DatumGetInt32(main_arg);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	LWLockAcquire(wk_shared->lock, LW_EXCLUSIVE);
	wk_shared->dbs[wk_my_slot].pid = MyProcPid;
	strlcpy(dbname, NameStr(wk_shared->dbs[wk_my_slot].dbname), NAMEDATALEN);
	LWLockRelease(wk_shared->lock);
	before_shmem_exit(wk_worker_detach, (Datum) 0);

	BackgroundWorkerInitializeConnection(dbname,
										 (role && role[0]) ? role : NULL, 0);

	/*
	 * The jobs' SQL runs as worker_role, often a superuser: a search_path
	 * set for the database or role (say "public, pg_catalog") must not let
	 * an object planted in another schema shadow pg_catalog's.  Override
	 * outranks the configuration file, so a SIGHUP keeps it.
	 */
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	if (!wk_worker_has_extension())
		proc_exit(0);

	wk_worker_loop();
}
