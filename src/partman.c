/*-------------------------------------------------------------------------
 *
 * partman.c
 *		Time-based partition management for RANGE-partitioned tables
 *		(docs/partman.md): the SQL entry points create_parent,
 *		run_maintenance, partition_data, show_partitions, undo_parent,
 *		partition_status, and partman.h's API.
 *
 * The work is split by phase behind one internal header, partman_int.h:
 *
 *	partman_bounds.c	intervals, raw bounds, time zones, slots, names
 *	partman_parent.c	reading a parent, acting as its owner, part_config
 *	partman_create.c	creating partitions, rescuing the default's rows
 *	partman_maint.c		retention, maintaining one parent, the loop
 *	partman.c			the SQL entry points (this file)
 *
 * Each function here reads its arguments, checks them and the caller's
 * privileges, and calls into those files; the design of each phase is in
 * its file's header.  Every change (CREATE TABLE, ATTACH, DETACH, DROP,
 * moving rows) goes through SPI as SQL, so PostgreSQL's own privilege
 * checks, propagation of indexes/constraints/triggers to partitions and the
 * cache's invalidation hooks see it exactly as if a DBA had typed it.
 *
 * Locking contract.  As in partman_parent.c, partman_create.c and
 * partman_maint.c: per parent ShareUpdateExclusiveLock first, then when
 * there is work AccessExclusiveLock on the parent, its default partition
 * and the partitions retention removes, in that order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "cognomega.h"
#include "compat.h"
#include "partman_int.h"
#include "spi_util.h"

/* ---- run_maintenance ---- */

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
	spi_connect();
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

/* ---- create_parent ---- */

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
	/*
	 * now - retention must stay well inside timestamp's range (it starts in
	 * 4714 BC), or every run of the parent would fail computing its cutoff.
	 */
	if (cfg->has_retention &&
		pm_interval_days(&cfg->retention) > PM_MAX_RETENTION_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must be at most 5000 years"),
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
	spi_exec_as(spi_ext_table_owner("part_config"),
				"INSERT INTO cognomega.part_config (parent, control, part_interval, premake, "
				"retention, retention_keep_table, time_zone, last_maintenance) "
				"VALUES ($1::pg_catalog.regclass, $2, $3, $4, $5, $6, $7, pg_catalog.now())",
				7, types, values, nulls, SPI_OK_ANY);
}

static void
pm_create_default(PmParent *pp)
{
	char	   *name = pm_unique_name(pp, "_default");
	char	   *qname = pm_qualified(pp->nspname, name);

	spi_exec(psprintf("CREATE TABLE %s PARTITION OF %s DEFAULT", qname,
					  pm_qualified(pp->nspname, pp->relname)), false, SPI_OK_ANY);
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
			pm_zone_local(pp, start_at);
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
	spi_connect();
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

/* ---- partition_data, show_partitions, undo_parent ---- */

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
	pm_check_citus_coordinator(&pp);
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
	spi_connect();
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
	spi_connect();
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
	spi_connect();
	n = spi_exec_as(spi_ext_table_owner("part_config"),
					"DELETE FROM cognomega.part_config WHERE parent " PM_EQ_PARENT,
					1, types, values, NULL, SPI_OK_ANY);
	SPI_finish();
	PG_RETURN_BOOL(n > 0);
}

/* ---- partition_status ---- */

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
	spi_exec(psprintf("SELECT pg_catalog.count(*) FROM %s%s",
					  pp->defkind == RELKIND_RELATION ? "ONLY " : "",
					  pm_qualified(get_namespace_name(get_rel_namespace(pp->defpart)),
								   get_rel_name(pp->defpart))), false, SPI_OK_ANY);
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

/*
 * premade_ahead as of 'at': the partitions starting after 'at' and before
 * the end of the premade window seen from 'at', so partitions made far
 * ahead for stray rows do not hide a missing one.
 */
