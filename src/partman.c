/*-------------------------------------------------------------------------
 *
 * partman.c
 *		Time-based partition management for RANGE-partitioned tables
 *		(DESIGN.md section 2): create_parent, run_maintenance,
 *		partition_data, show_partitions, undo_parent, partition_status.
 *
 * The catalogs are read in C: the partition key from the relcache
 * (RelationGetPartitionKey) and every partition's bounds in one pass over
 * the relcache's PartitionBoundInfo, so deciding that there is nothing to
 * do costs one lock, one relcache read and a one-tuple probe of the default
 * partition per parent.  Every change (CREATE TABLE, ATTACH, DETACH, DROP,
 * moving rows) goes through SPI as SQL, so PostgreSQL's own privilege
 * checks, propagation of indexes/constraints/triggers to partitions and the
 * cache's invalidation hooks see it exactly as if a DBA had typed it.
 *
 * Bounds.  A key value is handled as a "raw" int64 in the key type's own
 * unit (microseconds for timestamp/timestamptz, days for date).  Partition
 * slots are computed on the parent's "local" time: for timestamptz the wall
 * clock of part_config.time_zone (UTC unless configured), never the
 * session's TimeZone, so bounds do not drift with the caller and a daily or
 * monthly slot stays at local midnight across DST changes.  Slots align on
 * the calendar: months on January of year 0 (so 3 months gives quarters),
 * days on Monday 2000-01-03 (so 7 days gives ISO weeks), sub-day intervals
 * on 2000-01-01 00:00.  A slot that overlaps a partition made by hand is
 * clipped to the gap, never refused.
 *
 * Locking contract.  Per parent, ShareUpdateExclusiveLock is taken first
 * (it conflicts with itself, so two maintainers of one parent serialise;
 * queries and inserts are not blocked while we look) -- without waiting
 * when our transaction already holds a lock in the parent's tree, see
 * pm_lock_parent.  When there is work,
 * AccessExclusiveLock on the parent and then on its default partition are
 * taken before the first change, always in that order, so any wait happens
 * before anything is changed.  Every wait obeys the session's lock_timeout.
 * Why not ATTACH under ShareUpdateExclusive alone: an INSERT running
 * concurrently keeps the partition descriptor it started with, routes a row
 * of the new range to the default partition, and then fails with "violates
 * partition constraint" once the ATTACH commits (tested: partman-rescue
 * spec); with AccessExclusive it waits and then routes correctly.
 * Retention then locks (AccessExclusive) every partition it drops or
 * detaches, in bound order, before the first DROP/DETACH.
 *
 * Subtransactions.  run_maintenance runs each parent in its own
 * subtransaction: a lock timeout on the parent or its default partition,
 * or any error before the steps, rolls that parent back completely, becomes
 * a WARNING (and part_config.last_error), and the next parent is
 * maintained.  Inside it two steps run, each in a nested subtransaction of
 * its own: creating partitions (rescuing the default's rows, then filling
 * the premade window), then retention.  A step that fails (a foreign key
 * blocking a DROP, a referenced row blocking a DETACH, a lock timeout on an
 * old partition, ...) is rolled back whole with its locks, WARNs naming the
 * step, and the other step's work is kept.  No lock of ours is held
 * between parents beyond the transaction; run_maintenance_proc commits
 * after each.
 *
 * Privileges.  The caller must own the parent (be a member of its owner
 * role).  The changes to a parent run as its owner (SECURITY_RESTRICTED_
 * OPERATION, as autovacuum and REFRESH MATERIALIZED VIEW do), so partitions
 * made by the worker or a superuser belong to the table's owner.  Writes to
 * cognomega.part_config run as that table's owner after those checks, so
 * non-superuser owners can manage their own tables.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/tablespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_partitioned_table.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "partitioning/partbounds.h"
#include "pgtime.h"
#include "partitioning/partdesc.h"
#include "catalog/pg_inherits.h"
#include "storage/lmgr.h"
#include "catalog/pg_authid.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "compat.h"
#include "partman.h"

/* rows moved per statement when rescuing rows from a default partition */
#define PM_RESCUE_BATCH 10000
/* safety bound on the partitions one parent gets in one call */
#define PM_MAX_NEW_PARTITIONS 100000

/*
 * Every operator in the SQL below is schema-qualified: part_config is
 * written as its owner and maintenance often runs as a superuser (worker,
 * pg_cron), so an operator planted on the search_path (there is no
 * pg_catalog "=" of exactly regclass, regclass) must never be picked.
 */
#define PM_EQ_PARENT "OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"

#define PM_RAW_MIN PG_INT64_MIN
#define PM_RAW_MAX PG_INT64_MAX

typedef enum PmUnit
{
	PM_MONTHS,					/* step counts months */
	PM_DAYS,					/* step counts days */
	PM_USECS					/* step counts microseconds */
} PmUnit;

/* one row of cognomega.part_config */
typedef struct PmConfig
{
	Oid			parent;
	char	   *control;
	Interval	interval;
	int			premake;
	bool		has_retention;
	Interval	retention;
	bool		keep_table;
	char	   *zone;
	bool		has_last;
	TimestampTz last_maintenance;
	char	   *last_error;
} PmConfig;

/* a partition's range, raw, [lo, hi) */
typedef struct PmRange
{
	Oid			relid;
	int64		lo;
	int64		hi;
} PmRange;

/* a locked parent and what its catalogs say */
typedef struct PmParent
{
	Oid			relid;
	Oid			owner;
	char	   *nspname;
	char	   *relname;
	Oid			tablespace;
	Oid			keytype;
	char	   *keycol;
	int32		keytypmod;		/* precision of a timestamp key, -1 if none */
	PmUnit		unit;
	int64		step;
	Datum		zone;			/* text datum of the fixed zone */
	int			nparts;
	PmRange    *parts;			/* in bound order */
	Oid			defpart;		/* InvalidOid if none */
	char		defkind;		/* its relkind */
	bool		default_busy;	/* default holds rows: check before CREATE */
	List	   *actions;		/* PmAction, in order taken */
	int			ncreated;
	int64		nmoved;
} PmParent;

typedef struct PmAction
{
	char	   *action;
	char	   *partition;
} PmAction;

static Oid	pm_config_owner(void);

/* ------------------------------------------------------------------------
 * Intervals, keys and slots
 * ------------------------------------------------------------------------
 */

static void
pm_interval_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid partition interval"),
			 errdetail("%s", detail)));
}

/*
 * Classify a partition interval: a whole number of months, of days, or (for
 * timestamp keys) a fixed time.  Raises 22023 for anything else.
 */
static void
pm_classify_interval(const Interval *iv, Oid keytype, PmUnit *unit, int64 *step)
{
	if (iv->month < 0 || iv->day < 0 || iv->time < 0 ||
		(iv->month == 0 && iv->day == 0 && iv->time == 0))
		pm_interval_error("The partition interval must be greater than zero.");
	if (iv->month > 0)
	{
		if (iv->day != 0 || iv->time != 0)
			pm_interval_error("An interval of months must be a whole number of months, without days or hours.");
		*unit = PM_MONTHS;
		*step = iv->month;
		return;
	}
	if (iv->time == 0 || (keytype == DATEOID && iv->time % USECS_PER_DAY == 0))
	{
		/* on a date key, hours making whole days ('48 hours') are days */
		*unit = PM_DAYS;
		*step = iv->day + iv->time / USECS_PER_DAY;
		return;
	}
	if (keytype == DATEOID)
		pm_interval_error("A date partition key needs a whole number of days or months.");
	if (iv->time % USECS_PER_SEC != 0 && iv->day == 0 && iv->time < USECS_PER_SEC)
		pm_interval_error("The partition interval must be at least one second.");
	*unit = PM_USECS;
	*step = (int64) iv->day * USECS_PER_DAY + iv->time;
}

static int64
pm_raw_from_datum(Oid keytype, Datum d)
{
	if (keytype == DATEOID)
		return (int64) DatumGetDateADT(d);
	return DatumGetInt64(d);
}

static Datum
pm_datum_from_raw(Oid keytype, int64 raw)
{
	if (keytype == DATEOID)
		return DateADTGetDatum((DateADT) raw);
	return Int64GetDatum(raw);
}

static bool
pm_raw_is_finite(const PmParent *pp, int64 raw)
{
	if (raw == PM_RAW_MIN || raw == PM_RAW_MAX)
		return false;
	if (pp->keytype == DATEOID)
		return !DATE_NOT_FINITE((DateADT) raw);
	return !TIMESTAMP_NOT_FINITE(raw);
}

/* raw key value -> wall clock of the parent's fixed zone */
static Timestamp
pm_to_local(const PmParent *pp, int64 raw)
{
	if (pp->keytype == DATEOID)
	{
		if (raw < MIN_TIMESTAMP / USECS_PER_DAY || raw >= END_TIMESTAMP / USECS_PER_DAY)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("date out of range for partitioning"),
					 errdetail("Partition bounds of a date key must lie in the range of timestamp.")));
		return raw * USECS_PER_DAY;
	}
	if (pp->keytype == TIMESTAMPOID)
		return raw;
	return DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, pp->zone,
												 TimestampTzGetDatum(raw)));
}

/* wall clock of the parent's fixed zone -> raw key value */
static int64
pm_to_raw(const PmParent *pp, Timestamp local)
{
	if (pp->keytype == DATEOID)
	{
		int64		days = local / USECS_PER_DAY;

		if (local < 0 && local % USECS_PER_DAY != 0)
			days--;
		return days;
	}
	if (pp->keytype == TIMESTAMPOID)
		return local;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, pp->zone,
												   TimestampGetDatum(local)));
}

