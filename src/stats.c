/*-------------------------------------------------------------------------
 *
 * stats.c
 *		The stats job: one row into cognomega.stats_history, then the alerts
 *		of cognomega.alerts raised, refreshed and resolved.
 *
 * stats_history is created by the extension script as a bare partitioned
 * table; the first run registers it with cognomega.create_parent (daily
 * partitions, retention cognomega.stats_retention) under an advisory lock,
 * so its partitions are ordinary tables made by the job, not extension
 * members; later runs keep part_config's retention equal to the GUC.
 *
 * Counters (commits, rollbacks, temp bytes, cache hits and misses...) are
 * stored cumulative, as PostgreSQL and the cache keep them; rates are the
 * difference of two rows (view cognomega.stats_rates).  LOW_CACHE_HIT_RATE
 * is judged on the window since the previous run in this database (its
 * counters kept in shared memory; after a restart the cache's counters
 * start from zero too, so the window is since then), and only when at least
 * STATS_MIN_LOOKUPS lookups happened in it; otherwise an open alert of
 * that kind is left as it is.  The cache figures are NULL when the library
 * is not preloaded or the cache_stats view does not exist.
 *
 * The job runs with search_path = pg_catalog, so that the subjects of the
 * alerts and the keys of managed_tables (regclass as text) are always
 * schema-qualified: the same condition gets the same subject whether a
 * worker or a session (with its own search_path) judges it.
 *
 * MISSING_FUTURE_PARTITIONS is not raised merely because premade_ahead <
 * premake: every partition boundary that passes takes one off until the
 * parent's next maintenance, which is not a fault.  It is raised when
 * maintenance should already have made the partitions, or will come too
 * late for them (partman_late_parents).  With due = last_maintenance + its
 * interval + a grace of a tenth of the interval (at least a minute): short
 * of partitions and never maintained, or overdue (now > due), or fewer than
 * premake partitions start after last_maintenance (that run did not make
 * them: creating failed or was skipped, a future partition was dropped,
 * premake raised); or, short or not, the newest partition ends before the
 * next run is expected (last_maintenance + interval, no grace: premake x
 * the partition interval is shorter than the maintenance interval, and
 * rows will reach the default partition before that run).
 * last_maintenance is stamped by every run that was not skipped whole, and
 * a successful creating step leaves premake partitions starting after it,
 * so with the worker on time and a sound premake none of these holds; a
 * failing retention alone does not raise it.

 * One open alert per (kind, subject) is enforced by the partial unique
 * index alerts_one_open: a condition is raised with INSERT .. ON CONFLICT
 * (refreshing value and last_seen), and resolved by the first run that no
 * longer sees it.
 *
 * Locking contract: none of its own.  Runs inside the job's transaction
 * with lock_timeout = cognomega.maintenance_lock_timeout, so reading the
 * managed parents never queues for long behind an application's lock; the
 * partitions (and their indexes) of each managed parent are locked without
 * waiting before they are measured, and a parent with one held elsewhere
 * is not measured on that run (stats_busy_parents).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "storage/lmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "partman.h"
#include "spi_util.h"
#include "stats.h"
#include "sysinfo.h"
#include "worker.h"

/* the maintenance interval assumed when the maintenance job is off */
#define STATS_DEFAULT_MAINTENANCE_S	3600

/* advisory lock key of the first registration ("cgst" in ASCII) */
#define STATS_REGISTER_LOCK_KEY		INT64CONST(0x63677374)

/* settings of the stats job's alerts and histories (stats_init) */
static int	cognomega_stats_retention_min = 30 * 24 * 60;
static double cognomega_alert_cache_hit_ratio = 0.7;
static double		cognomega_alert_memory_percent = 85.0;
static double		cognomega_alert_cpu_percent = 90.0;
static int			cognomega_alert_job_failures = 3;
static int			cognomega_alert_retention_min = 30 * 24 * 60;
static int			cognomega_job_history_retention_min = 30 * 24 * 60;

