/*-------------------------------------------------------------------------
 *
 * jobs.c
 *		The three jobs (cache_sweep, partition_maintenance, stats), the
 *		runner they share between a database worker and a session, and
 *		cognomega.run_job().
 *
 * A job is a few steps.  wk_step() runs one step:
 *
 *	worker			its own transaction (SetCurrentStatementStartTimestamp,
 *					StartTransactionCommand, snapshot, SPI, commit); an error
 *					is caught, LOGged, the transaction aborted, and the error
 *					recorded in the job's result: the worker goes on.
 *	session			inside the caller's transaction; an isolated step runs in
 *					a subtransaction (an error rolls back only that step and is
 *					recorded; a cancel is re-raised: it stops the statement),
 *					any other step simply raises its error.
 *
 * partition_maintenance runs each parent as an isolated step (in a worker
 * the parents that are due, through run_job all of them) under
 * SET LOCAL lock_timeout = cognomega.maintenance_lock_timeout, so in a
 * worker each parent commits on its own, and one parent's error does not
 * stop the others.  On a server in recovery the jobs that write are
 * skipped ("skipped: recovery"); cache_sweep writes nothing and runs.
 *
 * Locking contract: no lock of its own.  Steps take what their queries
 * take and release it at the end of the step's (sub)transaction; the
 * workers hold nothing while sleeping.  Job status goes through worker.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "cache.h"
#include "partman.h"
#include "spi_util.h"
#include "stats.h"
#include "worker.h"

/* settings (jobs_init) */
static int	cognomega_cache_sweep_interval_s = 10;
int			cognomega_maintenance_interval_s = 3600;
static int	cognomega_stats_interval_s = 60;
int			cognomega_maintenance_lock_timeout_ms = 5000;
static int	cognomega_maintenance_parent_timeout_ms = 5 * 60 * 1000;

const char *const wk_job_names[WK_NUM_JOBS] = {
	"cache_sweep", "partition_maintenance", "stats"
};

/* does the job write to the database (so it is skipped in recovery)? */
static const bool wk_job_writes[WK_NUM_JOBS] = {false, true, true};

typedef void (*WkStepFn) (void *arg, WkResult *res);

int64
wk_job_interval_ms(WkJobKind job)
{
	switch (job)
	{
		case WK_JOB_CACHE_SWEEP:
			return (int64) cognomega_cache_sweep_interval_s * 1000;
		case WK_JOB_PARTITION_MAINTENANCE:
			return (int64) cognomega_maintenance_interval_s * 1000;
		case WK_JOB_STATS:
			return (int64) cognomega_stats_interval_s * 1000;
		default:
			elog(ERROR, "unknown cognomega job %d", (int) job);
	}
	return 0;					/* keep compiler quiet */
}

/* the message of the last error noted (in the result's context) */
static char *wk_last_message = NULL;

/* record an error of a step; the first one is the job's last_error */
static void
wk_note_error(WkResult *res, const char *what, const char *message)
{
	res->nerrors++;
	wk_last_message = MemoryContextStrdup(res->cxt, message);
	if (res->error == NULL)
		res->error = what ?
			MemoryContextStrdup(res->cxt, psprintf("%s: %s", what, message)) :
			MemoryContextStrdup(res->cxt, message);
}

/* ---- Steps ---- */

/* a job skipped for a passing reason (recovery, a restore) is retried this soon */
#define WK_SKIP_RETRY_MS	10000

/*
 * worker: is pg_restore connected to this database?  Maintenance and the
 * stats job's registration of stats_history would then race the restore:
 * configuration rows its COPY conflicts with, partitions created before
 * post-data builds the parents' indexes (left INVALID).  pg_restore names
 * its sessions so (fallback_application_name), in every mode and with -j.
 * Transaction open.
 */