/* raw key value -> timestamptz for display (timestamp/date in the fixed zone) */
static TimestampTz
pm_raw_to_tstz(const PmParent *pp, int64 raw)
{
	if (raw == PM_RAW_MIN)
		return DT_NOBEGIN;
	if (raw == PM_RAW_MAX)
		return DT_NOEND;
	if (pp->keytype == TIMESTAMPTZOID)
		return raw;
	if (!pm_raw_is_finite(pp, raw))
		return raw < 0 ? DT_NOBEGIN : DT_NOEND;
	/* a date bound beyond timestamp's range shows as -infinity / infinity */
	if (pp->keytype == DATEOID && raw < MIN_TIMESTAMP / USECS_PER_DAY + 2)
		return DT_NOBEGIN;
	if (pp->keytype == DATEOID && raw >= END_TIMESTAMP / USECS_PER_DAY - 2)
		return DT_NOEND;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, pp->zone,
												   TimestampGetDatum(pm_to_local(pp, raw))));
}

static int64
pm_floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static Timestamp
pm_tm_to_local(struct pg_tm *tm)
{
	Timestamp	ts;

	if (tm2timestamp(tm, 0, NULL, &ts) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("partition bound out of range")));
	return ts;
}

static Timestamp
pm_month_start(int64 month_index)
{
	struct pg_tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int) pm_floor_div(month_index, 12);
	tm.tm_mon = (int) (month_index - (int64) tm.tm_year * 12) + 1;
	tm.tm_mday = 1;
	return pm_tm_to_local(&tm);
}

static int64
pm_month_index(Timestamp local)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return (int64) tm.tm_year * 12 + tm.tm_mon - 1;
}

/* 2000-01-03, the first Monday after PostgreSQL's epoch, in days */
#define PM_DAY_ORIGIN 2

/* Start (local) of the slot that contains local + n slots */
static Timestamp
pm_slot_start(const PmParent *pp, Timestamp local, int64 n)
{
	switch (pp->unit)
	{
		case PM_MONTHS:
			{
				int64		k = pm_floor_div(pm_month_index(local), pp->step);

				return pm_month_start((k + n) * pp->step);
			}
		case PM_DAYS:
			{
				int64		day = pm_floor_div(local, USECS_PER_DAY);
				int64		k = pm_floor_div(day - PM_DAY_ORIGIN, pp->step);

				return (PM_DAY_ORIGIN + (k + n) * pp->step) * USECS_PER_DAY;
			}
		case PM_USECS:
			return (pm_floor_div(local, pp->step) + n) * pp->step;
	}
	return 0;					/* keep the compiler quiet */
}

/* ------------------------------------------------------------------------
 * Reading a parent
 * ------------------------------------------------------------------------
 */

static void
pm_not_supported(Relation rel, int code, const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(code),
			 errmsg(msg, RelationGetRelationName(rel)),
			 errdetail("%s", detail)));
}

/* Check rel is a RANGE-partitioned table on one timestamptz/timestamp/date column */
static void
pm_check_key(Relation rel, PmParent *pp)
{
	PartitionKey key;

	if (rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		pm_not_supported(rel, ERRCODE_WRONG_OBJECT_TYPE,
						 "table \"%s\" is not partitioned",
						 "cognomega manages RANGE-partitioned tables only.");
	key = RelationGetPartitionKey(rel);
	if (key->strategy != PARTITION_STRATEGY_RANGE)
		pm_not_supported(rel, ERRCODE_WRONG_OBJECT_TYPE,
						 "table \"%s\" is not partitioned by RANGE",
						 "cognomega manages RANGE-partitioned tables only; LIST and HASH partitioning have no time ranges to maintain.");
	if (key->partnatts != 1)
		pm_not_supported(rel, ERRCODE_FEATURE_NOT_SUPPORTED,
						 "table \"%s\" has a multi-column partition key",
						 "cognomega manages tables partitioned on exactly one column.");
	if (key->partattrs[0] == 0)
		pm_not_supported(rel, ERRCODE_FEATURE_NOT_SUPPORTED,
						 "table \"%s\" is partitioned on an expression",
						 "cognomega manages tables partitioned on a plain column.");
	pp->keytype = key->parttypid[0];
	pp->keytypmod = TupleDescAttr(RelationGetDescr(rel), key->partattrs[0] - 1)->atttypmod;
	pp->keycol = pstrdup(NameStr(TupleDescAttr(RelationGetDescr(rel),
											   key->partattrs[0] - 1)->attname));
}

static void
pm_check_key_type(Relation rel, PmParent *pp)
{
	if (pp->keytype != TIMESTAMPTZOID && pp->keytype != TIMESTAMPOID &&
		pp->keytype != DATEOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("partition key column \"%s\" of table \"%s\" is of type %s",
						pp->keycol, RelationGetRelationName(rel),
						format_type_be(pp->keytype)),
				 errdetail("The partition key must be of type timestamptz, timestamp or date.")));
}

static void
pm_check_control(Relation rel, const PmParent *pp, const char *control)
{
	if (get_attnum(RelationGetRelid(rel), control) == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" does not exist",
						control, RelationGetRelationName(rel))));
	if (strcmp(control, pp->keycol) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
				 errmsg("column \"%s\" is not the partition key of table \"%s\"",
						control, RelationGetRelationName(rel)),
				 errdetail("The partition key column is \"%s\".", pp->keycol)));
}

/*
 * A temporary parent cannot be managed: the worker and schedulers maintain
 * from other sessions, and it vanishes with its own session (no sql_drop
 * event then, so its part_config row would outlive it).
 */
static void
pm_check_not_temp(Relation rel)
{
	if (rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
		pm_not_supported(rel, ERRCODE_FEATURE_NOT_SUPPORTED,
						 "table \"%s\" is temporary",
						 "Partitions are maintained from other sessions (the worker, a scheduler), which cannot reach a temporary table.");
}

/* Copy the bounds of every range partition, in bound order, from the relcache */
static void
pm_read_partitions(PmParent *pp)
{
	Relation	rel = relation_open(pp->relid, NoLock);
	PartitionDesc pd = RelationGetPartitionDesc(rel, false);
	PartitionBoundInfo bi = pd->boundinfo;
	int			i;

	pp->defpart = get_default_oid_from_partdesc(pd);
	pp->defkind = OidIsValid(pp->defpart) ? get_rel_relkind(pp->defpart) : RELKIND_RELATION;
	pp->parts = palloc0(sizeof(PmRange) * (pd->nparts + 1));
	pp->nparts = 0;
	for (i = 1; bi != NULL && i < bi->ndatums; i++)
	{
		int			idx = bi->indexes[i];
		PmRange    *r;

		if (idx < 0)
			continue;
		r = &pp->parts[pp->nparts++];
		r->relid = pd->oids[idx];
		r->lo = bi->kind[i - 1][0] == PARTITION_RANGE_DATUM_MINVALUE ? PM_RAW_MIN :
			bi->kind[i - 1][0] == PARTITION_RANGE_DATUM_MAXVALUE ? PM_RAW_MAX :
			pm_raw_from_datum(pp->keytype, bi->datums[i - 1][0]);
		r->hi = bi->kind[i][0] == PARTITION_RANGE_DATUM_MINVALUE ? PM_RAW_MIN :
			bi->kind[i][0] == PARTITION_RANGE_DATUM_MAXVALUE ? PM_RAW_MAX :
			pm_raw_from_datum(pp->keytype, bi->datums[i][0]);
	}
	relation_close(rel, NoLock);
}

/*
 * Open (lock) and describe a parent.  Returns false when the relation no
 * longer exists (and missing_ok); raises the documented errors otherwise.
 */
static bool
pm_open_parent(Oid relid, LOCKMODE lockmode, const char *zone, bool missing_ok,
			   PmParent *pp)
{
	Relation	rel = try_relation_open(relid, lockmode);

	if (rel == NULL)
	{
		if (missing_ok)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table with OID %u does not exist", relid),
				 errhint("If it was a managed parent dropped behind cognomega's back, SELECT cognomega.undo_parent(%u); stops managing it.", relid)));
	}
	memset(pp, 0, sizeof(*pp));
	pp->relid = relid;
	pp->owner = rel->rd_rel->relowner;
	pp->nspname = get_namespace_name(RelationGetNamespace(rel));
	pp->relname = pstrdup(RelationGetRelationName(rel));
	pp->tablespace = rel->rd_rel->reltablespace;
	pm_check_key(rel, pp);
	pm_check_key_type(rel, pp);
	pp->zone = CStringGetTextDatum(zone ? zone : "UTC");
	relation_close(rel, NoLock);
	pm_read_partitions(pp);
	return true;
}

/*
 * A maintainer's first lock on a parent: ShareUpdateExclusive, waiting up
 * to lock_timeout.  Except when this transaction already holds a lock on
 * the parent or one of its partitions (its own INSERT, a SELECT, an earlier
 * step): another maintainer holding ShareUpdateExclusive may then be
 * waiting for our lock to go away before it can take AccessExclusive, and
 * queueing behind it would be a deadlock (40P01).  Then the lock is taken
 * only if it is free, and otherwise the parent is skipped as on a lock
 * timeout (55P03).
 */
static void
pm_lock_parent(Oid relid)
{
	List	   *tree;
	ListCell   *lc;

	if (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
	{
		/* gone, or not a parent any more: pm_open_parent says so */
		LockRelationOid(relid, ShareUpdateExclusiveLock);
		return;
	}
	tree = find_all_inheritors(relid, NoLock, NULL);
	foreach(lc, tree)
	{
		if (!CheckRelationOidLockedByMe(lfirst_oid(lc), AccessShareLock, true))
			continue;
		if (!ConditionalLockRelationOid(relid, ShareUpdateExclusiveLock))
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("could not lock table \"%s\" without waiting",
							get_rel_name(relid)),
					 errdetail("Another session holds a conflicting lock (another maintainer, VACUUM or DDL), and this transaction already holds a lock on the table or one of its partitions, so waiting could deadlock.")));
		break;
	}
	list_free(tree);
	LockRelationOid(relid, ShareUpdateExclusiveLock);
}

/*
 * pm_open_parent under AccessShareLock without waiting: 1 opened, 0 the
 * parent no longer exists, -1 its lock is held (maintenance at work).
 */