/* from this percentage a HIGH_MEMORY_USAGE or HIGH_CPU_USAGE alert is CRITICAL */
#define STATS_CRITICAL_PERCENT	"95"

typedef struct StatsCounters
{
	bool		known;
	int64		hits;
	int64		misses;
} StatsCounters;

/*
 * Register one of the extension's history tables (stats_history,
 * job_history: partitioned on their first column, col) for partition
 * management once; keep its retention equal to its setting (minutes).
 */
static void
stats_ensure_managed(const char *rel, const char *col, int retention_min)
{
	Datum		val[3] = {CStringGetTextDatum(rel), Int32GetDatum(retention_min),
		CStringGetTextDatum(col)};
	Oid			typ[3] = {TEXTOID, INT4OID, TEXTOID};
	Oid			relid = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(rel)));

	if (!partman_is_managed(relid))
	{
		Datum		key[1] = {Int64GetDatum(STATS_REGISTER_LOCK_KEY)};
		Oid			keytype[1] = {INT8OID};

		spi_exec_kept("SELECT pg_catalog.pg_advisory_xact_lock($1)",
					  1, keytype, key, NULL, SPI_OK_SELECT);
		if (!partman_is_managed(relid))
			spi_exec_kept("SELECT cognomega.create_parent($1::pg_catalog.regclass,"
						  " $3, '1 day'::interval, premake => 4,"
						  " retention => pg_catalog.make_interval(mins => $2))",
						  3, typ, val, NULL, SPI_OK_SELECT);
	}
	partman_set_retention(relid, retention_min);
}

/* can the cache figures be read here? */
static bool
stats_cache_available(void)
{
	Oid			nsp = get_namespace_oid("cognomega", true);

	return cognomega_is_preloaded && OidIsValid(nsp) &&
		OidIsValid(get_relname_relid("cache_stats", nsp));
}

static void
stats_read_counters(StatsCounters *c, int hits_col, int misses_col)
{
	bool		hnull,
				mnull;

	c->known = false;
	if (SPI_processed != 1)
		return;
	c->hits = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										  hits_col, &hnull));
	c->misses = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											misses_col, &mnull));
	c->known = !hnull && !mnull;
}

/*
 * The row: cache figures, database size and counters, connections by
 * state, each managed table's size, dead tuples and rows in its default
 * partition; the machine's figures ($1..$6, read by sysinfo.c) and, where
 * pg_stat_statements is installed and loaded, its cumulative calls and
 * execution time in this database.
 */
