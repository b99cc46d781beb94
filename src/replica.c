/*-------------------------------------------------------------------------
 *
 * replica.c
 *		The result cache on hot standbys: a custom WAL resource manager
 *		carries the invalidation slots of the primary's writing transactions
 *		to its standbys (docs/cache.md "Replicas").
 *
 * Design
 * ------
 * On the primary, with cognomega.replica_invalidation on (and wal_level
 * replica or logical), a transaction that has an xid and a non-empty write
 * set (invalidate.c) inserts a record at PRE_COMMIT, so before its commit
 * record: the slots it wrote, the primary's slot count and database, and
 * a horizon H (below).  PREPARE TRANSACTION inserts the same record at
 * PRE_PREPARE.  The record's xl_xid is the top-level xid.
 *
 * The standby replays it as the primary's committing backend behaves:
 *
 *	redo		pending += 1 on each slot, and (xid, slots) goes into a
 *				shared in-flight table
 *	sweep		a transaction of the table that is no longer in progress
 *				(TransactionIdIsInProgress: KnownAssignedXids on a
 *				standby, where a prepared transaction stays until its
 *				COMMIT/ROLLBACK PREPARED is replayed, and a transaction
 *				the primary lost in a crash goes with the next running-xacts
 *				record): bump its slots, then pending -= 1
 *
 * An xid leaves KnownAssignedXids only after its commit is in the clog, so
 * every snapshot taken after the sweep observed it finished sees the
 * commit.  The argument of invalidate.c holds unchanged: from the redo of
 * the record (before the commit record) to the bump, the slots are pending
 * and nothing is served or stored for them; the bump is after the commit is
 * visible, so above the fence of any value computed without it.  The
 * sweep runs in the startup process at each record (once hot standby has
 * its snapshot) and in readers on their miss path (replica_sweep).
 *
 * When a standby may serve at all: it must know that every commit it will
 * replay from now on is preceded by its record.  Three states, in shared
 * memory, with the global epoch slot held pending outside READY (so a
 * change of state also stops every hit and store at once):
 *
 *	UNKNOWN		at the start of recovery (rm_startup), after an OFF
 *				record, and when replay has moved to another timeline (the
 *				upstream, or the server this standby now follows, was
 *				promoted: the new primary may not log, and, never started
 *				with the setting on, has no file to make it say so):
 *				nothing is served
 *	WAITING		a record came: the primary logs every commit with xid >= H,
 *				where H is the primary's next xid when its logging began
 *				(it logs for its whole lifetime: PGC_POSTMASTER); and
 *				replay began at a checkpoint whose next xid is S, so every
 *				xid >= S has its record replayed here.  Served once no xid
 *				below max(H, S) is in progress (a snapshot's xmin)
 *	READY		the global epoch is bumped, then released: serve
 *
 * An in-flight table that overflows raises the horizon past the xid it
 * could not record and goes back to WAITING (the global epoch again).
 * A primary that stops logging: a primary that ever started with the
 * setting on leaves a file in its data directory; started with it off,
 * its first commit or prepare inserts an OFF record first, and removes the
 * file once that is flushed.  The OFF record puts standbys back to UNKNOWN.
 * (A primary started without the library at all cannot: README.)
 *
 * End of recovery (promotion; rm_cleanup): the global epoch is bumped, the
 * in-flight table dropped with its pending counts, and the node is a
 * primary whose own hooks invalidate from then on.
 *
 * Records whose slot count differs from this server's
 * cognomega.cache_key_slots cannot be mapped: the database's epoch slot
 * stands for them (a blunt, safe invalidation).
 *
 * Locking contract: ReplicaShared.lock (tranche "cognomega_replica")
 * protects the in-flight table, the horizon and state changes; the state
 * is also an atomic read without it.  It is taken by the startup process
 * in redo and by readers on their miss path (conditionally: a busy lock
 * means another sweep is under way), never on the hit path once READY.
 * TransactionIdIsInProgress takes ProcArrayLock shared inside it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xloginsert.h"
#include "access/xlogrecovery.h"
#include "access/xlogreader.h"
#include "access/xlogutils.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

#include "cognomega.h"
#include "invalidate.h"
#include "replica.h"

#define XLOG_REPLICA_COMMIT		0x00	/* before a commit record */
#define XLOG_REPLICA_PREPARE	0x10	/* before a prepare record */
#define XLOG_REPLICA_OFF		0x20	/* the primary stopped logging */

#define REPLICA_MAX_SLOTS		128		/* invalidate.c's INVAL_MAX_WRITES */
#define REPLICA_MAX_INFLIGHT	1024
#define REPLICA_TRANCHE			"cognomega_replica"
#define REPLICA_MARKER			"cognomega_replica_invalidation"