static int
pm_try_open_parent(Oid relid, const char *zone, PmParent *pp)
{
	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return -1;
	if (!pm_open_parent(relid, NoLock, zone, true, pp))
	{
		UnlockRelationOid(relid, AccessShareLock);
		return 0;
	}
	return 1;
}

/*
 * Become the parent's owner for its changes (restricted, as autovacuum and
 * REFRESH MATERIALIZED VIEW do); the previous identity goes to *save.
 * An error restores it through transaction or subtransaction abort.
 */
typedef struct PmSavedUser
{
	Oid			uid;
	int			sec;
	int			nest;			/* GUC nest level of the owner's code */
} PmSavedUser;

/*
 * Settings the owner's code changes (set_config(..., false) included) live
 * in a GUC nest level of their own, rolled back by pm_restore_user, as
 * REFRESH MATERIALIZED VIEW and index builds do: nothing reaches the
 * caller's session or the worker.
 */
static void
pm_become_owner(Oid owner, PmSavedUser *save)
{
	GetUserIdAndSecContext(&save->uid, &save->sec);
	SetUserIdAndSecContext(owner, save->sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save->nest = NewGUCNestLevel();
}

static void
pm_restore_user(const PmSavedUser *save)
{
	AtEOXact_GUC(false, save->nest);
	SetUserIdAndSecContext(save->uid, save->sec);
}

static void
pm_not_managed(Oid parent)
{
	char	   *relname = get_rel_name(parent);

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table with OID %u does not exist", parent)));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("table \"%s\" is not managed by cognomega", relname),
			 errhint("Register it with cognomega.create_parent().")));
}

/* ------------------------------------------------------------------------
 * Names and SQL text
 * ------------------------------------------------------------------------
 */

static char *
pm_qualified(const char *nsp, const char *rel)
{
	return quote_qualified_identifier(nsp, rel);
}

/* 'YYYY-MM-DD HH:MI:SS[.f]+00' etc.: a bound literal no session setting changes */
static char *
pm_literal(const PmParent *pp, int64 raw)
{
	struct pg_tm tm;
	fsec_t		fsec = 0;
	char		buf[MAXDATELEN + 1];

	if (pp->keytype == DATEOID)
	{
		j2date((int) raw + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
		EncodeDateOnly(&tm, USE_ISO_DATES, buf);
	}
	else
	{
		if (timestamp2tm(raw, NULL, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("partition bound out of range")));
		tm.tm_isdst = 0;		/* else EncodeDateTime omits the "+00" */
		EncodeDateTime(&tm, fsec, pp->keytype == TIMESTAMPTZOID, 0, NULL,
					   USE_ISO_DATES, buf);
	}
	return quote_literal_cstr(buf);
}

/* suffix from the slot's local start: _pYYYYMMDD, or _pYYYYMMDD_HHMI[SS] below a day */
static char *
pm_name_suffix(const PmParent *pp, int64 lo_raw)
{
	struct pg_tm tm;
	fsec_t		fsec;
	Timestamp	local = pm_to_local(pp, lo_raw);

	/*
	 * A day or month slot whose local midnight does not exist (a DST change
	 * at midnight) starts at the first instant after it: name it by its
	 * day, as its neighbours.
	 */
	if (pp->unit != PM_USECS)
	{
		Timestamp	nominal = pm_slot_start(pp, local, 0);

		if (nominal != local && pm_to_raw(pp, nominal) == lo_raw)
			local = nominal;
	}
	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("partition bound out of range")));
	if (pp->unit != PM_USECS && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0)
		return psprintf("_p%04d%02d%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
	if (tm.tm_sec == 0)
		return psprintf("_p%04d%02d%02d_%02d%02d", tm.tm_year, tm.tm_mon,
						tm.tm_mday, tm.tm_hour, tm.tm_min);
	return psprintf("_p%04d%02d%02d_%02d%02d%02d", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * base + suffix, the base clipped on a character boundary so the name fits
 * in NAMEDATALEN - 1 bytes, and made unique in the parent's schema by a
 * counter ("_2", "_3", ...) when a relation of that name already exists.
 */
static char *
pm_unique_name(const PmParent *pp, const char *suffix)
{
	Oid			nspid = get_namespace_oid(pp->nspname, false);
	int			n;

	for (n = 1; n < 10000; n++)
	{
		char	   *sfx = n == 1 ? pstrdup(suffix) : psprintf("%s_%d", suffix, n);
		int			room = NAMEDATALEN - 1 - (int) strlen(sfx);
		int			len = pg_mbcliplen(pp->relname, strlen(pp->relname), room);
		char	   *name = psprintf("%.*s%s", len, pp->relname, sfx);

		/* a relation's row type takes the name in pg_type too */
		if (!OidIsValid(get_relname_relid(name, nspid)) &&
			!OidIsValid(GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum(name),
										ObjectIdGetDatum(nspid))))
			return name;
	}
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_TABLE),
			 errmsg("could not find a free name for a partition of \"%s\"", pp->relname)));
	return NULL;				/* keep the compiler quiet */
}

/* column list of the parent: every live, non-generated column, quoted */
static char *
pm_column_list(const PmParent *pp)
{
	Relation	rel = relation_open(pp->relid, NoLock);
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attgenerated)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
						 quote_identifier(NameStr(att->attname)));
	}
	relation_close(rel, NoLock);
	return buf.data;
}

/* ------------------------------------------------------------------------
 * SPI helpers
 * ------------------------------------------------------------------------
 */

static uint64
pm_exec(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc < 0)
		elog(ERROR, "SPI_execute failed: %s (%s)", SPI_result_code_string(rc), sql);
	return SPI_processed;
}

static uint64
pm_exec_args(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s (%s)", SPI_result_code_string(rc), sql);
	return SPI_processed;
}

/* run a statement on cognomega.part_config as that table's owner */
static uint64
pm_config_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	Oid			save_uid;
	int			save_sec;
	uint64		n;

	GetUserIdAndSecContext(&save_uid, &save_sec);
	SetUserIdAndSecContext(pm_config_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	n = pm_exec_args(sql, nargs, types, values, nulls);
	SetUserIdAndSecContext(save_uid, save_sec);
	return n;
}

static Oid
pm_config_relid(void)
{
	Oid			nsp = get_namespace_oid("cognomega", false);
	Oid			relid = get_relname_relid("part_config", nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table cognomega.part_config does not exist"),
				 errhint("Run CREATE EXTENSION cognomega; first.")));
	return relid;
}

static Oid
pm_config_owner(void)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(pm_config_relid()));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for cognomega.part_config");
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Record an action on partition relid, named as regclass would print it
 * (qualified only when not visible in the search_path), so it compares
 * equal to show_partitions().partition::text.
 */
static void
pm_add_action(PmParent *pp, const char *action, Oid relid)
{
	PmAction   *a = palloc(sizeof(PmAction));

	a->action = pstrdup(action);
	a->partition = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
	pp->actions = lappend(pp->actions, a);
}

/* ------------------------------------------------------------------------
 * The default partition
 * ------------------------------------------------------------------------
 */

/* Does the default partition hold any row (latest committed state)? */
static bool
pm_default_has_rows(const PmParent *pp)
{
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	Snapshot	snap;
	bool		found;

	/* a partitioned or foreign default has no heap to probe: see pm_odd_default */
	if (!OidIsValid(pp->defpart) || pp->defkind != RELKIND_RELATION)
		return false;
	rel = table_open(pp->defpart, AccessShareLock);
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snap, 0, NULL);
	slot = table_slot_create(rel, NULL);
	found = table_scan_getnextslot(scan, ForwardScanDirection, slot);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, NoLock);
	return found;
}

/*
 * A default partition that is not a plain table (partitioned, foreign):
 * its rows are never moved.  NULL when the default is a plain table (or
 * there is none), else why.
 */
static char *
pm_odd_default(const PmParent *pp)
{
	if (!OidIsValid(pp->defpart) || pp->defkind == RELKIND_RELATION)
		return NULL;
	return psprintf("default partition \"%s\" is %s; cognomega moves rows only out of a default partition that is a plain table",
					get_rel_name(pp->defpart),
					pp->defkind == RELKIND_PARTITIONED_TABLE ? "partitioned" :
					pp->defkind == RELKIND_FOREIGN_TABLE ? "a foreign table" : "not a table");
}

/*
 * The keys [*lo, *hi) of default-partition rows that can be placed in a
 * partition: finite, far enough from the ends of timestamp's range that
 * their slot's bounds exist (margins of a slot and two days of zone
 * offset), and in a slot that ends after the retention cutoff.  A NULL or
 * infinite key, or one outside this, is unplaceable: it stays in the
 * default and is no work for maintenance.
 */
static void
pm_placeable_range(const PmParent *pp, int64 cutoff, int64 *lo, int64 *hi)
{
	int64		day = pp->keytype == DATEOID ? 1 : USECS_PER_DAY;
	int64		min_raw = pp->keytype == DATEOID ? MIN_TIMESTAMP / USECS_PER_DAY : MIN_TIMESTAMP;
	int64		max_raw = pp->keytype == DATEOID ? END_TIMESTAMP / USECS_PER_DAY : END_TIMESTAMP;
	int64		half = max_raw / 2 - min_raw / 2;	/* no overflow */
	int64		margin;

	if ((pp->unit != PM_USECS && pp->step > 100000) ||
		(pp->unit == PM_USECS && pp->step > half / 2))
		margin = half;			/* slots of thousands of years: none fits */
	else if (pp->unit == PM_MONTHS)
		margin = (pp->step + 1) * 31 * day;
	else if (pp->unit == PM_DAYS)
		margin = (pp->step + 1) * day;
	else
		margin = pp->step + day;
	margin += 2 * day;
	*lo = min_raw + margin;
	*hi = max_raw - margin;
	if (cutoff != PM_RAW_MIN && cutoff > *lo)
		*lo = Min(pm_to_raw(pp, pm_slot_start(pp, pm_to_local(pp, cutoff), 0)), cutoff);
}