static bool
wk_restore_in_progress(void)
{
	Datum		db[1] = {ObjectIdGetDatum(MyDatabaseId)};
	Oid			types[1] = {OIDOID};
	bool		found;

	PushActiveSnapshot(GetTransactionSnapshot());
	spi_connect();
	found = spi_exec_args("SELECT FROM pg_catalog.pg_stat_activity a"
						  " WHERE a.datid OPERATOR(pg_catalog.=) $1"
						  "   AND a.application_name OPERATOR(pg_catalog.=) 'pg_restore'"
						  "   AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()"
						  " LIMIT 1",
						  1, types, db, NULL, true, SPI_OK_SELECT) > 0;
	SPI_finish();
	PopActiveSnapshot();
	return found;
}

/* worker: may the step run here and now?  (transaction open) */
static bool
wk_step_allowed(WkResult *res, bool writes)
{
	if (!OidIsValid(get_extension_oid("cognomega", true)))
	{
		res->extension_gone = true;
		res->skipped = true;
		return false;
	}
	if (writes && RecoveryInProgress())
	{
		res->skipped = true;
		res->summary = MemoryContextStrdup(res->cxt, "skipped: recovery");
		/* after a promotion, run soon rather than a whole interval later */
		res->due_hint = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WK_SKIP_RETRY_MS);
		return false;
	}
	if (writes && wk_restore_in_progress())
	{
		res->skipped = true;
		res->summary = MemoryContextStrdup(res->cxt, "skipped: restore in progress");
		res->due_hint = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WK_SKIP_RETRY_MS);
		return false;
	}
	return true;
}

/*
 * Worker: session-level advisory locks taken by a table owner's code that
 * maintenance ran (pg_advisory_lock in a trigger) would be held by the
 * worker until it exits, through its sleeps; the worker takes none of its
 * own, so it drops them all after each step, as pg_advisory_unlock_all().
 */
static void
wk_release_session_locks(void)
{
	LockReleaseSession(USER_LOCKMETHOD);
}

static void
wk_step_in_transaction(WkStepFn fn, void *arg, WkResult *res,
					   const char *what, bool writes)
{
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		if (wk_step_allowed(res, writes))
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			spi_connect();
			fn(arg, res);
			SPI_finish();
			PopActiveSnapshot();
		}
		CommitTransactionCommand();
		wk_release_session_locks();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		wk_release_session_locks();
		MemoryContextSwitchTo(cxt);
		ereport(LOG,
				(errcode(edata->sqlerrcode),
				 errmsg("cognomega job \"%s\" failed%s%s: %s", res->job,
						what ? " for " : "", what ? what : "", edata->message)));
		wk_note_error(res, what, edata->message);
		if (res->sqlerrcode == 0)
			res->sqlerrcode = edata->sqlerrcode;
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
}

/* what wk_step_in_subtransaction runs in the subtransaction */
typedef struct WkSubStep
{
	WkStepFn	fn;
	void	   *arg;
	WkResult   *res;
} WkSubStep;

static void
wk_substep_run(void *arg)
{
	WkSubStep  *step = arg;

	spi_connect();
	step->fn(step->arg, step->res);
	SPI_finish();
}

/*
 * A step whose error rolls back only itself and is recorded; a cancel or
 * statement_timeout stops the whole statement (run_job), as any statement:
 * spi_in_subxact re-throws it.
 */
static void
wk_step_in_subtransaction(WkStepFn fn, void *arg, WkResult *res,
						  const char *what)
{
	WkSubStep	step = {fn, arg, res};
	ErrorData  *edata = spi_in_subxact(wk_substep_run, &step);

	if (edata == NULL)
		return;
	wk_note_error(res, what, edata->message);
	if (res->sqlerrcode == 0)
		res->sqlerrcode = edata->sqlerrcode;
	FreeErrorData(edata);
}

/*
 * Run one step of a job.  isolate: in a session, catch its error (in a
 * subtransaction) instead of raising it -- except a cancel or a
 * statement_timeout (57014), re-thrown by spi_in_subxact, so
 * that run_job stops as any statement would.
 */