#define STATS_INSERT \
	"WITH c(entries, bytes_used, bytes_total, hits, misses, stores, evictions," \
	"       expirations, invalidations) AS (%s)," \
	" q(calls, exec_ms) AS (%s)," \
	" d AS (SELECT xact_commit, xact_rollback, temp_files, temp_bytes, stats_reset," \
	"              blks_hit, blks_read, deadlocks" \
	"         FROM pg_catalog.pg_stat_database WHERE datname = pg_catalog.current_database())," \
	" a AS (SELECT COALESCE(state, 'unknown') AS state, pg_catalog.count(*) AS n" \
	"         FROM pg_catalog.pg_stat_activity" \
	"        WHERE datname = pg_catalog.current_database() AND backend_type = 'client backend'" \
	"        GROUP BY 1)," \
	" m AS (SELECT s.parent::pg_catalog.text AS tbl, s.rows_in_default, s.premade_ahead, s.newest_end," \
	"              ($8 OPERATOR(pg_catalog.->>) s.parent::pg_catalog.text)::pg_catalog.int4 AS premake," \
	"              CASE WHEN s.parent::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($7) THEN NULL ELSE" \
	"              (SELECT pg_catalog.sum(pg_catalog.pg_total_relation_size(t.relid))" \
	"                 FROM pg_catalog.pg_partition_tree(s.parent) t WHERE t.isleaf) END AS size," \
	"              CASE WHEN s.parent::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($7) THEN NULL ELSE" \
	"              (SELECT pg_catalog.sum(pg_catalog.pg_stat_get_dead_tuples(t.relid))" \
	"                 FROM pg_catalog.pg_partition_tree(s.parent) t WHERE t.isleaf) END AS dead" \
	"         FROM cognomega.partition_status s" \
	"        WHERE s.partitions IS NOT NULL)" \
	" INSERT INTO cognomega.stats_history (cache_entries, cache_bytes_used, cache_bytes_total," \
	"        cache_hits, cache_misses, cache_stores, cache_evictions, cache_expirations," \
	"        cache_invalidations, database_size, xact_commit, xact_rollback, temp_files," \
	"        temp_bytes, stats_reset, connections, connections_total, rows_in_default," \
	"        managed_tables, memory_used, memory_total, memory_source, cpu_seconds," \
	"        cpu_count, load_1m, blks_hit, blks_read, deadlocks, statements_calls," \
	"        statements_exec_ms)" \
	" SELECT c.entries, c.bytes_used, c.bytes_total, c.hits, c.misses, c.stores, c.evictions," \
	"        c.expirations, c.invalidations," \
	"        pg_catalog.pg_database_size(pg_catalog.current_database())," \
	"        d.xact_commit, d.xact_rollback, d.temp_files, d.temp_bytes, d.stats_reset," \
	"        (SELECT COALESCE(pg_catalog.jsonb_object_agg(state, n), '{}') FROM a)," \
	"        (SELECT COALESCE(pg_catalog.sum(n), 0) FROM a)," \
	"        (SELECT COALESCE(pg_catalog.sum(rows_in_default), 0) FROM m)," \
	"        (SELECT COALESCE(pg_catalog.jsonb_object_agg(tbl," \
	"                 pg_catalog.jsonb_build_object('size', size, 'dead_tuples', dead," \
	"                                               'rows_in_default', rows_in_default," \
	"                                               'premade_ahead', premade_ahead, 'premake', premake," \
	"                                               'newest_end', newest_end)), '{}')" \
	"           FROM m)," \
	"        $1, $2, $3, $4, $5, $6, d.blks_hit, d.blks_read, d.deadlocks, q.calls, q.exec_ms" \
	"   FROM c CROSS JOIN q LEFT JOIN d ON true" \
	" RETURNING cache_hits, cache_misses, managed_tables"

#define STATS_NO_CACHE \
	"SELECT NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint," \
	" NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint"

#define STATS_CACHE \
	"SELECT entries, bytes_used, bytes_total, hits, misses, stores, evictions," \
	" expirations, invalidations FROM cognomega.cache_stats"

#define STATS_NO_STATEMENTS \
	"SELECT NULL::bigint, NULL::pg_catalog.float8"

#define STATS_STATEMENTS \
	"SELECT pg_catalog.sum(calls)::bigint, pg_catalog.sum(total_exec_time)::pg_catalog.float8" \
	"  FROM %s.pg_stat_statements" \
	" WHERE dbid OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database" \
	"                                     WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"

/*
 * The statements subquery: pg_stat_statements' view where the extension
 * is installed in this database and its library loaded (else the view
 * raises an error), NULLs otherwise.
 */
static char *
stats_statements_query(void)
{
	const char *libs = GetConfigOption("shared_preload_libraries", true, false);
	char	   *nsp;

	if (libs == NULL || strstr(libs, "pg_stat_statements") == NULL)
		return STATS_NO_STATEMENTS;
	spi_exec_kept("SELECT n.nspname FROM pg_catalog.pg_extension e"
				  "  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
				  " WHERE e.extname OPERATOR(pg_catalog.=) 'pg_stat_statements'",
				  0, NULL, NULL, NULL, SPI_OK_SELECT);
	if (SPI_processed != 1 ||
		(nsp = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)) == NULL)
		return STATS_NO_STATEMENTS;
	return psprintf(STATS_STATEMENTS, quote_identifier(nsp));
}

/*
 * Lock, without waiting, every partition of a managed parent and each of
 * their indexes, as pg_partition_tree and pg_total_relation_size then do:
 * false when one is held by someone else.  A role holding a lock on one of
 * its own partitions in a long transaction must not make the stats job
 * wait (and then fail for every role); that parent's size and dead tuples
 * are not measured on this run.  The locks got are kept to the end of the
 * transaction, as the query would keep them.
 */