/*
 * Smallest key in the default partition greater than after and less than
 * below (raw); false when there is none.
 */
static bool
pm_default_next_key(const PmParent *pp, int64 after, int64 below, int64 *key)
{
	char	   *sql;
	Oid			types[2];
	Datum		values[2];
	bool		isnull;
	Datum		d;

	sql = psprintf("SELECT pg_catalog.min(%s) FROM ONLY %s WHERE %s OPERATOR(pg_catalog.>) $1"
				   " AND %s OPERATOR(pg_catalog.<) $2",
				   quote_identifier(pp->keycol),
				   pm_qualified(get_namespace_name(get_rel_namespace(pp->defpart)),
								get_rel_name(pp->defpart)),
				   quote_identifier(pp->keycol), quote_identifier(pp->keycol));
	types[0] = types[1] = pp->keytype;
	values[0] = after == PM_RAW_MIN ?
		(pp->keytype == DATEOID ? DateADTGetDatum(DATEVAL_NOBEGIN) : Int64GetDatum(DT_NOBEGIN)) :
		pm_datum_from_raw(pp->keytype, after);
	values[1] = pm_datum_from_raw(pp->keytype, below);
	pm_exec_args(sql, 2, types, values, NULL);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return false;
	*key = pm_raw_from_datum(pp->keytype, d);
	return true;
}

/*
 * Does the default partition hold a row maintenance could move?  An empty
 * default costs the one-tuple probe; only a non-empty one is queried.
 */
static bool
pm_default_has_placeable(const PmParent *pp, int64 cutoff)
{
	int64		lo,
				hi,
				key;

	if (!pm_default_has_rows(pp))
		return false;
	pm_placeable_range(pp, cutoff, &lo, &hi);
	return lo < hi && pm_default_next_key(pp, lo - 1, hi, &key);
}

/*
 * Why rows may not be moved out of the default partition now, or NULL.
 * A move is a DELETE from the default and an INSERT into a table attached
 * afterwards: a foreign key referencing the parent would see the DELETE
 * (ON DELETE CASCADE / SET NULL change the referencing table, NO ACTION
 * fails), and a publication of the parent would publish the DELETE but
 * not the INSERT, so a subscriber would lose the rows.  In both cases the
 * rows stay where they are (still visible through the parent).
 */
static char *
pm_move_refusal(const PmParent *pp)
{
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		values[2] = {ObjectIdGetDatum(pp->relid), ObjectIdGetDatum(pp->defpart)};

	pm_exec_args("SELECT c.conname::pg_catalog.text, c.conrelid::pg_catalog.regclass::pg_catalog.text"
				 "  FROM pg_catalog.pg_constraint c"
				 " WHERE c.contype OPERATOR(pg_catalog.=) 'f'"
				 "   AND c.confrelid OPERATOR(pg_catalog.=) ANY (ARRAY[$1, $2]) LIMIT 1",
				 2, types, values, NULL);
	if (SPI_processed > 0)
		return psprintf("rows not moved out of the default partition: table \"%s\" is referenced by foreign key \"%s\" of table %s, whose referential actions a move would fire",
						pp->relname,
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	pm_exec_args("SELECT p.pubname::pg_catalog.text FROM pg_catalog.pg_publication p"
				 " WHERE p.puballtables"
				 "    OR EXISTS (SELECT FROM pg_catalog.pg_publication_rel r"
				 "                WHERE r.prpubid OPERATOR(pg_catalog.=) p.oid"
				 "                  AND (r.prrelid OPERATOR(pg_catalog.=) ANY (ARRAY[$1, $2])"
				 "                       OR r.prrelid IN (SELECT a.relid FROM pg_catalog.pg_partition_ancestors($1) a)))"
				 "    OR EXISTS (SELECT FROM pg_catalog.pg_publication_namespace n"
				 "                 JOIN pg_catalog.pg_class k ON k.relnamespace OPERATOR(pg_catalog.=) n.pnnspid"
				 "                WHERE n.pnpubid OPERATOR(pg_catalog.=) p.oid"
				 "                  AND (k.oid OPERATOR(pg_catalog.=) ANY (ARRAY[$1, $2])"
				 "                       OR k.oid IN (SELECT a.relid FROM pg_catalog.pg_partition_ancestors($1) a)))"
				 " LIMIT 1",
				 2, types, values, NULL);
	if (SPI_processed > 0)
		return psprintf("rows not moved out of the default partition: table \"%s\" is in publication \"%s\", whose subscribers would see the rows deleted but not inserted",
						pp->relname,
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	return NULL;
}

/* Move the default's rows in [lo, hi) into the standalone table newrel */
static int64
pm_move_rows(const PmParent *pp, const char *newrel, int64 lo, int64 hi, int batch)
{
	char	   *cols = pm_column_list(pp);
	char	   *def = pm_qualified(get_namespace_name(get_rel_namespace(pp->defpart)),
								   get_rel_name(pp->defpart));
	const char *key = quote_identifier(pp->keycol);
	char	   *sql;
	Oid			types[2];
	Datum		values[2];
	int64		total = 0;
	uint64		n;

	sql = psprintf("WITH moved AS (DELETE FROM ONLY %s WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
				   "SELECT ctid FROM ONLY %s WHERE %s OPERATOR(pg_catalog.>=) $1"
				   " AND %s OPERATOR(pg_catalog.<) $2 LIMIT %d)) "
				   "RETURNING %s) INSERT INTO %s (%s) SELECT %s FROM moved",
				   def, def, key, key, batch, cols, newrel, cols, cols);
	types[0] = types[1] = pp->keytype;
	values[0] = pm_datum_from_raw(pp->keytype, lo);
	values[1] = pm_datum_from_raw(pp->keytype, hi);
	do
	{
		n = pm_exec_args(sql, 2, types, values, NULL);
		total += n;
		CHECK_FOR_INTERRUPTS();
	} while (n > 0);
	return total;
}

/* ------------------------------------------------------------------------
 * Creating, dropping, detaching partitions
 * ------------------------------------------------------------------------
 */

static void
pm_note_partition(PmParent *pp, Oid relid, int64 lo, int64 hi)
{
	int			i = pp->nparts;

	pp->parts = repalloc(pp->parts, sizeof(PmRange) * (pp->nparts + 1));
	while (i > 0 && pp->parts[i - 1].lo > lo)
	{
		pp->parts[i] = pp->parts[i - 1];
		i--;
	}
	pp->parts[i].relid = relid;
	pp->parts[i].lo = lo;
	pp->parts[i].hi = hi;
	pp->nparts++;
}

/*
 * Create the partition [lo, hi).  When rescue, first as a standalone table
 * that receives the default partition's rows of that range, then attached
 * (the default's constraint check then passes); otherwise in one CREATE
 * TABLE .. PARTITION OF.  Either way PostgreSQL propagates indexes,
 * constraints and triggers of the parent.
 */
static void
pm_create_partition(PmParent *pp, int64 lo, int64 hi, bool rescue, int batch)
{
	char	   *name = pm_unique_name(pp, pm_name_suffix(pp, lo));
	char	   *qname = pm_qualified(pp->nspname, name);
	char	   *qparent = pm_qualified(pp->nspname, pp->relname);
	char	   *bounds = psprintf("FOR VALUES FROM (%s) TO (%s)",
								  pm_literal(pp, lo), pm_literal(pp, hi));
	char	   *tblspc = OidIsValid(pp->tablespace) ?
		psprintf(" TABLESPACE %s", quote_identifier(get_tablespace_name(pp->tablespace))) : "";
	int64		moved = 0;
	Oid			relid;

	if (!rescue)
		pm_exec(psprintf("CREATE TABLE %s PARTITION OF %s %s%s", qname, qparent, bounds, tblspc));
	else
	{
		pm_exec(psprintf("CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
						 "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)%s",
						 qname, qparent, tblspc));
		moved = pm_move_rows(pp, qname, lo, hi, batch);
		pm_exec(psprintf("ALTER TABLE %s ATTACH PARTITION %s %s", qparent, qname, bounds));
	}
	relid = get_relname_relid(name, get_namespace_oid(pp->nspname, false));
	pm_note_partition(pp, relid, lo, hi);
	pp->ncreated++;
	pm_add_action(pp, "created", relid);
	if (moved > 0)
	{
		pp->nmoved += moved;
		pm_add_action(pp, psprintf("moved " INT64_FORMAT " rows", moved), relid);
	}
}

/* index of the first partition whose hi > p, or nparts */
static int
pm_first_ending_after(const PmParent *pp, int64 p)
{
	int			lo = 0,
				hi = pp->nparts;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (pp->parts[mid].hi > p)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void
pm_too_many_partitions(const PmParent *pp)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many partitions to create for \"%s\"", pp->relname),
			 errdetail("At most %d partitions are created in one call.",
					   PM_MAX_NEW_PARTITIONS),
			 errhint("Use a later start_at, a smaller premake or a longer interval.")));
}

/* Create a partition for every gap in [lo, hi) (within one slot) */
static void
pm_fill_gaps(PmParent *pp, int64 lo, int64 hi, bool rescue, int batch)
{
	int64		p = lo;
	int64		k;

	while (p < hi)
	{
		int			i = pm_first_ending_after(pp, p);
		int64		gap_end = hi;

		if (i < pp->nparts && pp->parts[i].lo <= p)
		{
			p = pp->parts[i].hi;	/* covered: skip past that partition */
			continue;
		}
		if (i < pp->nparts && pp->parts[i].lo < gap_end)
			gap_end = pp->parts[i].lo;
		if (pp->ncreated >= PM_MAX_NEW_PARTITIONS)
			pm_too_many_partitions(pp);
		if (!rescue && pp->default_busy && pm_default_next_key(pp, p - 1, gap_end, &k))
		{
			/* rows there stayed in the default: CREATE would fail, leave the gap */
			p = gap_end;
			continue;
		}
		pm_create_partition(pp, p, gap_end, rescue, batch);
		p = gap_end;
	}
}

