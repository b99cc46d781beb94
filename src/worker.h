/*-------------------------------------------------------------------------
 *
 * worker.h
 *		Background jobs: the launcher and per-database workers (worker.c),
 *		the jobs and their runner shared by the workers and
 *		cognomega.run_job() (jobs.c), the stats job (stats.c).
 *
 * The load-time entry points and the settings other capabilities read are
 * declared here too.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_WORKER_H
#define COGNOMEGA_WORKER_H

#include "postgres.h"
#include <signal.h>

#include "datatype/timestamp.h"

/* the jobs, in the order job_status lists them */
typedef enum WkJobKind
{
	WK_JOB_CACHE_SWEEP = 0,
	WK_JOB_PARTITION_MAINTENANCE,
	WK_JOB_STATS,
	WK_NUM_JOBS
} WkJobKind;

/* who runs a job: a database worker (own transactions) or a session */
typedef enum WkMode
{
	WK_MODE_WORKER,
	WK_MODE_SESSION
} WkMode;

/* what one run of a job produced; strings are allocated in cxt */
typedef struct WkResult
{
	MemoryContext cxt;
	const char *job;			/* its name, for messages */
	char	   *summary;		/* one line for run_job() and last_result */
	char	   *error;			/* first error, NULL when none */
	int			nerrors;
	bool		skipped;		/* recovery, or extension gone */
	bool		extension_gone; /* worker: the extension was dropped */
	TimestampTz due_hint;		/* worker: run again no later than this (0: none) */
	int			sqlerrcode;		/* SQLSTATE of the first error, 0 when none */
} WkResult;

/* load time (cognomega.c): settings, shared memory, the launcher */
extern void worker_init(void);
extern void jobs_init(void);
extern void worker_shmem_request(void);
extern void worker_shmem_startup(void);
extern void worker_register_launcher(void);

/* settings of the jobs (jobs.c) the stats job reads too */
extern int	cognomega_maintenance_interval_s;	/* 0 disables the job */
extern int	cognomega_maintenance_lock_timeout_ms;

/* jobs.c */
extern const char *const wk_job_names[WK_NUM_JOBS];
extern int64 wk_job_interval_ms(WkJobKind job);
extern void wk_job_run(WkJobKind job, WkMode mode, WkResult *res);
extern void wk_job_history(WkJobKind job, WkMode mode, TimestampTz start,
						   const WkResult *run);

/* worker.c: the shared job status table behind cognomega.job_status */
extern int	wk_slot_for_database(Oid dboid, const char *dbname);
extern void wk_status_begin(int slotno, WkJobKind job, TimestampTz start);
extern void wk_status_end(int slotno, WkJobKind job, const WkResult *res,
						  TimestampTz next_run);
extern void wk_status_set_next(int slotno, WkJobKind job, TimestampTz next_run);
extern bool wk_claim_sweep(int64 interval_ms);
extern bool wk_cache_window(int64 hits, int64 misses,
							int64 *prev_hits, int64 *prev_misses);
extern bool wk_cpu_window(double cpu_seconds, int cpu_count, TimestampTz at,
						  double *prev_seconds, int *prev_count, TimestampTz *prev_at);
extern int	wk_failures_in_row(WkJobKind job, int64 *runs);
extern PGDLLIMPORT volatile sig_atomic_t wk_pm_killed;
extern void wk_pm_set_current(Oid parent);
extern Oid	wk_pm_take_interrupted(void);

#endif							/* COGNOMEGA_WORKER_H */
