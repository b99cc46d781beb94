/*-------------------------------------------------------------------------
 *
 * partman_create.c
 *		Creating partitions for partition management: filling the premade
 *		window, and rescuing the rows of the default partition into the
 *		partitions their keys belong to.
 *
 * Every change (CREATE TABLE, ATTACH, moving rows) goes through SPI as SQL,
 * so PostgreSQL's own privilege checks, propagation of
 * indexes/constraints/triggers to partitions and the cache's invalidation
 * hooks see it exactly as if a DBA had typed it.
 *
 * Locking contract.  When there is work, AccessExclusiveLock on the parent
 * and then on its default partition are taken (pm_lock_for_changes) before
 * the first change, always in that order, after the parent's
 * ShareUpdateExclusiveLock (partman_parent.c), so any wait happens before
 * anything is changed.  Every wait obeys the session's lock_timeout.
 * Why not ATTACH under ShareUpdateExclusive alone: an INSERT running
 * concurrently keeps the partition descriptor it started with, routes a row
 * of the new range to the default partition, and then fails with "violates
 * partition constraint" once the ATTACH commits (tested: partman-rescue
 * spec); with AccessExclusive it waits and then routes correctly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

#include "cognomega.h"
#include "cache.h"
#include "compat.h"
#include "partman_int.h"
#include "spi_util.h"

/* ---- The default partition ---- */

/* Does the default partition hold any row (latest committed state)? */
bool
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
	/* a Citus table's rows are in its shards, its local heap is empty */
	if (cache_citus_relation(pp->defpart))
		return spi_exec(psprintf("SELECT 1 FROM ONLY %s LIMIT 1",
								 pm_qualified(get_namespace_name(get_rel_namespace(pp->defpart)),
											  get_rel_name(pp->defpart))),
						false, SPI_OK_SELECT) > 0;
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
char *
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
	spi_exec_args(sql, 2, types, values, NULL, false, SPI_OK_ANY);
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
bool
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
char *
pm_move_refusal(const PmParent *pp)
{
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		values[2] = {ObjectIdGetDatum(pp->relid), ObjectIdGetDatum(pp->defpart)};

	spi_exec_args("SELECT c.conname::pg_catalog.text, c.conrelid::pg_catalog.regclass::pg_catalog.text"
				  "  FROM pg_catalog.pg_constraint c"
				  " WHERE c.contype OPERATOR(pg_catalog.=) 'f'"
				  "   AND c.confrelid OPERATOR(pg_catalog.=) ANY (ARRAY[$1, $2]) LIMIT 1",
				  2, types, values, NULL, false, SPI_OK_ANY);
	if (SPI_processed > 0)
		return psprintf("rows not moved out of the default partition: table \"%s\" is referenced by foreign key \"%s\" of table %s, whose referential actions a move would fire",
						pp->relname,
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	spi_exec_args("SELECT p.pubname::pg_catalog.text FROM pg_catalog.pg_publication p"
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
				  2, types, values, NULL, false, SPI_OK_ANY);
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
		n = spi_exec_args(sql, 2, types, values, NULL, false, SPI_OK_ANY);
		total += n;
		CHECK_FOR_INTERRUPTS();
	} while (n > 0);
	return total;
}

/*
 * Citus (docs/scale-out.md): the default's rows in [lo, hi) moved out of
 * its shards into a table on this node (unlogged, in the parent's schema,
 * dropped before the end: maintenance runs as the owner in a
 * security-restricted operation, which may not create a temporary table;
 * one DELETE .. RETURNING:
 * exactly the rows deleted are kept), the partition created (Citus
 * distributes it; the default's shards no longer hold a row of its range,
 * so their constraint checks pass), then the rows inserted through the
 * parent, which routes them to the new partition's shards.  A row that a
 * write through a worker adds to the default meanwhile fails the create:
 * the transaction rolls back, nothing moved, and the next run retries.
 * The caller set sequential mode (pm_check_citus_coordinator): Citus allows
 * DDL after a multi-shard modification in one transaction only over one
 * connection per node.
 */
static int64
pm_move_rows_citus(const PmParent *pp, const char *qname, const char *qparent,
				   const char *bounds, const char *tblspc, int64 lo, int64 hi)
{
	char	   *cols = pm_column_list(pp);
	char	   *def = pm_qualified(get_namespace_name(get_rel_namespace(pp->defpart)),
								   get_rel_name(pp->defpart));
	const char *key = quote_identifier(pp->keycol);
	char	   *stash = pm_qualified(pp->nspname, pm_unique_name(pp, "_rescue"));
	Oid			types[2];
	Datum		values[2];
	uint64		moved;

	MemoryContext cxt = CurrentMemoryContext;

	spi_exec(psprintf("CREATE UNLOGGED TABLE %s (LIKE %s)", stash, qparent), false, SPI_OK_ANY);
	types[0] = types[1] = pp->keytype;
	values[0] = pm_datum_from_raw(pp->keytype, lo);
	values[1] = pm_datum_from_raw(pp->keytype, hi);
	moved = spi_exec_args(psprintf("WITH moved AS (DELETE FROM ONLY %s WHERE %s OPERATOR(pg_catalog.>=) $1"
								   " AND %s OPERATOR(pg_catalog.<) $2 RETURNING %s) "
								   "INSERT INTO %s (%s) SELECT %s FROM moved",
								   def, key, key, cols, stash, cols, cols),
						  2, types, values, NULL, false, SPI_OK_ANY);
	PG_TRY();
	{
		spi_exec(psprintf("CREATE TABLE %s PARTITION OF %s %s%s", qname, qparent, bounds, tblspc),
				 false, SPI_OK_ANY);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/*
		 * Citus refuses (with no SQLSTATE of its own) when the caller's
		 * transaction already ran a multi-shard query in parallel: every
		 * slot would fail alike, say so as the transaction's state
		 */
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_INTERNAL_ERROR ||
			strstr(edata->message, "because a parallel") == NULL)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("rows of the Citus table \"%s\" cannot be moved in this transaction", pp->relname),
				 errdetail("Citus: %s.", edata->message),
				 errhint("Move them in a transaction of their own, or begin it with SET LOCAL citus.multi_shard_modify_mode = 'sequential'.")));
	}
	PG_END_TRY();
	spi_exec(psprintf("INSERT INTO %s (%s) SELECT %s FROM %s", qparent, cols, cols, stash),
			 false, SPI_OK_ANY);
	spi_exec(psprintf("DROP TABLE %s", stash), false, SPI_OK_ANY);
	return (int64) moved;
}