/*
 * Before creating anything: error out when filling from slot s up to raw
 * hi would create more partitions than the limit allows, so that a far
 * start_at or a huge premake fails at once instead of after creating
 * (and then rolling back) PM_MAX_NEW_PARTITIONS partitions.  Counts the
 * slots no existing partition covers whole; pure arithmetic.
 */
static void
pm_check_fill_size(const PmParent *pp, Timestamp s, int64 hi)
{
	int			todo = pp->ncreated;

	for (;;)
	{
		Timestamp	next = pm_slot_start(pp, s, 1);
		int64		slo = pm_to_raw(pp, s);
		int			i;

		if (slo >= hi)
			return;
		i = pm_first_ending_after(pp, slo);
		if (!(i < pp->nparts && pp->parts[i].lo <= slo &&
			  pp->parts[i].hi >= pm_to_raw(pp, next)) &&
			++todo > PM_MAX_NEW_PARTITIONS)
			pm_too_many_partitions(pp);
		s = next;
		CHECK_FOR_INTERRUPTS();
	}
}

/* Create, slot by slot, partitions for whatever of [lo, hi) no partition covers */
static void
pm_fill(PmParent *pp, int64 lo, int64 hi, bool rescue, int batch)
{
	Timestamp	s = pm_slot_start(pp, pm_to_local(pp, lo), 0);

	pm_check_fill_size(pp, s, hi);
	for (;;)
	{
		Timestamp	next = pm_slot_start(pp, s, 1);
		int64		slo = pm_to_raw(pp, s);
		int64		shi = pm_to_raw(pp, next);

		if (slo >= hi)
			break;
		pm_fill_gaps(pp, Max(slo, lo), Min(shi, hi), rescue, batch);
		s = next;
	}
}

/*
 * raw bounds of the slot containing raw key k.  The slot of k's wall-clock
 * time contains k except around an ambiguous local hour (DST fall-back, for
 * sub-day intervals), where the neighbouring slot does: step to it.
 */
static void
pm_slot_of(const PmParent *pp, int64 k, int64 *lo, int64 *hi)
{
	Timestamp	s = pm_slot_start(pp, pm_to_local(pp, k), 0);
	int			tries;

	for (tries = 0; tries < 4; tries++)
	{
		*lo = pm_to_raw(pp, s);
		*hi = pm_to_raw(pp, pm_slot_start(pp, s, 1));
		if (k < *lo)
			s = pm_slot_start(pp, s, -1);
		else if (k >= *hi)
			s = pm_slot_start(pp, s, 1);
		else
			return;
	}
	*lo = k;					/* give up aligning: a slot of just k's instant */
	*hi = k + 1;
}

/*
 * Move the default's rows of one slot, in a subtransaction: a slot whose
 * rows cannot be moved (a constraint they violate, a referential failure,
 * bounds out of range) is rolled back alone, WARNed about and added to
 * errors (when not NULL); its rows stay.  A cancel is re-thrown.  Returns
 * the next key to look after.
 */
static int64
pm_rescue_slot(PmParent *pp, int64 key, int64 cutoff, int batch, StringInfo errors)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	int			nactions = list_length(pp->actions);
	int			ncreated = pp->ncreated;
	int64		nmoved = pp->nmoved;
	volatile int64 next = key;
	ErrorData  *edata;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		int64		lo,
					hi;

		pm_slot_of(pp, key, &lo, &hi);
		next = hi - 1;			/* a failing slot is skipped whole */
		if (hi > cutoff)
			pm_fill(pp, lo, hi, true, batch);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		pp->actions = list_truncate(pp->actions, nactions);
		pp->ncreated = ncreated;
		pp->nmoved = nmoved;
		pm_read_partitions(pp);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("rows of \"%s\" from %s left in the default partition: %s",
						pp->relname, pm_literal(pp, key), edata->message),
				 edata->detail ? errdetail("%s", edata->detail) : 0,
				 errhint("The rows stay visible through the parent; the move is retried on the next run.")));
		if (errors)
			appendStringInfo(errors, "%srows from %s not moved: %s", errors->len > 0 ? "; " : "",
							 pm_literal(pp, key), edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return next;
}

/*
 * Move every placeable row of the default partition (pm_placeable_range)
 * into proper partitions, creating them, slot by slot.  Rows with a NULL
 * or infinite key, out of range, or of slots past retention, stay.
 */
static void
pm_rescue_default(PmParent *pp, int64 cutoff, int batch, StringInfo errors)
{
	int64		lo,
				hi,
				after,
				key;

	pm_placeable_range(pp, cutoff, &lo, &hi);
	after = lo - 1;
	while (lo < hi && pm_default_next_key(pp, after, hi, &key))
	{
		after = pm_rescue_slot(pp, key, cutoff, batch, errors);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
pm_lock_for_changes(const PmParent *pp)
{
	LockRelationOid(pp->relid, AccessExclusiveLock);
	if (OidIsValid(pp->defpart))
		LockRelationOid(pp->defpart, AccessExclusiveLock);
}

/* is the partition r past retention (ends at or before cutoff)? */
static bool
pm_past_retention(const PmRange *r, int64 cutoff)
{
	return r->hi <= cutoff && r->hi != PM_RAW_MAX;
}

/*
 * Drop, or detach when keep_table, every partition that ends at or before
 * cutoff.  All of them are locked first (after the parent and the default,
 * in bound order), so any wait happens before the first change.
 */
static void
pm_apply_retention(PmParent *pp, int64 cutoff, bool keep_table)
{
	int			i;
	int			kept = 0;
	char	   *qparent = pm_qualified(pp->nspname, pp->relname);

	for (i = 0; i < pp->nparts; i++)
		if (pm_past_retention(&pp->parts[i], cutoff))
			LockRelationOid(pp->parts[i].relid, AccessExclusiveLock);
	for (i = 0; i < pp->nparts; i++)
	{
		PmRange    *r = &pp->parts[i];
		char	   *q;

		if (!pm_past_retention(r, cutoff))
		{
			pp->parts[kept++] = *r;
			continue;
		}
		q = pm_qualified(get_namespace_name(get_rel_namespace(r->relid)),
						 get_rel_name(r->relid));
		pm_add_action(pp, keep_table ? "detached" : "dropped", r->relid);
		if (keep_table)
			pm_exec(psprintf("ALTER TABLE %s DETACH PARTITION %s", qparent, q));
		else
			pm_exec(psprintf("DROP %sTABLE %s",
							 get_rel_relkind(r->relid) == RELKIND_FOREIGN_TABLE ? "FOREIGN " : "",
							 q));
	}
	pp->nparts = kept;
}

/* ------------------------------------------------------------------------
 * Maintaining one parent
 * ------------------------------------------------------------------------
 */

static Timestamp
pm_now_local(const PmParent *pp)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (pp->keytype == TIMESTAMPTZOID)
		return pm_to_local(pp, now);
	return DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, pp->zone,
												 TimestampTzGetDatum(now)));
}

/* raw end of the premade window: the current slot and premake more */
static int64
pm_premake_end(const PmParent *pp, int premake, Timestamp from_local)
{
	return pm_to_raw(pp, pm_slot_start(pp, from_local, (int64) premake + 1));
}

static int64
pm_retention_cutoff(const PmParent *pp, const PmConfig *cfg)
{
	Timestamp	c;

	if (!cfg->has_retention)
		return PM_RAW_MIN;
	c = DatumGetTimestamp(DirectFunctionCall2(timestamp_mi_interval,
											  TimestampGetDatum(pm_now_local(pp)),
											  IntervalPGetDatum(&cfg->retention)));
	return pm_to_raw(pp, c);
}

/* Is a partition of the premade window missing?  (No SQL.) */
static bool
pm_creation_due(const PmParent *pp, int64 now_slot, int64 end)
{
	int64		p = now_slot;

	while (p < end)
	{
		int			i = pm_first_ending_after(pp, p);

		if (i >= pp->nparts || pp->parts[i].lo > p)
			return true;
		p = pp->parts[i].hi;
	}
	return false;
}

/* Is a partition past retention?  (cutoff PM_RAW_MIN: no retention) */
static bool
pm_retention_due(const PmParent *pp, int64 cutoff)
{
	int			i;

	for (i = 0; i < pp->nparts; i++)
		if (pm_past_retention(&pp->parts[i], cutoff))
			return true;
	return false;
}

static void
pm_record_run(Oid relid, const char *error)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', error ? ' ' : 'n'};

	values[0] = ObjectIdGetDatum(relid);
	values[1] = error ? CStringGetTextDatum(error) : (Datum) 0;
	pm_config_exec("UPDATE cognomega.part_config SET last_maintenance = pg_catalog.now(), last_error = $2 "
				   "WHERE parent " PM_EQ_PARENT,
				   2, types, values, nulls);
}

/*
 * One parent's maintenance run: what is due, and the errors of the steps
 * that failed ("step: message; ...", empty when none).
 */
typedef struct PmMaint
{
	const PmConfig *cfg;
	PmParent   *pp;
	int64		now_slot;		/* raw start of the current slot */
	int64		end;			/* raw end of the premade window */
	int64		cutoff;			/* raw retention cutoff, PM_RAW_MIN if none */
	StringInfoData errors;
} PmMaint;

typedef void (*PmStepFn) (PmMaint *m);

/*
 * fn(m) in a subtransaction.  Returns NULL when it succeeded (its changes
 * and locks are kept), else the error, the subtransaction rolled back.  A
 * cancel or statement_timeout is re-thrown: it stops the whole run, as in
 * plpgsql.
 */
static ErrorData *
pm_in_subxact(PmStepFn fn, PmMaint *m)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(m);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	if (edata != NULL && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		ReThrowError(edata);
	return edata;
}

/* WARNING that the parent's maintenance, or one step of it (step), was skipped */
static void
pm_warn_skipped(Oid parent, const char *step, const ErrorData *edata, const char *hint)
{
	char	   *name = get_rel_name(parent);
	char	   *what = name ? pstrdup(quote_identifier(name)) : psprintf("OID %u", parent);

	if (step)
		what = psprintf("%s: %s", what, step);
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("partition maintenance of %s skipped: %s", what, edata->message),
			 edata->detail ? errdetail("%s", edata->detail) : 0,
			 errhint("%s", hint)));
}