/* the record (XLOG_REPLICA_COMMIT, XLOG_REPLICA_PREPARE) */
typedef struct xl_replica_writes
{
	TransactionId horizon;		/* H: every xid >= H is logged */
	Oid			dbid;
	uint32		key_slots;		/* the primary's cognomega.cache_key_slots */
	uint32		nslots;
	uint32		slots[FLEXIBLE_ARRAY_MEMBER];
} xl_replica_writes;

typedef enum ReplicaState
{
	REPLICA_PRIMARY = 0,		/* not in recovery (or never started it) */
	REPLICA_UNKNOWN,
	REPLICA_WAITING,
	REPLICA_READY
} ReplicaState;

typedef struct ReplicaInflight
{
	TransactionId xid;			/* InvalidTransactionId: a free place */
	uint32		nslots;
	uint32		slots[REPLICA_MAX_SLOTS];
} ReplicaInflight;

typedef struct ReplicaShared
{
	LWLock	   *lock;
	pg_atomic_uint32 state;		/* ReplicaState */
	bool		global_held;	/* the global epoch slot is held pending */
	TransactionId start_horizon;	/* S: next xid where replay began */
	TransactionId horizon;		/* served once no xid below it runs */
	TimeLineID	tli;			/* replay's timeline when it left UNKNOWN */
	pg_atomic_uint32 ninflight;
	/* primary side */
	pg_atomic_uint32 logging_horizon;	/* H of this lifetime, 0: not yet */
	bool		must_log_off;	/* the marker was found with the setting off */
	pg_atomic_uint32 off_logged;
	ReplicaInflight inflight[REPLICA_MAX_INFLIGHT];
} ReplicaShared;

bool		replica_invalidation = false;
static bool replica_debug_crash = false;	/* developer: TAP tests */

static ReplicaShared *replica_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void replica_redo(XLogReaderState *record);
static void replica_desc(StringInfo buf, XLogReaderState *record);
static const char *replica_identify(uint8 info);
static void replica_startup(void);
static void replica_cleanup(void);

static RmgrData replica_rmgr = {
	.rm_name = REPLICA_RM_NAME,
	.rm_redo = replica_redo,
	.rm_desc = replica_desc,
	.rm_identify = replica_identify,
	.rm_startup = replica_startup,
	.rm_cleanup = replica_cleanup,
	.rm_mask = NULL,
	.rm_decode = NULL
};

/* ---- set-up ---- */

static Size
replica_shmem_size(void)
{
	return MAXALIGN(sizeof(ReplicaShared));
}

static void
replica_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(replica_shmem_size());
	RequestNamedLWLockTranche(REPLICA_TRANCHE, 1);
}

/*
 * Postmaster: the marker file says a lifetime of this data directory (or of
 * the primary it was copied from) logged records.  Made durable before any
 * backend can commit; found with the setting off, it asks for OFF.
 */
static void
replica_marker(ReplicaShared *s)
{
	struct stat st;
	bool		present = stat(REPLICA_MARKER, &st) == 0;

	if (replica_invalidation && !present)
	{
		int			fd = OpenTransientFile(REPLICA_MARKER,
										   O_CREAT | O_WRONLY | PG_BINARY);

		if (fd < 0)
			ereport(FATAL,
					(errcode_for_file_access(),
					 errmsg("could not create file \"%s\": %m", REPLICA_MARKER)));
		CloseTransientFile(fd);
		fsync_fname(REPLICA_MARKER, false);
		fsync_fname(".", true);
	}
	s->must_log_off = !replica_invalidation && present;
}

