/*-------------------------------------------------------------------------
 *
 * partman_maint.c
 *		Retention and the maintenance loop of partition management:
 *		dropping or detaching old partitions, maintaining one parent in
 *		steps, and maintaining each configured parent in turn.
 *
 * Locking contract.  Retention locks (AccessExclusive) every partition it
 * drops or detaches, in bound order, after the parent and its default
 * (partman_create.c) and before the first DROP/DETACH.  No lock of ours is
 * held between parents beyond the transaction; run_maintenance_proc
 * commits after each.
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
 * step, and the other step's work is kept.  A cancel or statement_timeout
 * is never caught: it stops the whole run.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "cognomega.h"
#include "cache.h"
#include "compat.h"
#include "partman_int.h"
#include "spi_util.h"

/* is the partition r past retention (ends at or before cutoff)? */
bool
pm_past_retention(const PmRange *r, int64 cutoff)
{
	return r->hi <= cutoff && r->hi != PM_RAW_MAX;
}

/*
 * Drop, or detach when keep_table, every partition that ends at or before
 * cutoff.  All of them are locked first (after the parent and the default,
 * in bound order; before them the tables with a foreign key to the parent,
 * which DETACH and DROP lock AccessExclusive), so any wait happens before
 * the first change.
 */
static void
pm_apply_retention(PmParent *pp, int64 cutoff, bool keep_table)
{
	int			i;
	int			kept = 0;
	char	   *qparent = pm_qualified(pp->nspname, pp->relname);

	pm_lock_referencing(pp->relid, AccessExclusiveLock);
	for (i = 0; i < pp->nparts; i++)
		if (pm_past_retention(&pp->parts[i], cutoff))
			pm_lock_relation(pp->parts[i].relid, AccessExclusiveLock);
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
			spi_exec(psprintf("ALTER TABLE %s DETACH PARTITION %s", qparent, q), false, SPI_OK_ANY);
		else
			spi_exec(psprintf("DROP %sTABLE %s",
							  get_rel_relkind(r->relid) == RELKIND_FOREIGN_TABLE ? "FOREIGN " : "",
							  q), false, SPI_OK_ANY);
	}
	pp->nparts = kept;
}

/*
 * Citus (docs/scale-out.md): a distributed parent's partitions are created,
 * dropped and filled through the coordinator, where its maintenance runs.
 * There, the transaction's multi-shard commands run over one connection
 * per node (citus.multi_shard_modify_mode = sequential, for the rest of the
 * transaction): Citus refuses to distribute a new partition in a
 * transaction that ran a parallel multi-shard query, such as the probe of
 * the default partition.
 */
void
pm_check_citus_coordinator(const PmParent *pp)
{
	bool		isnull;

	if (!cache_citus_relation(pp->relid))
		return;
	if (spi_exec("SELECT pg_catalog.citus_is_coordinator()", true, SPI_OK_SELECT) == 1 &&
		!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("\"%s\" is a Citus table and this node is not the Citus coordinator",
						pp->relname),
				 errdetail("The partitions of a Citus table are created, dropped and filled through the coordinator, where its maintenance runs.")));
	spi_exec("SELECT pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true)",
			 false, SPI_OK_SELECT);
}

/* ---- Maintaining one parent ---- */

Timestamp
pm_now_local(const PmParent *pp)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (pp->keytype == TIMESTAMPTZOID)
		return pm_to_local(pp, now);
	return pm_zone_local(pp, now);
}

/* raw end of the premade window: the current slot and premake more */
int64
pm_premake_end(const PmParent *pp, int premake, Timestamp from_local)
{
	return pm_to_raw(pp, pm_slot_start(pp, from_local, (int64) premake + 1));
}

int64
pm_retention_cutoff(const PmParent *pp, const PmConfig *cfg)
{
	Timestamp	c;

	if (!cfg->has_retention)
		return PM_RAW_MIN;
	/* past the limit create_parent enforces (a row written by hand): nothing is that old */
	if (pm_interval_days(&cfg->retention) > PM_MAX_RETENTION_DAYS)
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

/*
 * Stamp the parent's run in part_config.  A skipped run (nowait) does not
 * wait for the row: when another maintainer holds it, that one records
 * its own outcome, and waiting could close a deadlock with it.
 */
static void
pm_record_run(Oid relid, const char *error, bool nowait)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', error ? ' ' : 'n'};

	values[0] = ObjectIdGetDatum(relid);
	values[1] = error ? CStringGetTextDatum(error) : (Datum) 0;
	spi_exec_as(spi_ext_table_owner("part_config"),
				nowait ?
				"UPDATE cognomega.part_config SET last_maintenance = pg_catalog.now(), last_error = $2 "
				"WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT ctid FROM cognomega.part_config "
				"  WHERE parent " PM_EQ_PARENT " FOR NO KEY UPDATE SKIP LOCKED))" :
				"UPDATE cognomega.part_config SET last_maintenance = pg_catalog.now(), last_error = $2 "
				"WHERE parent " PM_EQ_PARENT,
				2, types, values, nulls, SPI_OK_ANY);
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
pm_step_rescue(void *arg)
{
	PmMaint    *m = arg;
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
pm_step_create(void *arg)
{
	PmMaint    *m = arg;
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
pm_step_retention(void *arg)
{
	PmMaint    *m = arg;
	pm_read_partitions(m->pp);	/* step 1 may have been rolled back */
	pm_apply_retention(m->pp, m->cutoff, m->cfg->keep_table);
}

/*
 * Run one step in its own subtransaction.  On error only that step is
 * rolled back (its actions are forgotten), a WARNING names the parent and
 * the step, and the error is added to m->errors.
 */
static void
pm_run_step(PmMaint *m, const char *step, SpiSubxactFn fn)
{
	int			nactions = list_length(m->pp->actions);
	ErrorData  *edata = spi_in_subxact(fn, m);

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
pm_maintain_one(void *arg)
{
	PmMaint    *m = arg;
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
	pm_check_citus_coordinator(pp);
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
	pm_record_run(cfg->parent, m->errors.len > 0 ? m->errors.data : NULL, true);
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
	edata = spi_in_subxact(pm_maintain_one, &m);
	if (edata == NULL)
	{
		*errmsg_out = m.errors.len > 0 ? m.errors.data : NULL;
		return m.errors.len == 0;
	}
	pp->actions = NIL;
	pm_warn_skipped(cfg->parent, NULL, edata, "It is retried on the next run.");
	*errmsg_out = pstrdup(edata->message);
	FreeErrorData(edata);
	pm_record_run(cfg->parent, *errmsg_out, true);
	return false;
}

/* ---- run_maintenance ---- */

/* Maintain the given configs; SPI must be connected */
void
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
List *
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