static void
wk_step(WkMode mode, WkStepFn fn, void *arg, WkResult *res,
		const char *what, bool isolate, bool writes)
{
	if (mode == WK_MODE_WORKER)
		wk_step_in_transaction(fn, arg, res, what, writes);
	else if (isolate)
		wk_step_in_subtransaction(fn, arg, res, what);
	else
	{
		spi_connect();
		fn(arg, res);
		SPI_finish();
	}
}

/* ---- cache_sweep ---- */

static void
wk_sweep_step(void *arg, WkResult *res)
{
	int64		n = cache_sweep_expired();

	res->summary = MemoryContextStrdup(res->cxt,
									   psprintf("cache_sweep: " INT64_FORMAT " expired entries removed", n));
}

static void
wk_job_cache_sweep(WkMode mode, WkResult *res)
{
	if (mode == WK_MODE_WORKER &&
		!wk_claim_sweep(wk_job_interval_ms(WK_JOB_CACHE_SWEEP)))
	{
		res->summary = MemoryContextStrdup(res->cxt,
										   "cache_sweep: swept by another database's worker");
		return;
	}
	wk_step(mode, wk_sweep_step, NULL, res, NULL, false, false);
}

/* ---- partition_maintenance ---- */

typedef struct WkPmState
{
	int			nparents;
	int			cur;			/* the parent a step works on */
	Oid		   *parents;
	char	  **names;
	int64		total_actions;
	bool		all_parents;	/* run_job: every parent, due or not */
	bool		in_worker;		/* the worker: cognomega.maintenance_parent_timeout */
	bool		done;			/* the current parent's step ran to its end */
} WkPmState;

/*
 * The parents to maintain: in a worker those whose own interval (or the
 * job's) has elapsed, for run_job all of them ("now"); and the next due.
 * Nine tenths of the interval count as elapsed: last_maintenance is stamped
 * after the run started (later still for the last parents of a long run),
 * so the run one interval later would otherwise find it a few ms short and
 * leave it for another whole interval -- maintenance every other interval.
 */
static void
wk_pm_list_step(void *arg, WkResult *res)
{
	WkPmState  *st = arg;
	List	   *names;
	List	   *parents = partman_due_parents(cognomega_maintenance_interval_s,
											  st->all_parents, &names);
	TimestampTz next_due;
	int			i;

	st->nparents = list_length(parents);
	st->parents = MemoryContextAlloc(res->cxt, sizeof(Oid) * (st->nparents + 1));
	st->names = MemoryContextAlloc(res->cxt, sizeof(char *) * (st->nparents + 1));
	for (i = 0; i < st->nparents; i++)
	{
		st->parents[i] = list_nth_oid(parents, i);
		st->names[i] = MemoryContextStrdup(res->cxt, list_nth(names, i));
	}
	if (partman_next_due(&next_due))
		res->due_hint = next_due;
}

/*
 * Maintain one parent under the maintenance lock_timeout.  run_maintenance
 * itself turns a parent's failure (a lock it could not get in time, a
 * table dropped behind its back), or that of one of its steps ("retention:
 * ..."; the other step's work is kept and committed with this one), into a
 * WARNING and part_config.last_error; that is read back so the failure
 * reaches job_status too.
 */
/*
 * The worker's last resort against owner code that goes on past the
 * parent's time limit: the statement timeout fires once, and a trigger
 * that catches query_canceled (plpgsql EXCEPTION WHEN query_canceled) in a
 * loop would hold the worker, and so the stats job and every other parent
 * of the database, for ever.  A grace after the cancel the worker stops
 * (FATAL, which no owner code can catch); the launcher restarts it, and the
 * next worker stamps that parent (wk_pm_note_interrupted) so that it is not
 * due again at once.
 */
static TimeoutId wk_parent_kill_timeout = MAX_TIMEOUTS;