static void
replica_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	replica_shared = ShmemInitStruct("cognomega replica", replica_shmem_size(),
									 &found);
	if (!found)
	{
		ReplicaShared *s = replica_shared;

		memset(s, 0, sizeof(ReplicaShared));
		s->lock = &(GetNamedLWLockTranche(REPLICA_TRANCHE))->lock;
		pg_atomic_init_u32(&s->state, REPLICA_PRIMARY);
		pg_atomic_init_u32(&s->ninflight, 0);
		pg_atomic_init_u32(&s->logging_horizon, InvalidTransactionId);
		pg_atomic_init_u32(&s->off_logged, 0);
		replica_marker(s);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
replica_init(void)
{
	/*
	 * PGC_POSTMASTER: the standby's argument needs a primary that logs for
	 * its whole lifetime (every xid from H on); a switch at reload or per
	 * session would let commits go unlogged while standbys serve.
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomBoolVariable("cognomega.replica_invalidation",
							 "Lets hot standbys serve the result cache: the primary logs each writing transaction's invalidations in WAL.",
							 "Requires cognomega in shared_preload_libraries wherever this WAL is replayed (standbys, crash recovery, point-in-time recovery).",
							 &replica_invalidation,
							 false,
							 PGC_POSTMASTER, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("cognomega.debug_replica_crash_after_record",
							 "Developer option: PANIC right after the invalidation record of the next writing commit.",
							 "Lets tests crash the primary between that record and the commit record.",
							 &replica_debug_crash,
							 false,
							 PGC_SUSET, GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
	/* always: a standby must be able to replay records, whatever its setting */
	RegisterCustomRmgr(REPLICA_RM_ID, &replica_rmgr);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = replica_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = replica_shmem_startup;
}

/* ---- the primary ---- */

/*
 * The first commit or prepare of a lifetime started with the setting off,
 * after one with it on: OFF goes first, flushed, then the marker.  Others
 * wait on the lock until it is inserted, so no commit record precedes it.
 */
static void
replica_log_off(void)
{
	char		zero = 0;
	XLogRecPtr	lsn;
	bool		mine = false;

	if (pg_atomic_read_u32(&replica_shared->off_logged) != 0)
		return;
	LWLockAcquire(replica_shared->lock, LW_EXCLUSIVE);
	if (pg_atomic_read_u32(&replica_shared->off_logged) == 0)
	{
		XLogBeginInsert();
		XLogRegisterData(&zero, 1);
		lsn = XLogInsert(REPLICA_RM_ID, XLOG_REPLICA_OFF);
		XLogFlush(lsn);
		pg_atomic_write_u32(&replica_shared->off_logged, 1);
		mine = true;
	}
	LWLockRelease(replica_shared->lock);
	if (mine)
		(void) durable_unlink(REPLICA_MARKER, LOG);
}

/* H of this lifetime: the next xid when its first record is made */
static TransactionId
replica_logging_horizon(void)
{
	uint32		h = pg_atomic_read_u32(&replica_shared->logging_horizon);

	if (h == InvalidTransactionId)
	{
		uint32		expected = InvalidTransactionId;

		h = ReadNextTransactionId();
		if (!pg_atomic_compare_exchange_u32(&replica_shared->logging_horizon,
											&expected, h))
			h = expected;
	}
	return h;
}

void
replica_log_writes(const uint32 *slots, int nslots, bool prepare)
{
	xl_replica_writes xl;
	XLogRecPtr	lsn;

	if (replica_shared == NULL || !XLogStandbyInfoActive())
		return;
	if (!replica_invalidation)
	{
		if (replica_shared->must_log_off &&
			TransactionIdIsValid(GetTopTransactionIdIfAny()))
			replica_log_off();
		return;
	}
	/* without an xid there is no commit record: nothing changes there */
	if (nslots == 0 || !TransactionIdIsValid(GetTopTransactionIdIfAny()))
		return;
	Assert(nslots <= REPLICA_MAX_SLOTS);
	xl.horizon = replica_logging_horizon();
	xl.dbid = MyDatabaseId;
	xl.key_slots = inval_nslots();
	xl.nslots = (uint32) Min(nslots, REPLICA_MAX_SLOTS);
	XLogBeginInsert();
	XLogRegisterData((char *) &xl, offsetof(xl_replica_writes, slots));
	XLogRegisterData((char *) slots, xl.nslots * sizeof(uint32));
	lsn = XLogInsert(REPLICA_RM_ID,
					 prepare ? XLOG_REPLICA_PREPARE : XLOG_REPLICA_COMMIT);
	if (replica_debug_crash)
	{
		XLogFlush(lsn);
		ereport(PANIC,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("cognomega.debug_replica_crash_after_record: crash before the commit record")));
	}
}

/* ---- the standby's state ---- */

/* caller holds the lock */
static void
replica_hold_global(void)
{
	inval_bump_global();
	if (!replica_shared->global_held)
	{
		inval_hold_slot(inval_global_slot());
		replica_shared->global_held = true;
	}
}

/* caller holds the lock: bump, then release (as a commit does) */
static void
replica_release_global(void)
{
	inval_bump_global();
	if (replica_shared->global_held)
	{
		inval_release_slot(inval_global_slot());
		replica_shared->global_held = false;
	}
}

/* caller holds the lock */
static void
replica_raise_horizon(TransactionId h)
{
	if (!TransactionIdIsValid(replica_shared->horizon) ||
		TransactionIdPrecedes(replica_shared->horizon, h))
		replica_shared->horizon = h;
}