/*
 * Step 1: move the default partition's rows into proper partitions
 * (creating them).  Slots whose rows cannot be moved are left, each in its
 * own subtransaction; they are this step's errors.
 */
static void
pm_step_rescue(PmMaint *m)
{
	StringInfoData errors;

	initStringInfo(&errors);
	pm_read_partitions(m->pp);
	pm_rescue_default(m->pp, m->cutoff, PM_RESCUE_BATCH, &errors);
	if (errors.len > 0)
		appendStringInfo(&m->errors, "%smoving rows: %s", m->errors.len > 0 ? "; " : "",
						 errors.data);
}

/*
 * Step 2: create the partitions of the premade window; independent of the
 * rescue: a slot where rows stayed in the default is left for it.
 */
static void
pm_step_create(PmMaint *m)
{
	pm_read_partitions(m->pp);
	m->pp->default_busy = pm_default_has_rows(m->pp);
	pm_fill(m->pp, m->now_slot, m->end, false, 0);
}

/* a reason the rows of the default are not moved: a WARNING and last_error */
static void
pm_note_not_moved(PmMaint *m, const char *reason)
{
	ereport(WARNING,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("partition maintenance of %s: %s",
					quote_identifier(m->pp->relname), reason),
			 errhint("The rows stay in the default partition, visible through the parent; move them by hand, or remove the obstacle.")));
	appendStringInfo(&m->errors, "%smoving rows: %s", m->errors.len > 0 ? "; " : "", reason);
}

/* Step 2: drop or detach the partitions past retention */
static void
pm_step_retention(PmMaint *m)
{
	pm_read_partitions(m->pp);	/* step 1 may have been rolled back */
	pm_apply_retention(m->pp, m->cutoff, m->cfg->keep_table);
}

/*
 * Run one step in its own subtransaction.  On error only that step is
 * rolled back (its actions are forgotten), a WARNING names the parent and
 * the step, and the error is added to m->errors.
 */
static void
pm_run_step(PmMaint *m, const char *step, PmStepFn fn)
{
	int			nactions = list_length(m->pp->actions);
	ErrorData  *edata = pm_in_subxact(fn, m);

	if (edata == NULL)
		return;
	m->pp->actions = list_truncate(m->pp->actions, nactions);
	pm_warn_skipped(m->cfg->parent, step, edata,
					"Only this step was rolled back; it is retried on the next run.");
	appendStringInfo(&m->errors, "%s%s: %s", m->errors.len > 0 ? "; " : "",
					 step, edata->message);
	FreeErrorData(edata);
}

/*
 * The whole run for one parent, as its owner: the locks of the contract
 * (a wait that times out here skips the parent whole), then each step that
 * has work in its own subtransaction, then part_config updated.
 */
static void
pm_maintain_one(PmMaint *m)
{
	const PmConfig *cfg = m->cfg;
	PmParent   *pp = m->pp;
	PmSavedUser save;
	Timestamp	now_local;
	bool		create,
				move,
				retain;
	char	   *why;

	pm_lock_parent(cfg->parent);
	pm_open_parent(cfg->parent, ShareUpdateExclusiveLock, cfg->zone, false, pp);
	pm_classify_interval(&cfg->interval, pp->keytype, &pp->unit, &pp->step);
	now_local = pm_now_local(pp);
	m->now_slot = pm_to_raw(pp, pm_slot_start(pp, now_local, 0));
	m->end = pm_premake_end(pp, cfg->premake, now_local);
	m->cutoff = pm_retention_cutoff(pp, cfg);
	pm_become_owner(pp->owner, &save);
	create = pm_creation_due(pp, m->now_slot, m->end);
	move = pm_default_has_placeable(pp, m->cutoff);
	if ((why = pm_odd_default(pp)) != NULL ||
		(move && (why = pm_move_refusal(pp)) != NULL))
	{
		pm_note_not_moved(m, why);
		move = false;
	}
	retain = pm_retention_due(pp, m->cutoff);
	if (create || move || retain)
		pm_lock_for_changes(pp);
	if (move)
		pm_run_step(m, "moving rows", pm_step_rescue);
	if (create)
		pm_run_step(m, "creating partitions", pm_step_create);
	if (retain)
		pm_run_step(m, "retention", pm_step_retention);
	pm_restore_user(&save);
	pm_record_run(cfg->parent, m->errors.len > 0 ? m->errors.data : NULL);
}

/*
 * Maintain one parent; pp->actions are the actions kept.  Returns false,
 * with *errmsg_out set, when the parent was skipped (WARNING, last_error)
 * or one of its steps failed.
 */
static bool
pm_maintain_guarded(const PmConfig *cfg, PmParent *pp, char **errmsg_out)
{
	PmMaint		m;
	ErrorData  *edata;

	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.pp = pp;
	initStringInfo(&m.errors);
	edata = pm_in_subxact(pm_maintain_one, &m);
	if (edata == NULL)
	{
		*errmsg_out = m.errors.len > 0 ? m.errors.data : NULL;
		return m.errors.len == 0;
	}
	pp->actions = NIL;
	pm_warn_skipped(cfg->parent, NULL, edata, "It is retried on the next run.");
	*errmsg_out = pstrdup(edata->message);
	FreeErrorData(edata);
	pm_record_run(cfg->parent, *errmsg_out);
	return false;
}

/* ------------------------------------------------------------------------
 * part_config
 * ------------------------------------------------------------------------
 */

static void
pm_config_from_tuple(HeapTuple tup, TupleDesc desc, PmConfig *cfg)
{
	bool		isnull;
	Datum		d;

	memset(cfg, 0, sizeof(*cfg));
	cfg->parent = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
	cfg->control = TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull));
	cfg->interval = *DatumGetIntervalP(SPI_getbinval(tup, desc, 3, &isnull));
	cfg->premake = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
	d = SPI_getbinval(tup, desc, 5, &isnull);
	if ((cfg->has_retention = !isnull))
		cfg->retention = *DatumGetIntervalP(d);
	cfg->keep_table = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
	cfg->zone = TextDatumGetCString(SPI_getbinval(tup, desc, 7, &isnull));
	d = SPI_getbinval(tup, desc, 8, &isnull);
	if ((cfg->has_last = !isnull))
		cfg->last_maintenance = DatumGetTimestampTz(d);
	d = SPI_getbinval(tup, desc, 9, &isnull);
	cfg->last_error = isnull ? NULL : TextDatumGetCString(d);
}

/* Load part_config rows (one parent, or all when parent is invalid) */
static List *
pm_load_configs(Oid parent)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1];
	char		nulls[1];
	List	   *out = NIL;
	uint64		i;

	values[0] = ObjectIdGetDatum(parent);
	nulls[0] = OidIsValid(parent) ? ' ' : 'n';
	/* as part_config's owner: last_error is not readable by PUBLIC */
	pm_config_exec("SELECT parent::pg_catalog.oid, control, part_interval, premake, retention, "
				 "retention_keep_table, time_zone, last_maintenance, last_error "
				 "FROM cognomega.part_config "
				 "WHERE $1 IS NULL OR parent " PM_EQ_PARENT " ORDER BY parent::pg_catalog.oid",
				 1, types, values, nulls);
	for (i = 0; i < SPI_processed; i++)
	{
		PmConfig   *cfg = palloc(sizeof(PmConfig));

		pm_config_from_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, cfg);
		out = lappend(out, cfg);
	}
	return out;
}

static PmConfig *
pm_load_config(Oid parent)
{
	List	   *l = pm_load_configs(parent);

	return l == NIL ? NULL : linitial(l);
}

/* May the current user maintain this parent?  (A dropped parent: yes.) */
static bool
pm_may_maintain(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		ok;

	if (!HeapTupleIsValid(tup))
		return true;
	ok = has_privs_of_role(GetUserId(), ((Form_pg_class) GETSTRUCT(tup))->relowner);
	ReleaseSysCache(tup);
	return ok;
}

/* ------------------------------------------------------------------------
 * run_maintenance
 * ------------------------------------------------------------------------
 */

typedef struct PmRunResult
{
	List	   *rows;			/* PmAction with partition, and parent */
	List	   *row_parents;	/* Oid per row */
} PmRunResult;

/* Maintain the given configs; SPI must be connected */
static void
pm_run(List *configs, PmRunResult *res)
{
	ListCell   *lc;

	foreach(lc, configs)
	{
		PmConfig   *cfg = lfirst(lc);
		PmParent	pp;
		char	   *err = NULL;
		ListCell   *la;

		memset(&pp, 0, sizeof(pp));
		(void) pm_maintain_guarded(cfg, &pp, &err);	/* WARNING, last_error */
		foreach(la, pp.actions)
		{
			res->rows = lappend(res->rows, lfirst(la));
			res->row_parents = lappend_oid(res->row_parents, cfg->parent);
		}
	}
}

static List *
pm_filter_maintainable(List *configs)
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, configs)
	{
		PmConfig   *cfg = lfirst(lc);

		if (pm_may_maintain(cfg->parent))
			out = lappend(out, cfg);
	}
	return out;
}

/* the parent asked for (owner and managed, or an error), or all the caller may maintain */
static List *
pm_configs_to_maintain(Oid parent)
{
	List	   *configs;

	if (!OidIsValid(parent))
		return pm_filter_maintainable(pm_load_configs(InvalidOid));
	if (!pm_may_maintain(parent))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(parent));
	configs = pm_load_configs(parent);
	if (configs == NIL)
		pm_not_managed(parent);
	return configs;
}

PG_FUNCTION_INFO_V1(cognomega_run_maintenance);

