/*-------------------------------------------------------------------------
 *
 * partman_parent.c
 *		The parent and its config for partition management: reading a
 *		parent (its partition key and every partition's bounds), acting as
 *		its owner, and reading and writing cognomega.part_config.
 *
 * The catalogs are read in C: the partition key from the relcache
 * (RelationGetPartitionKey) and every partition's bounds in one pass over
 * the relcache's PartitionBoundInfo, so deciding that there is nothing to
 * do costs one lock, one relcache read and a one-tuple probe of the default
 * partition per parent.
 *
 * Locking contract.  Per parent, ShareUpdateExclusiveLock is taken first
 * (it conflicts with itself, so two maintainers of one parent serialise;
 * queries and inserts are not blocked while we look).  Every wait obeys
 * the session's lock_timeout.  The stronger locks taken before changes
 * are partman_create.c's and partman_maint.c's.
 *
 * Maintenance is the deadlock victim, never the application.  Every lock a
 * maintainer waits for itself is taken by pm_lock_relation: at once if it
 * is free, else by one wait in the lock's queue (new lockers line up
 * behind it, so a busy table does not starve maintenance) that runs the
 * deadlock check after 1 ms instead of deadlock_timeout and then again
 * every PM_DEADLOCK_RECHECK_MS (a repeating timeout that raises the same
 * flag as the deadlock timeout).  A session that closes a cycle with a
 * waiting maintainer is found by the maintainer's next check, before the
 * session's own deadlock_timeout (1 s by default; a session with a
 * deadlock_timeout under PM_DEADLOCK_RECHECK_MS may still find it first),
 * so the maintainer gives up: the parent or the step is skipped (55P03),
 * its locks released with its subtransaction, and the session goes on.
 * Tables the parent references, and tables that reference it, are locked
 * this way before the DDL that needs them; locks taken by the owner's own
 * code (triggers) are ordinary waits.  A maintainer whose transaction
 * already holds a lock in the parent's tree does not even queue for the
 * first lock (pm_lock_parent): the other maintainer may be waiting for
 * exactly that lock.
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
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/timeout.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "compat.h"
#include "partman_int.h"
#include "spi_util.h"

/* ---- Reading a parent ---- */

static void
pm_not_supported(Relation rel, int code, const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(code),
			 errmsg("table \"%s\" %s", RelationGetRelationName(rel), what),
			 errdetail("%s", detail)));
}