static void
wk_parent_kill_handler(void)
{
	wk_pm_killed = true;
	ProcDiePending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

/* grace after the parent's time limit before the worker stops: up to 10 s */
static int
wk_parent_kill_ms(void)
{
	int			limit = cognomega_maintenance_parent_timeout_ms;

	return limit > INT_MAX / 2 ? INT_MAX : limit + Min(Max(limit, 1000), 10000);
}

static void
wk_pm_parent_step(void *arg, WkResult *res)
{
	WkPmState  *st = arg;
	Datum		val[1] = {ObjectIdGetDatum(st->parents[st->cur])};
	Oid			typ[1] = {OIDOID};
	int			nest = NewGUCNestLevel();
	char		timeout[32];
	char	   *err;

	snprintf(timeout, sizeof(timeout), "%d", cognomega_maintenance_lock_timeout_ms);
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * In the worker, one parent's time is bounded: the statement timeout
	 * cancels it (57014), the step's transaction is rolled back and the next
	 * parent and job go on.  A session keeps its own statement_timeout.
	 */
	if (st->in_worker && cognomega_maintenance_parent_timeout_ms > 0)
	{
		if (wk_parent_kill_timeout == MAX_TIMEOUTS)
			wk_parent_kill_timeout = RegisterTimeout(USER_TIMEOUT, wk_parent_kill_handler);
		enable_timeout_after(STATEMENT_TIMEOUT, cognomega_maintenance_parent_timeout_ms);
		enable_timeout_after(wk_parent_kill_timeout, wk_parent_kill_ms());
	}
	PG_TRY();
	{
		st->total_actions +=
			spi_exec_args("SELECT 1 FROM cognomega.run_maintenance($1::pg_catalog.regclass)",
						  1, typ, val, NULL, false, SPI_OK_SELECT);
	}
	PG_FINALLY();
	{
		if (st->in_worker)
		{
			disable_timeout(STATEMENT_TIMEOUT, false);
			if (wk_parent_kill_timeout != MAX_TIMEOUTS)
				disable_timeout(wk_parent_kill_timeout, false);
		}
	}
	PG_END_TRY();
	/* roll back every setting made meanwhile, whoever's code made it */
	AtEOXact_GUC(false, nest);

	if (!partman_last_error(st->parents[st->cur], &err))
	{
		st->done = true;
		return;
	}
	st->done = true;
	if (err != NULL)
		wk_note_error(res, st->names[st->cur], err);
}

/*
 * Worker: a parent whose transaction failed whole (its time limit, a
 * cancel) recorded nothing itself; stamp last_maintenance and last_error so
 * that it is not due again at once (it would be retried first on every run
 * and starve the parents after it) and partition_status shows why.
 */
static void
wk_pm_record_failure_step(void *arg, WkResult *res)
{
	WkPmState  *st = arg;

	partman_record_failure(st->parents[st->cur],
						   wk_last_message ? wk_last_message : "maintenance failed");
}

/*
 * Worker: the previous worker was stopped in the middle of a parent (see
 * wk_parent_kill_handler).  Stamp that parent's last_maintenance and
 * last_error, so that it is not due again at once (the stats job and the
 * other parents go first) and partition_status says why.
 */
static void
wk_pm_note_interrupted(WkResult *res)
{
	Oid			parent = wk_pm_take_interrupted();
	WkPmState	st = {0};
	WkResult	rres = {0};

	if (!OidIsValid(parent))
		return;
	ereport(LOG,
			(errcode(ERRCODE_QUERY_CANCELED),
			 errmsg("cognomega: the previous worker was stopped during the maintenance of the table with OID %u", parent),
			 errdetail("Its maintenance went on past cognomega.maintenance_parent_timeout although cancelled.")));
	st.nparents = 1;
	st.parents = &parent;
	wk_last_message = MemoryContextStrdup(res->cxt,
										  "maintenance went on past cognomega.maintenance_parent_timeout although cancelled (owner code catching the cancel?); the worker was stopped and restarted");
	rres.cxt = res->cxt;
	rres.job = res->job;
	wk_step(WK_MODE_WORKER, wk_pm_record_failure_step, &st, &rres, NULL, true, true);
}

static void
wk_job_partition_maintenance(WkMode mode, WkResult *res)
{
	WkPmState	st = {0};
	int			i;
	int			left = 0;
	TimestampTz start = GetCurrentTimestamp();

	st.all_parents = (mode == WK_MODE_SESSION);
	st.in_worker = (mode == WK_MODE_WORKER);
	if (st.in_worker)
		wk_pm_note_interrupted(res);
	wk_step(mode, wk_pm_list_step, &st, res, NULL, false, true);
	if (res->error || res->skipped)
		return;

	for (i = 0; i < st.nparents; i++)
	{
		int			nerrors = res->nerrors;

		/*
		 * The worker runs the stats job after this one: once a stats
		 * interval has gone by, leave the remaining parents (still due) for
		 * a run right after it, so stats keeps its schedule.
		 */
		if (st.in_worker && i > 0 && cognomega_stats_interval_s > 0 &&
			TimestampDifferenceExceeds(start, GetCurrentTimestamp(),
									   cognomega_stats_interval_s * 1000))
		{
			left = st.nparents - i;
			res->due_hint = GetCurrentTimestamp();
			break;
		}
		st.cur = i;
		st.done = false;
		if (st.in_worker)
			wk_pm_set_current(st.parents[i]);
		wk_step(mode, wk_pm_parent_step, &st, res, st.names[i], true, true);
		if (st.in_worker && !st.done && res->nerrors > nerrors && !res->extension_gone)
			wk_step(mode, wk_pm_record_failure_step, &st, res, st.names[i], true, true);
		if (st.in_worker)
			wk_pm_set_current(InvalidOid);
		CHECK_FOR_INTERRUPTS();
	}
	if (res->extension_gone)
		return;
	res->summary = MemoryContextStrdup(res->cxt,
									   psprintf("partition_maintenance: %d parents maintained, " INT64_FORMAT " actions, %d failed%s",
												st.nparents - left - res->nerrors, st.total_actions, res->nerrors,
												left > 0 ? psprintf(", %d left for the next run", left) : ""));
}

/* ---- stats ---- */

static void
wk_stats_step(void *arg, WkResult *res)
{
	res->summary = stats_run(res->cxt);
}

static void
wk_job_stats(WkMode mode, WkResult *res)
{
	wk_step(mode, wk_stats_step, NULL, res, NULL, false, true);
}

/* ---- Entry points ---- */

void
wk_job_run(WkJobKind job, WkMode mode, WkResult *res)
{
	res->job = wk_job_names[job];
	switch (job)
	{
		case WK_JOB_CACHE_SWEEP:
			wk_job_cache_sweep(mode, res);
			break;
		case WK_JOB_PARTITION_MAINTENANCE:
			wk_job_partition_maintenance(mode, res);
			break;
		case WK_JOB_STATS:
			wk_job_stats(mode, res);
			break;
		default:
			elog(ERROR, "unknown cognomega job %d", (int) job);
	}
	if (res->summary == NULL)
		res->summary = MemoryContextStrdup(res->cxt,
										   res->error ? psprintf("%s: failed: %s", wk_job_names[job], res->error) :
										   psprintf("%s: skipped", wk_job_names[job]));
}

/* ---- Job history: one row per run, written after it ---- */

typedef struct WkHistoryArg
{
	WkJobKind	job;
	TimestampTz start;
	const WkResult *run;
	bool		by_worker;
} WkHistoryArg;

static void
wk_history_step(void *arg, WkResult *res)
{
	WkHistoryArg *h = (WkHistoryArg *) arg;
	const WkResult *run = h->run;

	stats_record_job(wk_job_names[h->job], h->start,
					 run->error ? "error" : (run->skipped ? "skipped" : "ok"),
					 run->error ? run->sqlerrcode : 0, run->error, run->summary,
					 h->by_worker);
}

/*
 * Record a run in cognomega.job_history: in a worker in a transaction of
 * its own, in a session in a subtransaction of the caller's; a failure to
 * record is LOGged (worker) and does not change the run's outcome.  Not
 * when the extension is gone or the server is in recovery.
 */
void
wk_job_history(WkJobKind job, WkMode mode, TimestampTz start, const WkResult *run)
{
	WkResult	hres = {0};
	WkHistoryArg h = {job, start, run, mode == WK_MODE_WORKER};

	if (run->extension_gone || RecoveryInProgress())
		return;
	hres.cxt = run->cxt;
	hres.job = "job_history";
	wk_step(mode, wk_history_step, &h, &hres, NULL, true, true);
}

static WkJobKind
wk_job_by_name(const char *name)
{
	int			j;

	for (j = 0; j < WK_NUM_JOBS; j++)
		if (strcmp(name, wk_job_names[j]) == 0)
			return (WkJobKind) j;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown cognomega job \"%s\"", name),
			 errhint("Valid jobs are cache_sweep, partition_maintenance and stats.")));
	return WK_NUM_JOBS;			/* keep compiler quiet */
}