/* ---- Creating, dropping, detaching partitions ---- */

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
		spi_exec(psprintf("CREATE TABLE %s PARTITION OF %s %s%s", qname, qparent, bounds, tblspc), false, SPI_OK_ANY);
	else if (cache_citus_relation(pp->relid) || cache_citus_relation(pp->defpart))
		moved = pm_move_rows_citus(pp, qname, qparent, bounds, tblspc, lo, hi);
	else
	{
		spi_exec(psprintf("CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
						  "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)%s",
						  qname, qparent, tblspc), false, SPI_OK_ANY);
		moved = pm_move_rows(pp, qname, lo, hi, batch);
		spi_exec(psprintf("ALTER TABLE %s ATTACH PARTITION %s %s", qparent, qname, bounds), false, SPI_OK_ANY);
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
int
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
void
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

/* pm_rescue_slot's slot, filled in a subtransaction */
typedef struct PmRescue
{
	PmParent   *pp;
	int64		key;
	int64		cutoff;
	int			batch;
	int64		next;			/* the next key to look after */
} PmRescue;

static void
pm_rescue_slot_fill(void *arg)
{
	PmRescue   *r = arg;
	int64		lo,
				hi;

	pm_slot_of(r->pp, r->key, &lo, &hi);
	r->next = hi - 1;			/* a failing slot is skipped whole */
	if (hi > r->cutoff)
		pm_fill(r->pp, lo, hi, true, r->batch);
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
	int			nactions = list_length(pp->actions);
	int			ncreated = pp->ncreated;
	int64		nmoved = pp->nmoved;
	PmRescue	r = {pp, key, cutoff, batch, key};
	ErrorData  *edata = spi_in_subxact(pm_rescue_slot_fill, &r);

	if (edata == NULL)
		return r.next;
	/* the transaction's state, not the slot's rows: every slot would fail */
	if (edata->sqlerrcode == ERRCODE_ACTIVE_SQL_TRANSACTION)
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
	return r.next;
}

/*
 * Move every placeable row of the default partition (pm_placeable_range)
 * into proper partitions, creating them, slot by slot.  Rows with a NULL
 * or infinite key, out of range, or of slots past retention, stay.
 */
void
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

void
pm_lock_for_changes(const PmParent *pp)
{
	Relation	rel = relation_open(pp->relid, NoLock);
	List	   *referenced = NIL;
	ListCell   *lc;

	foreach(lc, RelationGetFKeyList(rel))
	{
		ForeignKeyCacheInfo *fk = lfirst_node(ForeignKeyCacheInfo, lc);

		if (fk->confrelid != pp->relid)
			referenced = list_append_unique_oid(referenced, fk->confrelid);
	}
	relation_close(rel, NoLock);
	list_sort(referenced, list_oid_cmp);
	foreach(lc, referenced)
		pm_lock_relation(lfirst_oid(lc), ShareRowExclusiveLock);
	pm_lock_relation(pp->relid, AccessExclusiveLock);
	if (OidIsValid(pp->defpart))
		pm_lock_relation(pp->defpart, AccessExclusiveLock);
	pm_lock_referencing(pp->relid, ShareRowExclusiveLock);
}

/*
 * The tables with a foreign key to relid (and their partitions), in OID
 * order: creating a partition of relid takes ShareRowExclusiveLock on
 * them, detaching or dropping one AccessExclusiveLock.  pg_constraint has
 * no index on confrelid: a scan of it, only when there is work.
 */
void
pm_lock_referencing(Oid relid, LOCKMODE mode)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	List	   *referencing = NIL;
	ListCell   *lc;
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

		if (con->contype == CONSTRAINT_FOREIGN && con->confrelid == relid &&
			con->conrelid != relid)
			referencing = list_append_unique_oid(referencing, con->conrelid);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	foreach(lc, list_copy(referencing))
		referencing = list_concat_unique_oid(referencing,
											 find_all_inheritors(lfirst_oid(lc), NoLock, NULL));
	list_sort(referencing, list_oid_cmp);
	foreach(lc, referencing)
		pm_lock_relation(lfirst_oid(lc), mode);
}