/* Check rel is a RANGE-partitioned table on one timestamptz/timestamp/date column */
static void
pm_check_key(Relation rel, PmParent *pp)
{
	PartitionKey key;

	if (rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		pm_not_supported(rel, ERRCODE_WRONG_OBJECT_TYPE,
						 "is not partitioned",
						 "cognomega manages RANGE-partitioned tables only.");
	key = RelationGetPartitionKey(rel);
	if (key->strategy != PARTITION_STRATEGY_RANGE)
		pm_not_supported(rel, ERRCODE_WRONG_OBJECT_TYPE,
						 "is not partitioned by RANGE",
						 "cognomega manages RANGE-partitioned tables only; LIST and HASH partitioning have no time ranges to maintain.");
	if (key->partnatts != 1)
		pm_not_supported(rel, ERRCODE_FEATURE_NOT_SUPPORTED,
						 "has a multi-column partition key",
						 "cognomega manages tables partitioned on exactly one column.");
	if (key->partattrs[0] == 0)
		pm_not_supported(rel, ERRCODE_FEATURE_NOT_SUPPORTED,
						 "is partitioned on an expression",
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

void
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
void
pm_check_not_temp(Relation rel)
{
	if (rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
		pm_not_supported(rel, ERRCODE_FEATURE_NOT_SUPPORTED,
						 "is temporary",
						 "Partitions are maintained from other sessions (the worker, a scheduler), which cannot reach a temporary table.");
}

/* Copy the bounds of every range partition, in bound order, from the relcache */
void
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
bool
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

/* how often a waiting maintainer looks for a deadlock again */
#define PM_DEADLOCK_RECHECK_MS	200

static TimeoutId pm_recheck_timeout = MAX_TIMEOUTS;

/*
 * Timeout handler (signal context): ask the lock wait in progress to run
 * the deadlock check again, as its own deadlock_timeout does once.
 */
static void
pm_deadlock_recheck(void)
{
	CheckDeadLockAlert();
}

typedef struct PmLockWait
{
	Oid			relid;
	LOCKMODE	mode;
	int			save_deadlock;	/* the session's deadlock_timeout */
} PmLockWait;

static void
pm_lock_wait(void *arg)
{
	PmLockWait *w = arg;

	w->save_deadlock = DeadlockTimeout;
	DeadlockTimeout = 1;
	enable_timeout_every(pm_recheck_timeout,
						 TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													 PM_DEADLOCK_RECHECK_MS),
						 PM_DEADLOCK_RECHECK_MS);
	PG_TRY();
	{
		LockRelationOid(w->relid, w->mode);
	}
	PG_CATCH();
	{
		disable_timeout(pm_recheck_timeout, false);
		DeadlockTimeout = w->save_deadlock;
		PG_RE_THROW();
	}
	PG_END_TRY();
	disable_timeout(pm_recheck_timeout, false);
	DeadlockTimeout = w->save_deadlock;
}

/*
 * Lock relid in mode for maintenance, waiting up to the session's
 * lock_timeout (0: for ever) in the lock's queue, and giving up, with
 * 55P03, as soon as the wait is part of a deadlock.
 */
void
pm_lock_relation(Oid relid, LOCKMODE mode)
{
	PmLockWait	w = {relid, mode, 0};
	ErrorData  *edata;

	if (ConditionalLockRelationOid(relid, mode))
		return;
	if (pm_recheck_timeout == MAX_TIMEOUTS)
		pm_recheck_timeout = RegisterTimeout(USER_TIMEOUT, pm_deadlock_recheck);
	edata = spi_in_subxact(pm_lock_wait, &w);
	if (edata == NULL)
		return;
	if (edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("could not lock relation \"%s\": waiting would deadlock",
						get_rel_name(relid)),
				 errdetail("Another session waits for a lock this transaction holds, and holds one this wait is for.")));
	ReThrowError(edata);
}

/*
 * A maintainer's first lock on a parent, ShareUpdateExclusive (free: at
 * once, no catalog read -- the no-op run's cost).  When this
 * transaction already holds a lock on the parent or one of its partitions
 * (its own INSERT, a SELECT), another maintainer holding
 * ShareUpdateExclusive may be waiting for our lock to go away before it can
 * take AccessExclusive: then the lock is taken only if it is free, and
 * otherwise the parent is skipped as on a lock timeout (55P03).
 */
void
pm_lock_parent(Oid relid)
{
	List	   *tree;
	ListCell   *lc;

	if (ConditionalLockRelationOid(relid, ShareUpdateExclusiveLock))
		return;
	if (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
	{
		/* gone, or not a parent: pm_open_parent says so */
		pm_lock_relation(relid, ShareUpdateExclusiveLock);
		return;
	}
	tree = find_all_inheritors(relid, NoLock, NULL);
	foreach(lc, tree)
	{
		if (CheckRelationOidLockedByMe(lfirst_oid(lc), AccessShareLock, true))
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("could not lock table \"%s\" without waiting",
							get_rel_name(relid)),
					 errdetail("Another session holds a conflicting lock (another maintainer, VACUUM or DDL), and this transaction already holds a lock on the table or one of its partitions, so waiting could deadlock.")));
	}
	list_free(tree);
	pm_lock_relation(relid, ShareUpdateExclusiveLock);
}

/*
 * pm_open_parent under AccessShareLock without waiting: 1 opened, 0 the
 * parent no longer exists, -1 its lock is held (maintenance at work).
 */
int
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
 *
 * Settings the owner's code changes (set_config(..., false) included) live
 * in a GUC nest level of their own, rolled back by pm_restore_user, as
 * REFRESH MATERIALIZED VIEW and index builds do: nothing reaches the
 * caller's session or the worker.
 */
void
pm_become_owner(Oid owner, PmSavedUser *save)
{
	GetUserIdAndSecContext(&save->uid, &save->sec);
	SetUserIdAndSecContext(owner, save->sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save->nest = NewGUCNestLevel();
}

void
pm_restore_user(const PmSavedUser *save)
{
	AtEOXact_GUC(false, save->nest);
	SetUserIdAndSecContext(save->uid, save->sec);
}

void
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

/* ---- Actions ---- */

/*
 * Record an action on partition relid, named as regclass would print it
 * (qualified only when not visible in the search_path), so it compares
 * equal to show_partitions().partition::text.
 */
void
pm_add_action(PmParent *pp, const char *action, Oid relid)
{
	PmAction   *a = palloc(sizeof(PmAction));

	a->action = pstrdup(action);
	a->partition = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
	pp->actions = lappend(pp->actions, a);
}

/* ---- part_config ---- */

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
List *
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
	spi_exec_as(spi_ext_table_owner("part_config"),
				"SELECT parent::pg_catalog.oid, control, part_interval, premake, retention, "
				"retention_keep_table, time_zone, last_maintenance, last_error "
				"FROM cognomega.part_config "
				"WHERE $1 IS NULL OR parent " PM_EQ_PARENT " ORDER BY parent::pg_catalog.oid",
				1, types, values, nulls, SPI_OK_ANY);
	for (i = 0; i < SPI_processed; i++)
	{
		PmConfig   *cfg = palloc(sizeof(PmConfig));

		pm_config_from_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, cfg);
		out = lappend(out, cfg);
	}
	return out;
}

PmConfig *
pm_load_config(Oid parent)
{
	List	   *l = pm_load_configs(parent);

	return l == NIL ? NULL : linitial(l);
}

/* May the current user maintain this parent?  (A dropped parent: yes.) */
bool
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