/* the timeline replay is on (of the last record replayed) */
static TimeLineID
replica_replay_tli(void)
{
	TimeLineID	tli;

	(void) GetXLogReplayRecPtr(&tli);
	return tli;
}

/* caller holds the lock: leave READY (or stay out of it) */
static void
replica_set_state(ReplicaState st)
{
	if (st != REPLICA_READY)
		replica_hold_global();
	pg_atomic_write_u32(&replica_shared->state, st);
}

/* caller holds the lock: bump and release what finished transactions hold */
static void
replica_sweep_locked(void)
{
	for (int i = 0; i < REPLICA_MAX_INFLIGHT &&
		 pg_atomic_read_u32(&replica_shared->ninflight) > 0; i++)
	{
		ReplicaInflight *f = &replica_shared->inflight[i];

		if (!TransactionIdIsValid(f->xid) || TransactionIdIsInProgress(f->xid))
			continue;
		inval_bump_slots(f->slots, f->nslots);
		for (uint32 j = 0; j < f->nslots; j++)
			inval_release_slot(f->slots[j]);
		f->xid = InvalidTransactionId;
		pg_atomic_fetch_sub_u32(&replica_shared->ninflight, 1);
	}
}

void
replica_sweep(void)
{
	if (replica_shared == NULL ||
		pg_atomic_read_u32(&replica_shared->ninflight) == 0 ||
		!RecoveryInProgress())
		return;
	if (!LWLockConditionalAcquire(replica_shared->lock, LW_EXCLUSIVE))
		return;
	if (pg_atomic_read_u32(&replica_shared->state) != REPLICA_PRIMARY)
		replica_sweep_locked();
	LWLockRelease(replica_shared->lock);
}

/*
 * WAITING: READY once no transaction below the horizon is in progress (the
 * xmin of a fresh snapshot: a standby's is the oldest KnownAssignedXid).
 */
static bool
replica_try_ready(void)
{
	TransactionId xmin = GetLatestSnapshot()->xmin;
	bool		ready;

	LWLockAcquire(replica_shared->lock, LW_EXCLUSIVE);
	if (pg_atomic_read_u32(&replica_shared->state) == REPLICA_WAITING &&
		TransactionIdFollowsOrEquals(xmin, replica_shared->horizon))
	{
		replica_release_global();
		pg_atomic_write_u32(&replica_shared->state, REPLICA_READY);
	}
	ready = pg_atomic_read_u32(&replica_shared->state) == REPLICA_READY;
	LWLockRelease(replica_shared->lock);
	return ready;
}

bool
replica_serving(void)
{
	uint32		st;

	if (!replica_invalidation || replica_shared == NULL)
		return false;
	st = pg_atomic_read_u32(&replica_shared->state);
	if ((st == REPLICA_READY || st == REPLICA_WAITING) &&
		replica_replay_tli() != replica_shared->tli)
	{
		/*
		 * Replay went on to another timeline: the upstream was promoted (or
		 * this standby now follows one that was), and the new primary may
		 * not log.  Nothing is served until a record of its own says so.
		 */
		LWLockAcquire(replica_shared->lock, LW_EXCLUSIVE);
		st = pg_atomic_read_u32(&replica_shared->state);
		if ((st == REPLICA_READY || st == REPLICA_WAITING) &&
			replica_replay_tli() != replica_shared->tli)
			replica_set_state(REPLICA_UNKNOWN);
		LWLockRelease(replica_shared->lock);
		return false;
	}
	if (st == REPLICA_READY)
		return true;
	if (st != REPLICA_WAITING || !IsTransactionState() || IsInParallelMode())
		return false;
	return replica_try_ready();
}

/* ---- redo ---- */