Datum
cognomega_run_maintenance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			parent = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	PmRunResult res;
	List	   *configs;
	ListCell   *lc,
			   *lp;

	/* NULL means every parent; '-' (OID 0) names no table */
	if (!PG_ARGISNULL(0) && !OidIsValid(parent))
		pm_not_managed(parent);
	InitMaterializedSRF(fcinfo, 0);
	memset(&res, 0, sizeof(res));
	SPI_connect();
	configs = pm_configs_to_maintain(parent);
	pm_run(configs, &res);
	forboth(lc, res.rows, lp, res.row_parents)
	{
		PmAction   *a = lfirst(lc);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = ObjectIdGetDatum(lfirst_oid(lp));
		values[1] = CStringGetTextDatum(a->action);
		values[2] = CStringGetTextDatum(a->partition);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * create_parent
 * ------------------------------------------------------------------------
 */

static void
pm_require_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

static void
pm_check_create_args(const PmConfig *cfg)
{
	if (cfg->premake < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("premake must be at least 1"),
				 errdetail("premake is the number of partitions kept ahead of the current one; %d was given.",
						   cfg->premake)));
	if (cfg->premake > PM_MAX_NEW_PARTITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("premake must be at most %d", PM_MAX_NEW_PARTITIONS),
				 errdetail("premake is the number of partitions kept ahead of the current one; %d was given.",
						   cfg->premake)));
	if (cfg->has_retention &&
		(cfg->retention.month < 0 || cfg->retention.day < 0 || cfg->retention.time < 0 ||
		 (cfg->retention.month == 0 && cfg->retention.day == 0 && cfg->retention.time == 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must be greater than zero")));
	if (cfg->has_retention &&
		(double) cfg->retention.month * 31 + cfg->retention.day +
		(double) cfg->retention.time / USECS_PER_DAY > 10000.0 * 366)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must be at most 10000 years"),
				 errdetail("Partitions are kept for the retention interval before now; a longer one reaches past the range of timestamp.")));
	/* validates the zone name (22023 when unknown) */
	(void) DirectFunctionCall2(timestamptz_zone, CStringGetTextDatum(cfg->zone),
							   TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()));

	/*
	 * ... and refuses an abbreviation ('IST') that is no zone of its own:
	 * its meaning depends on the session's timezone_abbreviations, so
	 * bounds would depend on who runs maintenance.
	 */
	if (pg_tzset(cfg->zone) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is an abbreviation", cfg->zone),
				 errdetail("The meaning of an abbreviation depends on the session's timezone_abbreviations."),
				 errhint("Give a full time zone name, such as Asia/Kolkata.")));
}

static void
pm_insert_config(const PmConfig *cfg)
{
	Oid			types[7] = {OIDOID, TEXTOID, INTERVALOID, INT4OID, INTERVALOID, BOOLOID, TEXTOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', cfg->has_retention ? ' ' : 'n', ' ', ' '};

	values[0] = ObjectIdGetDatum(cfg->parent);
	values[1] = CStringGetTextDatum(cfg->control);
	values[2] = IntervalPGetDatum(&cfg->interval);
	values[3] = Int32GetDatum(cfg->premake);
	values[4] = cfg->has_retention ? IntervalPGetDatum(&cfg->retention) : (Datum) 0;
	values[5] = BoolGetDatum(cfg->keep_table);
	values[6] = CStringGetTextDatum(cfg->zone);
	pm_config_exec("INSERT INTO cognomega.part_config (parent, control, part_interval, premake, "
				   "retention, retention_keep_table, time_zone, last_maintenance) "
				   "VALUES ($1::pg_catalog.regclass, $2, $3, $4, $5, $6, $7, pg_catalog.now())",
				   7, types, values, nulls);
}

static void
pm_create_default(PmParent *pp)
{
	char	   *name = pm_unique_name(pp, "_default");
	char	   *qname = pm_qualified(pp->nspname, name);

	pm_exec(psprintf("CREATE TABLE %s PARTITION OF %s DEFAULT", qname,
					 pm_qualified(pp->nspname, pp->relname)));
	pp->defpart = get_relname_relid(name, get_namespace_oid(pp->nspname, false));
	pm_add_action(pp, "created", pp->defpart);
}

/* Partitions from start_at's slot through premake slots ahead of now (or start_at) */
static int
pm_create_initial(PmParent *pp, const PmConfig *cfg, bool has_start, TimestampTz start_at)
{
	Timestamp	now_local = pm_now_local(pp);
	Timestamp	start_local = now_local;
	int64		lo;
	bool		rescue = pm_default_has_rows(pp);
	char	   *why;

	if (has_start)
		start_local = pp->keytype == TIMESTAMPTZOID ? pm_to_local(pp, start_at) :
			DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, pp->zone,
												  TimestampTzGetDatum(start_at)));
	lo = pm_to_raw(pp, pm_slot_start(pp, start_local, 0));
	if (rescue && (why = pm_move_refusal(pp)) != NULL)
	{
		ereport(WARNING,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s", why),
				 errhint("The rows stay in the default partition; partitions for their ranges are not created.")));
		rescue = false;
		pp->default_busy = true;
	}
	pm_fill(pp, lo, pm_premake_end(pp, cfg->premake, Max(now_local, start_local)),
			rescue, PM_RESCUE_BATCH);
	if (!OidIsValid(pp->defpart))
		pm_create_default(pp);
	return pp->ncreated;
}

/*
 * Is parent in part_config, as committed now?  Called under the parent's
 * AccessExclusiveLock, so a concurrent create_parent of it has finished;
 * the latest snapshot sees its row even when the transaction's snapshot
 * (REPEATABLE READ) is older.
 */
static bool
pm_managed_now(Oid parent)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(parent)};
	SPIPlanPtr	plan;
	int			rc;

	plan = SPI_prepare("SELECT FROM cognomega.part_config WHERE parent " PM_EQ_PARENT,
					   1, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	rc = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));
	SPI_freeplan(plan);
	return SPI_processed > 0;
}

/*
 * On a timestamp(p) key with p < 6, bounds are rounded to the column's
 * precision: an interval finer than that would give partitions whose
 * rounded bounds overlap or leave gaps.  Refused (22023).
 */
static void
pm_check_precision(const PmParent *pp)
{
	int64		unit = 1;
	int			i;

	if (pp->unit != PM_USECS || pp->keytypmod < 0 || pp->keytypmod >= 6)
		return;
	for (i = pp->keytypmod; i < 6; i++)
		unit *= 10;
	if (pp->step % unit != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partition interval is finer than the precision of column \"%s\"",
						pp->keycol),
				 errdetail("The column keeps %d fractional digits of a second; the interval must be a whole multiple of that.",
						   (int) pp->keytypmod)));
}

/* a partitioned or foreign default partition is refused (0A000) */
static void
pm_check_default(const PmParent *pp)
{
	char	   *why = pm_odd_default(pp);

	if (why)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s", why),
				 errhint("Detach it and let cognomega create a plain default partition, or attach a plain table as the default.")));
}

static int
pm_create_parent(PmConfig *cfg, bool has_start, TimestampTz start_at)
{
	PmParent	pp;
	Relation	rel;
	PmSavedUser save;
	int			n;

	if (!pm_may_maintain(cfg->parent))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(cfg->parent));
	pm_open_parent(cfg->parent, AccessExclusiveLock, cfg->zone, false, &pp);
	pm_check_default(&pp);
	rel = relation_open(cfg->parent, NoLock);
	pm_check_not_temp(rel);
	pm_check_control(rel, &pp, cfg->control);
	relation_close(rel, NoLock);
	pm_classify_interval(&cfg->interval, pp.keytype, &pp.unit, &pp.step);
	pm_check_precision(&pp);
	pm_check_create_args(cfg);
	if (pm_managed_now(cfg->parent))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("table \"%s\" is already managed by cognomega", pp.relname),
				 errhint("Change its settings in cognomega.part_config, or run cognomega.undo_parent() first.")));
	pm_insert_config(cfg);
	pm_become_owner(pp.owner, &save);
	n = pm_create_initial(&pp, cfg, has_start, start_at);
	pm_restore_user(&save);
	return n;
}

/*
 * Read create_parent's arguments; argument numbers differ between the
 * contract's signature and create_parent_in_zone's (time_zone fourth).
 */
static int32
pm_create_parent_args(FunctionCallInfo fcinfo, int premake_arg, int zone_arg)
{
	PmConfig	cfg;
	int			start_arg = premake_arg + 1;
	int			n;

	pm_require_arg(fcinfo, 0, "parent");
	pm_require_arg(fcinfo, 1, "control");
	pm_require_arg(fcinfo, 2, "part_interval");
	pm_require_arg(fcinfo, premake_arg, "premake");
	memset(&cfg, 0, sizeof(cfg));
	cfg.parent = PG_GETARG_OID(0);
	cfg.control = text_to_cstring(PG_GETARG_TEXT_PP(1));
	cfg.interval = *PG_GETARG_INTERVAL_P(2);
	cfg.premake = PG_GETARG_INT32(premake_arg);
	if ((cfg.has_retention = !PG_ARGISNULL(start_arg + 1)))
		cfg.retention = *PG_GETARG_INTERVAL_P(start_arg + 1);
	cfg.keep_table = PG_ARGISNULL(start_arg + 2) ? false : PG_GETARG_BOOL(start_arg + 2);
	if (zone_arg >= 0)
		pm_require_arg(fcinfo, zone_arg, "time_zone");
	cfg.zone = zone_arg < 0 ? "UTC" : text_to_cstring(PG_GETARG_TEXT_PP(zone_arg));
	SPI_connect();
	n = pm_create_parent(&cfg, !PG_ARGISNULL(start_arg),
						 PG_ARGISNULL(start_arg) ? 0 : PG_GETARG_TIMESTAMPTZ(start_arg));
	SPI_finish();
	return n;
}

PG_FUNCTION_INFO_V1(cognomega_create_parent);

/*
 * create_parent(parent, control, part_interval, premake, start_at,
 *				 retention, retention_keep_table): bounds in UTC
 */
Datum
cognomega_create_parent(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(pm_create_parent_args(fcinfo, 3, -1));
}