static int
pm_count_ahead(PmParent *pp, const PmConfig *cfg, TimestampTz at)
{
	int64		end;
	int			ahead = 0;
	int			i;

	pm_classify_interval(&cfg->interval, pp->keytype, &pp->unit, &pp->step);
	end = pm_premake_end(pp, cfg->premake, pm_zone_local(pp, at));
	for (i = 0; i < pp->nparts; i++)
		ahead += pp->parts[i].lo < end && pm_raw_to_tstz(pp, pp->parts[i].lo) > at;
	return ahead;
}

/* one row of partition_status for a parent that exists */
static void
pm_status_row(const PmConfig *cfg, PmParent *pp, Datum *values, bool *nulls)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int64		cutoff = pm_retention_cutoff(pp, cfg);
	int64		nrows = pm_count_default(pp);
	int			ahead = pm_count_ahead(pp, cfg, now),
				past = 0,
				i;
	StringInfoData att;

	initStringInfo(&att);
	for (i = 0; i < pp->nparts; i++)
		past += pm_past_retention(&pp->parts[i], cutoff);
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
/* pm_status_one's row, filled in a subtransaction */
typedef struct PmStatus
{
	const PmConfig *cfg;
	Datum	   *values;
	bool	   *nulls;
} PmStatus;

static void
pm_status_fill(void *arg)
{
	PmStatus   *st = arg;
	PmParent	pp;
	int			opened = pm_try_open_parent(st->cfg->parent, st->cfg->zone, &pp);

	if (opened > 0)
	{
		pm_classify_interval(&st->cfg->interval, pp.keytype, &pp.unit, &pp.step);
		pm_status_row(st->cfg, &pp, st->values, st->nulls);
	}
	else
	{
		StringInfoData att;

		initStringInfo(&att);
		pm_attention(&att, opened < 0 ? "maintenance in progress" :
					 "parent table no longer exists");
		st->values[7] = CStringGetTextDatum(att.data);
		st->nulls[7] = false;
	}
}

static void
pm_status_one(const PmConfig *cfg, Datum *values, bool *nulls)
{
	PmStatus	st = {cfg, values, nulls};
	ErrorData  *edata = spi_in_subxact(pm_status_fill, &st);

	if (edata == NULL)
		return;
	memset(nulls + 1, true, sizeof(bool) * 5);
	nulls[7] = false;
	values[7] = CStringGetTextDatum(psprintf("status unavailable: %s", edata->message));
	FreeErrorData(edata);
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
	spi_connect();
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
 * premade_ahead as it was at 'at' (see pm_count_ahead; partition_status
 * counts as of now).  -1 when
 * the parent no longer exists.  Reads the bounds under AccessShareLock; no
 * privilege on the parent is needed (pg_class shows them to everyone).
 */
int
partman_premade_ahead_at(Oid parent, const char *zone, TimestampTz at)
{
	PmParent	pp;
	PmConfig   *cfg = pm_load_config(parent);

	if (cfg == NULL)
		return -1;
	switch (pm_try_open_parent(parent, zone, &pp))
	{
		case 0:
			return -1;
		case -1:
			return INT_MAX;		/* maintenance holds it: not judged now */
	}
	return pm_count_ahead(&pp, cfg, at);
}

/* ---- part_config, for the other capabilities (partman.h) ---- */

bool
partman_is_managed(Oid parent)
{
	Oid			nsp = get_namespace_oid("cognomega", true);
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(parent)};

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("part_config", nsp)))
		return false;
	return spi_exec_kept("SELECT 1 FROM cognomega.part_config WHERE parent " PM_EQ_PARENT,
						 1, types, values, NULL, SPI_OK_SELECT) > 0;
}

List *
partman_parents(void)
{
	List	   *parents = NIL;
	uint64		i;

	spi_exec_kept("SELECT parent::pg_catalog.oid FROM cognomega.part_config",
				  0, NULL, NULL, NULL, SPI_OK_SELECT);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		parents = lappend_oid(parents,
							  DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
															 SPI_tuptable->tupdesc, 1, &isnull)));
	}
	return parents;
}