/* the job this session is running through run_job (slot -1: none) */
static int	wk_session_slot = -1;
static WkJobKind wk_session_job;

/*
 * A session terminated inside run_job (a FATAL: PG_CATCH does not run)
 * must not leave the job shown "running" in job_status: end it at exit.
 */
static void
wk_run_job_exit(int code, Datum arg)
{
	WkResult	res = {0};
	char		summary[64];

	if (wk_session_slot < 0)
		return;
	snprintf(summary, sizeof(summary), "%s: failed", wk_job_names[wk_session_job]);
	res.error = "the session running the job ended";
	res.summary = summary;
	wk_status_end(wk_session_slot, wk_session_job, &res, 0);
	wk_session_slot = -1;
}

/* run a job in the calling session, recording it in job_status */
static char *
wk_run_job_internal(WkJobKind job)
{
	static bool exit_registered = false;
	MemoryContext cxt = CurrentMemoryContext;
	WkResult	res = {0};
	volatile int slotno = -1;
	TimestampTz start;

	if (job == WK_JOB_CACHE_SWEEP)
		cognomega_require_preload("cognomega.run_job('cache_sweep')");
	if (wk_job_writes[job] && RecoveryInProgress())
		return psprintf("%s: skipped: recovery", wk_job_names[job]);

	if (cognomega_is_preloaded)
		slotno = wk_slot_for_database(MyDatabaseId, get_database_name(MyDatabaseId));
	res.cxt = cxt;
	start = GetCurrentTimestamp();
	if (!exit_registered)
	{
		before_shmem_exit(wk_run_job_exit, (Datum) 0);
		exit_registered = true;
	}
	wk_status_begin(slotno, job, start);
	wk_session_slot = slotno;
	wk_session_job = job;
	PG_TRY();
	{
		wk_job_run(job, WK_MODE_SESSION, &res);
		wk_job_history(job, WK_MODE_SESSION, start, &res);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		res.error = edata->message;
		res.summary = psprintf("%s: failed", wk_job_names[job]);
		wk_session_slot = -1;
		wk_status_end(slotno, job, &res, 0);
		PG_RE_THROW();
	}
	PG_END_TRY();
	wk_session_slot = -1;
	wk_status_end(slotno, job, &res, 0);
	return res.summary;
}

PG_FUNCTION_INFO_V1(cognomega_run_job);

Datum
cognomega_run_job(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(wk_run_job_internal(wk_job_by_name(name))));
}

/* the jobs' settings, from _PG_init */
void
jobs_init(void)
{
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
}