PG_FUNCTION_INFO_V1(cognomega_create_parent_in_zone);

/*
 * create_parent_in_zone(parent, control, part_interval, time_zone, premake,
 *						 start_at, retention, retention_keep_table)
 */
Datum
cognomega_create_parent_in_zone(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(pm_create_parent_args(fcinfo, 4, 3));
}

/* ------------------------------------------------------------------------
 * partition_data, show_partitions, undo_parent
 * ------------------------------------------------------------------------
 */

static int64
pm_partition_data(Oid parent, int batch)
{
	PmConfig   *cfg;
	PmParent	pp;
	PmSavedUser save;
	char	   *why;

	if (!pm_may_maintain(parent))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(parent));
	cfg = pm_load_config(parent);
	if (cfg == NULL)
		pm_not_managed(parent);
	pm_lock_parent(parent);
	/* cppcheck-suppress nullPointerRedundantCheck ; pm_not_managed raises */
	pm_open_parent(parent, ShareUpdateExclusiveLock, cfg->zone, false, &pp);
	pm_check_default(&pp);
	pm_classify_interval(&cfg->interval, pp.keytype, &pp.unit, &pp.step);
	/* the probe runs the owner's row-level security policies: as the owner */
	pm_become_owner(pp.owner, &save);
	if (!pm_default_has_placeable(&pp, PM_RAW_MIN))
	{
		pm_restore_user(&save);
		return 0;
	}
	if ((why = pm_move_refusal(&pp)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s", why),
				 errhint("The rows stay in the default partition, visible through the parent.")));
	pm_lock_for_changes(&pp);
	pm_read_partitions(&pp);
	pm_rescue_default(&pp, PM_RAW_MIN, batch, NULL);
	pm_restore_user(&save);
	return pp.nmoved;
}

PG_FUNCTION_INFO_V1(cognomega_partition_data);

Datum
cognomega_partition_data(PG_FUNCTION_ARGS)
{
	Oid			parent = PG_GETARG_OID(0);
	int			batch = PG_GETARG_INT32(1);
	int64		n;

	if (batch < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_rows must be at least 1")));
	SPI_connect();
	n = pm_partition_data(parent, batch);
	SPI_finish();
	PG_RETURN_INT64(n);
}

PG_FUNCTION_INFO_V1(cognomega_show_partitions);

Datum
cognomega_show_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			parent = PG_GETARG_OID(0);
	MemoryContext caller = CurrentMemoryContext;
	PmConfig   *cfg;
	const char *zone = "UTC";
	PmParent	pp;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	cfg = pm_load_config(parent);
	/* cfg lives in SPI's memory, which SPI_finish() frees */
	if (cfg != NULL)
		zone = MemoryContextStrdup(caller, cfg->zone);
	SPI_finish();
	pm_open_parent(parent, AccessShareLock, zone, false, &pp);
	for (i = 0; i < pp.nparts; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = ObjectIdGetDatum(pp.parts[i].relid);
		values[1] = TimestampTzGetDatum(pm_raw_to_tstz(&pp, pp.parts[i].lo));
		values[2] = TimestampTzGetDatum(pm_raw_to_tstz(&pp, pp.parts[i].hi));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(cognomega_undo_parent);

Datum
cognomega_undo_parent(PG_FUNCTION_ARGS)
{
	Oid			parent = PG_GETARG_OID(0);
	Oid			types[1] = {OIDOID};
	Datum		values[1];
	uint64		n;

	if (!pm_may_maintain(parent))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(parent));
	values[0] = ObjectIdGetDatum(parent);
	SPI_connect();
	n = pm_config_exec("DELETE FROM cognomega.part_config WHERE parent " PM_EQ_PARENT,
					   1, types, values, NULL);
	SPI_finish();
	PG_RETURN_BOOL(n > 0);
}

/* ------------------------------------------------------------------------
 * partition_status
 * ------------------------------------------------------------------------
 */

/*
 * rows in the default partition, -1 when the caller may not read it (or
 * it is a foreign table: counting would query the remote server), -2 when
 * maintenance holds it (partition_status never waits on a parent's lock)
 */
static int64
pm_count_default(const PmParent *pp)
{
	bool		isnull;

	if (!OidIsValid(pp->defpart))
		return 0;
	if (pg_class_aclcheck(pp->defpart, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		pp->defkind == RELKIND_FOREIGN_TABLE)
		return -1;

	/*
	 * Row-level security that applies to the reader: counting would run
	 * the owner's policy expressions as the reader (any role reads
	 * partition_status), and count only the rows the policies show.
	 */
	if (check_enable_rls(pp->defpart, InvalidOid, true) == RLS_ENABLED)
		return -1;
	if (!ConditionalLockRelationOid(pp->defpart, AccessShareLock))
		return -2;
	pm_exec(psprintf("SELECT pg_catalog.count(*) FROM %s%s",
					 pp->defkind == RELKIND_RELATION ? "ONLY " : "",
					 pm_qualified(get_namespace_name(get_rel_namespace(pp->defpart)),
								  get_rel_name(pp->defpart))));
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

static void
pm_attention(StringInfo buf, const char *what)
{
	appendStringInfo(buf, "%s%s", buf->len > 0 ? "; " : "", what);
}

/*
 * last_error, in full for the parent's owner and pg_monitor only: an error
 * can quote a row (an owner's trigger raising with OLD).
 */
static void
pm_attention_last_error(StringInfo buf, const PmConfig *cfg, Oid owner)
{
	Oid			me = GetUserId();

	if (cfg->last_error == NULL)
		return;
	if ((OidIsValid(owner) && has_privs_of_role(me, owner)) ||
		has_privs_of_role(me, ROLE_PG_MONITOR))
		pm_attention(buf, psprintf("last maintenance failed: %s", cfg->last_error));
	else
		pm_attention(buf, "last maintenance failed");
}

/* one row of partition_status for a parent that exists */
static void
pm_status_row(const PmConfig *cfg, PmParent *pp, Datum *values, bool *nulls)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int64		cutoff = pm_retention_cutoff(pp, cfg);
	int64		nrows = pm_count_default(pp);
	int			ahead = 0,
				past = 0,
				i;
	StringInfoData att;

	initStringInfo(&att);
	for (i = 0; i < pp->nparts; i++)
	{
		ahead += pm_raw_to_tstz(pp, pp->parts[i].lo) > now;
		past += pm_past_retention(&pp->parts[i], cutoff);
	}
	values[1] = Int32GetDatum(pp->nparts);
	nulls[1] = nulls[5] = false;
	nulls[2] = nulls[3] = pp->nparts == 0;
	if (pp->nparts > 0)
	{
		values[2] = TimestampTzGetDatum(pm_raw_to_tstz(pp, pp->parts[0].lo));
		values[3] = TimestampTzGetDatum(pm_raw_to_tstz(pp, pp->parts[pp->nparts - 1].hi));
	}
	values[4] = Int64GetDatum(nrows);
	nulls[4] = nrows < 0;
	values[5] = Int32GetDatum(ahead);
	if (nrows > 0)
		pm_attention(&att, "rows in default partition");
	if (nrows == -2)
		pm_attention(&att, "maintenance in progress");
	if (pm_odd_default(pp))
		pm_attention(&att, pm_odd_default(pp));
	if (ahead < cfg->premake)
		pm_attention(&att, "missing future partitions");
	if (past > 0)
		pm_attention(&att, "partitions past retention");
	if (!OidIsValid(pp->defpart))
		pm_attention(&att, "no default partition");
	pm_attention_last_error(&att, cfg, pp->owner);
	values[7] = CStringGetTextDatum(att.data);
	nulls[7] = att.len == 0;
}

/* one parent's row (values[0] and [6] are set): never waits, never fails for all */
static void
pm_status_one(const PmConfig *cfg, Datum *values, bool *nulls)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		PmParent	pp;
		int			opened = pm_try_open_parent(cfg->parent, cfg->zone, &pp);

		if (opened > 0)
		{
			pm_classify_interval(&cfg->interval, pp.keytype, &pp.unit, &pp.step);
			pm_status_row(cfg, &pp, values, nulls);
		}
		else
		{
			StringInfoData att;

			initStringInfo(&att);
			pm_attention(&att, opened < 0 ? "maintenance in progress" :
						 "parent table no longer exists");
			values[7] = CStringGetTextDatum(att.data);
			nulls[7] = false;
		}
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		memset(nulls + 1, true, sizeof(bool) * 5);
		nulls[7] = false;
		values[7] = CStringGetTextDatum(psprintf("status unavailable: %s", edata->message));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
}

PG_FUNCTION_INFO_V1(cognomega_partition_status_rows);

/*
 * parent, partitions, oldest_start, newest_end, rows_in_default,
 * premade_ahead, last_maintenance, needs_attention
 */
Datum
cognomega_partition_status_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	foreach(lc, pm_load_configs(InvalidOid))
	{
		PmConfig   *cfg = lfirst(lc);
		Datum		values[8];
		bool		nulls[8];

		memset(nulls, true, sizeof(nulls));
		values[0] = ObjectIdGetDatum(cfg->parent);
		nulls[0] = false;
		values[6] = TimestampTzGetDatum(cfg->last_maintenance);
		nulls[6] = !cfg->has_last;
		pm_status_one(cfg, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * premade_ahead as it was at 'at': the range partitions of parent starting
 * after it (partition_status counts those starting after now).  -1 when
 * the parent no longer exists.  Reads the bounds under AccessShareLock; no
 * privilege on the parent is needed (pg_class shows them to everyone).
 */
int
partman_premade_ahead_at(Oid parent, const char *zone, TimestampTz at)
{
	PmParent	pp;
	int			ahead = 0;
	int			i;

	switch (pm_try_open_parent(parent, zone, &pp))
	{
		case 0:
			return -1;
		case -1:
			return INT_MAX;		/* maintenance holds it: not judged now */
	}
	for (i = 0; i < pp.nparts; i++)
		ahead += pm_raw_to_tstz(&pp, pp.parts[i].lo) > at;
	return ahead;
}