/*
 * The parents to maintain (all: every one) and their names, by OID; nine
 * tenths of the interval count as elapsed (why: wk_pm_list_step in jobs.c).
 */
List *
partman_due_parents(int interval_s, bool all, List **names)
{
	Datum		val[2] = {Int64GetDatum((int64) interval_s), BoolGetDatum(all)};
	Oid			typ[2] = {INT8OID, BOOLOID};
	List	   *parents = NIL;
	uint64		i;

	spi_exec_args("SELECT c.parent::pg_catalog.oid, c.parent::pg_catalog.text"
				  "  FROM cognomega.part_config c"
				  " WHERE $2 OR c.last_maintenance IS NULL"
				  "    OR c.last_maintenance OPERATOR(pg_catalog.+)"
				  "       (COALESCE(c.maintenance_interval, pg_catalog.make_interval(secs => $1))"
				  "        OPERATOR(pg_catalog.*) 0.9::pg_catalog.float8)"
				  "       OPERATOR(pg_catalog.<=) pg_catalog.now()"
				  " ORDER BY 1",
				  2, typ, val, NULL, true, SPI_OK_SELECT);
	*names = NIL;
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;

		parents = lappend_oid(parents,
							  DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull)));
		*names = lappend(*names, SPI_getvalue(tup, SPI_tuptable->tupdesc, 2));
	}
	return parents;
}

/* the earliest time a parent with its own maintenance_interval is due */
bool
partman_next_due(TimestampTz *at)
{
	bool		isnull;
	Datum		d;

	if (spi_exec("SELECT pg_catalog.min(c.last_maintenance + c.maintenance_interval)"
				 "  FROM cognomega.part_config c"
				 " WHERE c.maintenance_interval IS NOT NULL",
				 true, SPI_OK_SELECT) != 1)
		return false;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return false;
	*at = DatumGetTimestampTz(d);
	return true;
}

bool
partman_last_error(Oid parent, char **error)
{
	Datum		val[1] = {ObjectIdGetDatum(parent)};
	Oid			typ[1] = {OIDOID};
	bool		isnull;
	Datum		err;

	if (spi_exec_args("SELECT last_error FROM cognomega.part_config"
					  " WHERE parent OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
					  1, typ, val, NULL, false, SPI_OK_SELECT) != 1)
		return false;
	err = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*error = isnull ? NULL : TextDatumGetCString(err);
	return true;
}

void
partman_record_failure(Oid parent, const char *error)
{
	Datum		val[2] = {ObjectIdGetDatum(parent), CStringGetTextDatum(error)};
	Oid			typ[2] = {OIDOID, TEXTOID};

	spi_exec_args("UPDATE cognomega.part_config"
				  "   SET last_maintenance = pg_catalog.now(), last_error = $2"
				  " WHERE parent OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
				  2, typ, val, NULL, false, SPI_OK_UPDATE);
}

void
partman_set_retention(Oid parent, int retention_min)
{
	Datum		val[2] = {ObjectIdGetDatum(parent), Int32GetDatum(retention_min)};
	Oid			typ[2] = {OIDOID, INT4OID};

	spi_exec_kept("UPDATE cognomega.part_config"
				  "   SET retention = pg_catalog.make_interval(mins => $2)"
				  " WHERE parent OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
				  "   AND retention IS DISTINCT FROM pg_catalog.make_interval(mins => $2)",
				  2, typ, val, NULL, SPI_OK_UPDATE);
}

/* {"parent as text": premake, ...} of every managed parent */
Datum
partman_premakes(void)
{
	bool		isnull;

	spi_exec_kept("SELECT COALESCE(pg_catalog.jsonb_object_agg(c.parent::pg_catalog.text, c.premake),"
				  "                '{}'::pg_catalog.jsonb)"
				  "  FROM cognomega.part_config c",
				  0, NULL, NULL, NULL, SPI_OK_SELECT);
	return PointerGetDatum(PG_DETOAST_DATUM_COPY(SPI_getbinval(SPI_tuptable->vals[0],
															   SPI_tuptable->tupdesc, 1,
															   &isnull)));
}