static bool
stats_lock_tree_nowait(Oid parent)
{
	List	   *rels;
	ListCell   *lc;

	if (!ConditionalLockRelationOid(parent, AccessShareLock))
		return false;
	/* dropped behind cognomega's back: nothing to measure (nor to wait on) */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(parent)))
		return true;
	rels = find_all_inheritors(parent, NoLock, NULL);
	foreach(lc, rels)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel;
		List	   *indexes;
		ListCell   *li;

		if (relid == parent)
			continue;
		if (!ConditionalLockRelationOid(relid, AccessShareLock))
			return false;
		rel = try_relation_open(relid, NoLock);
		if (rel == NULL)
			continue;			/* dropped meanwhile: measured as nothing */
		indexes = RelationGetIndexList(rel);
		relation_close(rel, NoLock);
		foreach(li, indexes)
			if (!ConditionalLockRelationOid(lfirst_oid(li), AccessShareLock))
				return false;
	}
	return true;
}

/* the managed parents whose partitions cannot be measured now, as oid[] */
static Datum
stats_busy_parents(void)
{
	List	   *parents = partman_parents();
	List	   *busy = NIL;
	ListCell   *lc;
	Datum	   *elems;
	int			n = 0;

	foreach(lc, parents)
		if (!stats_lock_tree_nowait(lfirst_oid(lc)))
			busy = lappend_oid(busy, lfirst_oid(lc));
	elems = palloc(sizeof(Datum) * (list_length(busy) + 1));
	foreach(lc, busy)
		elems[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	return PointerGetDatum(construct_array(elems, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

/*
 * Insert this run's row; cur gets its cache counters, prev those of the
 * previous run in this database (kept in shared memory: no index needed on
 * stats_history, see the extension script).  Returns the row's
 * managed_tables, from which the alerts are judged (partition_status, which
 * counts the rows of every default partition, is read once per run).
 */
static Datum
stats_record(StatsCounters *prev, StatsCounters *cur, const SysInfo *si)
{
	bool		isnull;
	Datum		managed;
	Datum		val[8];
	char		nulls[8];
	Oid			typ[8] = {INT8OID, INT8OID, TEXTOID, FLOAT8OID, INT4OID, FLOAT8OID, OIDARRAYOID,
	JSONBOID};

	memset(val, 0, sizeof(val));
	memset(nulls, ' ', sizeof(nulls));
	if (si->have_memory)
	{
		val[0] = Int64GetDatum(si->memory_used);
		val[1] = Int64GetDatum(si->memory_total);
		val[2] = CStringGetTextDatum(si->memory_source);
	}
	else
		nulls[0] = nulls[1] = nulls[2] = 'n';
	if (si->have_cpu)
	{
		val[3] = Float8GetDatum(si->cpu_seconds);
		val[4] = Int32GetDatum(si->cpu_count);
	}
	else
		nulls[3] = nulls[4] = 'n';
	if (si->have_load)
		val[5] = Float8GetDatum(si->load_1m);
	else
		nulls[5] = 'n';
	val[6] = stats_busy_parents();
	val[7] = partman_premakes();

	spi_exec_kept(psprintf(STATS_INSERT,
						   stats_cache_available() ? STATS_CACHE : STATS_NO_CACHE,
						   stats_statements_query()),
				  8, typ, val, nulls, SPI_OK_INSERT_RETURNING);
	stats_read_counters(cur, 1, 2);
	managed = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
	managed = PointerGetDatum(PG_DETOAST_DATUM_COPY(managed));
	prev->known = cur->known &&
		wk_cache_window(cur->hits, cur->misses, &prev->hits, &prev->misses);
	return managed;
}

/* the memory in use, in percent, or -1 when unknown */
static double
stats_memory_percent(const SysInfo *si)
{
	if (!si->have_memory || si->memory_total <= 0)
		return -1;
	return 100.0 * (double) si->memory_used / (double) si->memory_total;
}

/*
 * The CPU used over the window since the previous run in this database,
 * in percent of the CPUs the server may use, or -1 when it cannot be
 * judged (first run, counter went backwards, CPUs changed).
 */
static double
stats_cpu_percent(const SysInfo *si)
{
	double		prev_cpu;
	int			prev_count;
	TimestampTz prev_at;
	TimestampTz now = GetCurrentTimestamp();
	double		secs;

	if (!si->have_cpu ||
		!wk_cpu_window(si->cpu_seconds, si->cpu_count, now,
					   &prev_cpu, &prev_count, &prev_at) ||
		prev_count != si->cpu_count || si->cpu_seconds < prev_cpu || now <= prev_at)
		return -1;
	secs = (double) (now - prev_at) / USECS_PER_SEC;
	return 100.0 * (si->cpu_seconds - prev_cpu) / (secs * si->cpu_count);
}

/*
 * The hit ratio of the window since the previous row, or -1 when it cannot
 * be judged (no cache figures, too few lookups).  Counters that went
 * backwards (reset, restart) make the window start at the reset.
 */
static double
stats_window_hit_ratio(const StatsCounters *prev, const StatsCounters *cur)
{
	int64		hits,
				misses;

	if (!cur->known)
		return -1;
	hits = cur->hits;
	misses = cur->misses;
	if (prev->known && prev->hits <= cur->hits && prev->misses <= cur->misses)
	{
		hits -= prev->hits;
		misses -= prev->misses;
	}
	if (hits + misses < STATS_MIN_LOOKUPS)
		return -1;
	return (double) hits / (double) (hits + misses);
}

/*
 * The conditions holding now, raised or refreshed, and the open alerts of
 * the kinds judged this run resolved when their condition no longer holds;
 * each raise and resolve is announced with NOTIFY cognomega_alerts (sent
 * when the job's transaction commits).  Parameters:
 *	$1, $2		the window's cache hit ratio (or -1) and its threshold
 *	$3			the row's managed_tables
 *	$4			the parents partman_late_parents found
 *	$5, $6		memory in use in percent (or -1) and its threshold
 *	$7, $8		CPU over the window in percent (or -1) and its threshold
 *	$9, $10		the jobs failing in a row, how many times, and $11 the
 *				threshold; $12 the jobs whose JOB_FAILING can be judged here
 * HIGH_MEMORY_USAGE and HIGH_CPU_USAGE are CRITICAL from 95 percent.
 */
#define STATS_ALERTS \
	"WITH mt AS (SELECT key AS tbl, value AS v FROM pg_catalog.jsonb_each($3))," \
	" cur(kind, subject, value, threshold, severity) AS (" \
	"   SELECT 'ROWS_IN_DEFAULT_PARTITION', tbl, (v->>'rows_in_default')::float8, 0::float8, 'WARNING'" \
	"     FROM mt WHERE (v->>'rows_in_default')::bigint > 0" \
	"   UNION ALL" \
	"   SELECT 'MISSING_FUTURE_PARTITIONS', tbl, (v->>'premade_ahead')::float8," \
	"          (v->>'premake')::float8, 'WARNING'" \
	"     FROM mt WHERE tbl = ANY($4)" \
	"   UNION ALL" \
	"   SELECT 'INVALID_INDEX', i.indexrelid::pg_catalog.regclass::pg_catalog.text, NULL, NULL, 'WARNING'" \
	"     FROM pg_catalog.pg_index i" \
	"     JOIN pg_catalog.pg_class r ON r.oid = i.indexrelid" \
	"     JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace" \
	"    WHERE NOT i.indisvalid" \
	"      AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'" \
	"      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p" \
	"                       WHERE p.index_relid = i.indexrelid)" \
	"   UNION ALL" \
	"   SELECT 'LOW_CACHE_HIT_RATE', 'cache', $1, $2, 'WARNING'" \
	"    WHERE $1 OPERATOR(pg_catalog.>=) 0::float8 AND $1 < $2" \
	"   UNION ALL" \
	"   SELECT 'HIGH_MEMORY_USAGE', 'memory', $5, $6," \
	"          CASE WHEN $5 >= " STATS_CRITICAL_PERCENT " THEN 'CRITICAL' ELSE 'WARNING' END" \
	"    WHERE $5 OPERATOR(pg_catalog.>=) 0::float8 AND $5 > $6" \
	"   UNION ALL" \
	"   SELECT 'HIGH_CPU_USAGE', 'cpu', $7, $8," \
	"          CASE WHEN $7 >= " STATS_CRITICAL_PERCENT " THEN 'CRITICAL' ELSE 'WARNING' END" \
	"    WHERE $7 OPERATOR(pg_catalog.>=) 0::float8 AND $7 > $8" \
	"   UNION ALL" \
	"   SELECT 'JOB_FAILING', j.job, j.n::float8, $11, 'WARNING'" \
	"     FROM ROWS FROM (pg_catalog.unnest($9), pg_catalog.unnest($10)) AS j(job, n) WHERE j.n >= $11)," \
	" raised AS (" \
	"   INSERT INTO cognomega.alerts AS al (kind, subject, value, threshold, severity)" \
	"   SELECT kind, subject, value, threshold, severity FROM cur" \
	"   ON CONFLICT (kind, subject) WHERE resolved_at IS NULL" \
	"   DO UPDATE SET value = excluded.value, threshold = excluded.threshold," \
	"                 severity = excluded.severity, last_seen = pg_catalog.now()" \
	"   RETURNING al.id, al.kind, al.subject, al.value, al.threshold, al.severity," \
	"             (al.xmax = 0) AS inserted)," \
	" resolved AS (" \
	"   UPDATE cognomega.alerts al SET resolved_at = pg_catalog.now()" \
	"    WHERE al.resolved_at IS NULL" \
	"      AND (al.kind <> 'LOW_CACHE_HIT_RATE' OR $1 OPERATOR(pg_catalog.>=) 0::float8)" \
	"      AND (al.kind <> 'HIGH_MEMORY_USAGE' OR $5 OPERATOR(pg_catalog.>=) 0::float8)" \
	"      AND (al.kind <> 'HIGH_CPU_USAGE' OR $7 OPERATOR(pg_catalog.>=) 0::float8)" \
	"      AND (al.kind <> 'JOB_FAILING' OR al.subject = ANY($12))" \
	"      AND al.kind IN ('ROWS_IN_DEFAULT_PARTITION', 'MISSING_FUTURE_PARTITIONS'," \
	"                      'INVALID_INDEX', 'LOW_CACHE_HIT_RATE', 'HIGH_MEMORY_USAGE'," \
	"                      'HIGH_CPU_USAGE', 'JOB_FAILING')" \
	"      AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.kind = al.kind AND cur.subject = al.subject)" \
	"   RETURNING al.id, al.kind, al.subject, al.value, al.threshold, al.severity)," \
	" notified AS (" \
	"   SELECT pg_catalog.pg_notify('cognomega_alerts', pg_catalog.json_build_object(" \
	"            'id', e.id, 'kind', e.kind, 'subject', e.subject, 'value', e.value," \
	"            'threshold', e.threshold, 'severity', e.severity, 'state', e.state," \
	"            'database', pg_catalog.current_database())::pg_catalog.text)" \
	"     FROM (SELECT id, kind, subject, value, threshold, severity, 'raised' AS state" \
	"             FROM raised WHERE inserted" \
	"           UNION ALL" \
	"           SELECT id, kind, subject, value, threshold, severity, 'resolved'" \
	"             FROM resolved) e)" \
	" SELECT (SELECT pg_catalog.count(*) FROM raised WHERE inserted)," \
	"        (SELECT pg_catalog.count(*) FROM raised)," \
	"        (SELECT pg_catalog.count(*) FROM resolved)," \
	"        (SELECT pg_catalog.count(*) FROM notified)"

/*
 * The jobs failing in a row in this database, as two arrays for
 * STATS_ALERTS, and (*known) those whose JOB_FAILING can be judged: the
 * streak is kept in shared memory, so after a restart a job that has only
 * failed since, fewer times than the threshold, may still be failing --
 * its open alert stays until it succeeds or reaches the threshold again.
 */
static void
stats_failing_jobs(Datum *names, Datum *counts, Datum *known)
{
	Datum		n[WK_NUM_JOBS];
	Datum		c[WK_NUM_JOBS];
	Datum		k[WK_NUM_JOBS];
	int			nfail = 0;
	int			nknown = 0;
	int			j;

	for (j = 0; j < WK_NUM_JOBS; j++)
	{
		int64		runs = 0;
		int			inrow = wk_failures_in_row((WkJobKind) j, &runs);

		if (inrow < 0)
			continue;
		if (runs > inrow || inrow >= cognomega_alert_job_failures)
			k[nknown++] = CStringGetTextDatum(wk_job_names[j]);
		if (inrow > 0)
		{
			n[nfail] = CStringGetTextDatum(wk_job_names[j]);
			c[nfail++] = Int32GetDatum(inrow);
		}
	}
	*names = PointerGetDatum(construct_array(n, nfail, TEXTOID, -1, false, TYPALIGN_INT));
	*counts = PointerGetDatum(construct_array(c, nfail, INT4OID, 4, true, TYPALIGN_INT));
	*known = PointerGetDatum(construct_array(k, nknown, TEXTOID, -1, false, TYPALIGN_INT));
}

/* raise and resolve alerts; returns "N raised, N open, N resolved" */
static char *
stats_alerts(double hit_ratio, Datum managed, const SysInfo *si)
{
	Datum		val[12];
	Oid			typ[12] = {FLOAT8OID, FLOAT8OID, JSONBOID, TEXTARRAYOID,
		FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID,
	TEXTARRAYOID, INT4ARRAYOID, FLOAT8OID, TEXTARRAYOID};
	int64		n[3];
	int			i;

	val[0] = Float8GetDatum(hit_ratio);
	val[1] = Float8GetDatum(cognomega_alert_cache_hit_ratio);
	val[2] = managed;
	val[3] = partman_late_parents(managed, cognomega_maintenance_interval_s > 0 ?
								  cognomega_maintenance_interval_s : STATS_DEFAULT_MAINTENANCE_S);
	val[4] = Float8GetDatum(stats_memory_percent(si));
	val[5] = Float8GetDatum(cognomega_alert_memory_percent);
	val[6] = Float8GetDatum(stats_cpu_percent(si));
	val[7] = Float8GetDatum(cognomega_alert_cpu_percent);
	stats_failing_jobs(&val[8], &val[9], &val[11]);
	val[10] = Float8GetDatum((double) cognomega_alert_job_failures);

	spi_exec_kept(STATS_ALERTS, 12, typ, val, NULL, SPI_OK_SELECT);
	for (i = 0; i < 3; i++)
	{
		bool		isnull;

		n[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										   i + 1, &isnull));
	}
	return psprintf("alerts: " INT64_FORMAT " raised, " INT64_FORMAT " open, "
					INT64_FORMAT " resolved", n[0], n[1], n[2]);
}

/* resolved alerts older than cognomega.alert_retention go */
static void
stats_forget_alerts(void)
{
	Datum		val[1] = {Int32GetDatum(cognomega_alert_retention_min)};
	Oid			typ[1] = {INT4OID};

	spi_exec_kept("DELETE FROM cognomega.alerts"
				  " WHERE resolved_at OPERATOR(pg_catalog.<)"
				  "       (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(mins => $1))",
				  1, typ, val, NULL, SPI_OK_DELETE);
}

/*
 * One row into cognomega.job_history for a run of a job (called in a
 * transaction with SPI connected, by jobs.c after the run).
 */
void
stats_record_job(const char *job, TimestampTz started, const char *status,
				 int sqlerrcode, const char *message, const char *result,
				 bool by_worker)
{
	int			nest = NewGUCNestLevel();
	Datum		val[7];
	char		nulls[7];
	Oid			typ[7] = {TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID};

	memset(nulls, ' ', sizeof(nulls));
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	stats_ensure_managed("cognomega.job_history", "started_at",
						 cognomega_job_history_retention_min);
	val[0] = CStringGetTextDatum(job);
	val[1] = TimestampTzGetDatum(started);
	val[2] = CStringGetTextDatum(status);
	if (sqlerrcode != 0)
		val[3] = CStringGetTextDatum(unpack_sql_state(sqlerrcode));
	else
		nulls[3] = 'n';
	if (message != NULL)
		val[4] = CStringGetTextDatum(message);
	else
		nulls[4] = 'n';
	if (result != NULL)
		val[5] = CStringGetTextDatum(result);
	else
		nulls[5] = 'n';
	val[6] = BoolGetDatum(by_worker);
	spi_exec_kept("INSERT INTO cognomega.job_history (job, database, started_at, ended_at,"
				  "        status, sqlstate, message, result, by_worker)"
				  " VALUES ($1, pg_catalog.current_database(), $2, pg_catalog.clock_timestamp(),"
				  "         $3, $4, $5, $6, $7)",
				  7, typ, val, nulls, SPI_OK_INSERT);
	AtEOXact_GUC(true, nest);
}

char *
stats_run(MemoryContext result_cxt)
{
	StatsCounters prev,
				cur;
	SysInfo		si;
	int			nest = NewGUCNestLevel();
	char		timeout[32];
	char	   *alerts;
	Datum		managed;

	snprintf(timeout, sizeof(timeout), "%d", cognomega_maintenance_lock_timeout_ms);
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* regclass::text names every table with its schema, whoever runs the job */
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	stats_ensure_managed("cognomega.stats_history", "recorded_at",
						 cognomega_stats_retention_min);
	sysinfo_read(&si);
	managed = stats_record(&prev, &cur, &si);
	alerts = stats_alerts(stats_window_hit_ratio(&prev, &cur), managed, &si);
	stats_forget_alerts();
	AtEOXact_GUC(true, nest);

	return MemoryContextStrdup(result_cxt,
							   psprintf("stats: 1 row recorded, %s", alerts));
}

/* the stats job's settings, from _PG_init */
void
stats_init(void)
{
	DefineCustomIntVariable("cognomega.stats_retention",
							"How long rows of cognomega.stats_history are kept.",
							NULL,
							&cognomega_stats_retention_min,
							30 * 24 * 60, 60, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MIN,
							NULL, NULL, NULL);

	DefineCustomRealVariable("cognomega.alert_cache_hit_ratio",
							 "Cache hit ratio below which the stats job raises LOW_CACHE_HIT_RATE.",
							 NULL,
							 &cognomega_alert_cache_hit_ratio,
							 0.7, 0.0, 1.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomRealVariable("cognomega.alert_memory_percent",
							 "Memory use, in percent, above which the stats job raises HIGH_MEMORY_USAGE.",
							 "CRITICAL from 95 percent.",
							 &cognomega_alert_memory_percent,
							 85.0, 0.0, 100.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomRealVariable("cognomega.alert_cpu_percent",
							 "CPU use over the stats window, in percent, above which the stats job raises HIGH_CPU_USAGE.",
							 "CRITICAL from 95 percent.",
							 &cognomega_alert_cpu_percent,
							 90.0, 0.0, 100.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.alert_job_failures",
							"Failed runs in a row of a job after which the stats job raises JOB_FAILING.",
							NULL,
							&cognomega_alert_job_failures,
							3, 1, INT_MAX,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.alert_retention",
							"How long resolved alerts are kept before the stats job deletes them.",
							NULL,
							&cognomega_alert_retention_min,
							30 * 24 * 60, 1, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MIN,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.job_history_retention",
							"How long rows of cognomega.job_history are kept.",
							NULL,
							&cognomega_job_history_retention_min,
							30 * 24 * 60, 60, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MIN,
							NULL, NULL, NULL);
}