/* caller holds the lock */
static void
replica_redo_writes(TransactionId xid, const xl_replica_writes *xl)
{
	ReplicaInflight *f = NULL;
	uint32		epoch[1];
	const uint32 *slots = xl->slots;
	uint32		nslots = Min(xl->nslots, REPLICA_MAX_SLOTS);

	if (pg_atomic_read_u32(&replica_shared->state) != REPLICA_UNKNOWN &&
		replica_replay_tli() != replica_shared->tli)
	{
		/* a record from a new primary after a timeline switch: start over */
		replica_raise_horizon(ReadNextTransactionId());
		replica_set_state(REPLICA_UNKNOWN);
	}
	if (pg_atomic_read_u32(&replica_shared->state) == REPLICA_UNKNOWN)
	{
		replica_shared->tli = replica_replay_tli();
		replica_raise_horizon(xl->horizon);
		replica_set_state(REPLICA_WAITING);
	}
	if (standbyState == STANDBY_SNAPSHOT_READY)
		replica_sweep_locked();

	/* another slot count: the database's epoch stands for them */
	for (uint32 i = 0; i < nslots; i++)
		if (xl->key_slots != inval_nslots() || slots[i] >= inval_nslots())
		{
			epoch[0] = inval_db_epoch_slot_of(xl->dbid);
			slots = epoch;
			nslots = 1;
			break;
		}

	for (int i = 0; i < REPLICA_MAX_INFLIGHT && f == NULL; i++)
		if (!TransactionIdIsValid(replica_shared->inflight[i].xid))
			f = &replica_shared->inflight[i];
	if (f == NULL || !TransactionIdIsValid(xid))
	{
		/* not recorded: serve nothing until it has finished */
		TransactionId next = xid;

		TransactionIdAdvance(next);
		replica_raise_horizon(next);
		replica_set_state(REPLICA_WAITING);
		return;
	}
	for (uint32 i = 0; i < nslots; i++)
	{
		inval_hold_slot(slots[i]);
		f->slots[i] = slots[i];
	}
	f->nslots = nslots;
	f->xid = xid;
	pg_atomic_fetch_add_u32(&replica_shared->ninflight, 1);
}

static void
replica_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	if (replica_shared == NULL || !replica_invalidation)
		return;
	LWLockAcquire(replica_shared->lock, LW_EXCLUSIVE);
	switch (info)
	{
		case XLOG_REPLICA_COMMIT:
		case XLOG_REPLICA_PREPARE:
			replica_redo_writes(XLogRecGetXid(record),
								(const xl_replica_writes *) XLogRecGetData(record));
			break;
		case XLOG_REPLICA_OFF:
			replica_set_state(REPLICA_UNKNOWN);
			break;
		default:
			LWLockRelease(replica_shared->lock);
			elog(PANIC, "cognomega redo: unknown op code %u", info);
	}
	LWLockRelease(replica_shared->lock);
}

/* start of recovery: nothing is served until a record says it may be */
static void
replica_startup(void)
{
	if (replica_shared == NULL)
		return;
	LWLockAcquire(replica_shared->lock, LW_EXCLUSIVE);
	replica_shared->start_horizon = ReadNextTransactionId();
	replica_shared->horizon = replica_shared->start_horizon;
	replica_set_state(REPLICA_UNKNOWN);
	LWLockRelease(replica_shared->lock);
}

/* end of recovery (promotion, or crash recovery done): a primary now */
static void
replica_cleanup(void)
{
	if (replica_shared == NULL)
		return;
	LWLockAcquire(replica_shared->lock, LW_EXCLUSIVE);
	inval_bump_global();
	for (int i = 0; i < REPLICA_MAX_INFLIGHT; i++)
	{
		ReplicaInflight *f = &replica_shared->inflight[i];

		if (!TransactionIdIsValid(f->xid))
			continue;
		for (uint32 j = 0; j < f->nslots; j++)
			inval_release_slot(f->slots[j]);
		f->xid = InvalidTransactionId;
	}
	pg_atomic_write_u32(&replica_shared->ninflight, 0);
	replica_release_global();
	pg_atomic_write_u32(&replica_shared->state, REPLICA_PRIMARY);
	LWLockRelease(replica_shared->lock);
}

/* ---- pg_waldump, pg_walinspect, error contexts ---- */

static void
replica_desc(StringInfo buf, XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;
	const xl_replica_writes *xl;

	if (info == XLOG_REPLICA_OFF)
	{
		appendStringInfoString(buf, "the primary stopped logging invalidations");
		return;
	}
	if (info != XLOG_REPLICA_COMMIT && info != XLOG_REPLICA_PREPARE)
		return;
	xl = (const xl_replica_writes *) XLogRecGetData(record);
	appendStringInfo(buf, "db %u; horizon %u; %u of %u slots:",
					 xl->dbid, xl->horizon, xl->nslots, xl->key_slots);
	for (uint32 i = 0; i < xl->nslots && i < REPLICA_MAX_SLOTS; i++)
		appendStringInfo(buf, " %u", xl->slots[i]);
}

static const char *
replica_identify(uint8 info)
{
	switch (info & ~XLR_INFO_MASK)
	{
		case XLOG_REPLICA_COMMIT:
			return "WRITES_COMMIT";
		case XLOG_REPLICA_PREPARE:
			return "WRITES_PREPARE";
		case XLOG_REPLICA_OFF:
			return "LOGGING_OFF";
	}
	return NULL;
}