/*
 * The managed parents that are short of future partitions, or whose
 * partitions end before their next maintenance is due ($1: the row's
 * managed_tables; $2: the interval in seconds of parents without their own,
 * cognomega.maintenance_interval, or its default of an hour when the job is
 * off and maintenance is scheduled elsewhere, e.g. by pg_cron @hourly).
 * Column 6: true when the clock alone cannot explain it: never maintained,
 * maintenance overdue (past next + grace), or the partitions end before
 * the next run (next = last_maintenance + interval: premake x the
 * partition interval is shorter than the maintenance interval).  Operators
 * are qualified: a superuser runs this.
 */
#define PM_SHORT_PARENTS \
	"SELECT c.parent::pg_catalog.oid, c.parent::pg_catalog.text, c.time_zone, c.premake," \
	"       c.last_maintenance," \
	"       c.last_maintenance IS NULL" \
	"       OR pg_catalog.now() OPERATOR(pg_catalog.>) d.due" \
	"       OR n.newest_end OPERATOR(pg_catalog.<) d.next" \
	"  FROM cognomega.part_config c" \
	"  JOIN pg_catalog.jsonb_each($1) m ON m.key OPERATOR(pg_catalog.=) c.parent::pg_catalog.text" \
	"  CROSS JOIN LATERAL (SELECT (m.value OPERATOR(pg_catalog.->>) 'premade_ahead')::pg_catalog.int4," \
	"                             (m.value OPERATOR(pg_catalog.->>) 'newest_end')::pg_catalog.timestamptz) n(ahead, newest_end)" \
	"  CROSS JOIN LATERAL (SELECT COALESCE(c.maintenance_interval," \
	"                                      pg_catalog.make_interval(secs => $2))) i(iv)" \
	"  CROSS JOIN LATERAL (SELECT c.last_maintenance OPERATOR(pg_catalog.+) i.iv," \
	"                             c.last_maintenance OPERATOR(pg_catalog.+) i.iv OPERATOR(pg_catalog.+)" \
	"                             GREATEST(i.iv OPERATOR(pg_catalog.*) 0.1::pg_catalog.float8," \
	"                                      '1 minute'::pg_catalog.interval)) d(next, due)" \
	" WHERE n.ahead OPERATOR(pg_catalog.<) c.premake OR n.newest_end OPERATOR(pg_catalog.<) d.next"

/*
 * The subjects (parent as text) for which MISSING_FUTURE_PARTITIONS holds:
 * short of future partitions, and maintenance should already have made
 * them (see the file header).
 */
Datum
partman_late_parents(Datum managed, int interval_s)
{
	Datum		val[2] = {managed, Int32GetDatum(interval_s)};
	Oid			typ[2] = {JSONBOID, INT4OID};
	uint64		n = spi_exec_kept(PM_SHORT_PARENTS, 2, typ, val, NULL, SPI_OK_SELECT);
	SPITupleTable *tt = SPI_tuptable;
	Datum	   *late = palloc(sizeof(Datum) * (n + 1));
	int			nlate = 0;
	uint64		i;

	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[i];
		bool		isnull;

		if (!DatumGetBool(SPI_getbinval(tup, tt->tupdesc, 6, &isnull)) &&
			partman_premade_ahead_at(DatumGetObjectId(SPI_getbinval(tup, tt->tupdesc, 1, &isnull)),
									 SPI_getvalue(tup, tt->tupdesc, 3),
									 DatumGetTimestampTz(SPI_getbinval(tup, tt->tupdesc, 5, &isnull))) >=
			DatumGetInt32(SPI_getbinval(tup, tt->tupdesc, 4, &isnull)))
			continue;			/* only the clock has moved since the last run */
		late[nlate++] = SPI_getbinval(tup, tt->tupdesc, 2, &isnull);
	}
	return PointerGetDatum(construct_array(late, nlate, TEXTOID, -1, false, TYPALIGN_INT));
}
