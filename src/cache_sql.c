/*-------------------------------------------------------------------------
 *
 * cache_sql.c
 *		SQL functions of the result cache (thin wrappers over cache.c) and
 *		cached_query.
 *
 * cached_query keeps, per backend, one SPI plan per query text (a bounded
 * hash table, TopMemoryContext).  Each call asks the plan cache for the
 * current generic plan: the plan cache revalidates it after DDL and when
 * search_path changes, so the relation OIDs the planner resolved
 * (PlannedStmt.relationOids) are current and become part of the key, with
 * the search_path itself (it also resolves functions, operators and types):
 * the same text under another search_path is another entry.  The plan cache
 * does not notice a new object that shadows an unqualified name, so any
 * relation, function, operator or type created, renamed or dropped makes the
 * text parse again.  Pending catalog invalidations are taken in on every
 * call, as locking the relations would.
 *
 * Whether a query may be cached is decided from the plan and the analyzed
 * query: a plain SELECT, no FOR UPDATE, no writable CTE, no mutable
 * (volatile or stable, e.g. now()) function, also among those called
 * without an expression node (aggregate support functions, sort/group
 * operators, domain checks, what to_jsonb calls on the output), no
 * TABLESAMPLE, no relation with row-level security, no temporary table,
 * catalog, sequence or foreign table, no function, operator or type in a
 * temporary schema.  Other queries run normally and are not stored.  On a
 * hit the executor's own permission check runs on the plan's range table,
 * then USAGE on the schemas the text names and EXECUTE on the functions it
 * calls, so a REVOKE yields the usual error.
 *
 * The value is json text, an array with one object per row (to_json of the
 * row), stored and returned as that text (since 0.3; jsonb before).
 * Output settings that change that text (TimeZone, DateStyle,
 * IntervalStyle, extra_float_digits, bytea_output, lc_monetary) and those
 * that change how the text parses are part of the key; the kept plan is
 * parsed again when they change.
 *
 * Locking: none of its own; see cache.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/gin.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_expr.h"
#include "parser/parser.h"
#include "pgtime.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/xml.h"

#include "cognomega.h"
#include "compat.h"
#include "cache.h"
#include "spi_util.h"

#define CQ_MAX_PLANS	256

typedef struct CqPlan
{
	uint64		hash;			/* hash key: of the query text */
	char	   *query;			/* TopMemoryContext */
	char	   *settings;		/* cq_append_settings() when parsed */
	SPIPlanPtr	plan;
	CachedPlan *memo_cplan;		/* the generic plan analyzed below */
	int			memo_generation;
	bool		cacheable;
	int			nrelids;
	Oid		   *relids;			/* sorted, TopMemoryContext */
	char	   *relid_text;		/* "search path|oid,oid," for the key */
	int			nfuncs;
	Oid		   *funcs;			/* functions EXECUTE is checked on */
	int			nnsps;
	Oid		   *nsps;			/* schemas USAGE is checked on */
	Oid			perms_role;		/* privileges checked for this role ... */
	uint64		perms_generation;	/* ... at this catalog generation */
	uint64		names_generation;	/* cq_names_generation when prepared */
} CqPlan;

static HTAB *cq_plans = NULL;

/*
 * cached_query calls whose query is running in this backend (one may call
 * another): while any is, no kept plan is flushed, since SPI is still
 * walking one of them.  No query runs across a transaction end, so the
 * count is reset there (an error may skip the decrement).
 */
static int	cq_running = 0;

/* bumped whenever a catalog behind a privilege check changes */
static uint64 cq_catalog_generation = 1;

/*
 * Bumped whenever a relation, function, operator or type is created,
 * renamed, moved or dropped: a new one earlier in the search_path may now
 * shadow an unqualified name.  The plan cache does not notice that (see
 * PREPARE), so the text is parsed again.
 */
static uint64 cq_names_generation = 1;

/*
 * Plans and analysis arrays replaced while a cached_query was running
 * (cq_running > 0): a nested call of the same text must not free the plan
 * SPI is still executing, nor the arrays the outer call stores with.  They
 * are freed by the next cached_query that runs no other (TopMemoryContext).
 */
static List *cq_dead_plans = NIL;
static List *cq_dead_mem = NIL;

/* ---- argument helpers ---- */

/* a ttl interval in milliseconds; NULL: -1 (the default) */
static int64
cache_ttl_arg(FunctionCallInfo fcinfo, int argno)
{
	Interval   *ttl;
	int64		usecs;

	if (PG_ARGISNULL(argno))
		return -1;
	ttl = PG_GETARG_INTERVAL_P(argno);
	/* a ttl beyond int64 microseconds (~292000 years) saturates */
	if (pg_mul_s64_overflow((int64) ttl->month * DAYS_PER_MONTH + ttl->day,
							USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, ttl->time, &usecs))
		usecs = ((double) ttl->month * DAYS_PER_MONTH + ttl->day) * USECS_PER_DAY +
			ttl->time > 0 ? PG_INT64_MAX : -1;
	if (usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ttl must not be negative"),
				 errdetail("A ttl of %s was given.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(ttl)))),
				 errhint("Use NULL for cognomega.cache_default_ttl or 0 for no expiry.")));
	return usecs == 0 ? 0 : Max(usecs / 1000, 1);
}

static char *
cache_key_arg(FunctionCallInfo fcinfo, const char *fn)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s key must not be null", fn)));
	return text_to_cstring(PG_GETARG_TEXT_PP(0));
}

/*
 * A declared dependency must exist and hold rows that writes can change:
 * a table, partitioned table, materialized view or foreign table.  Nothing
 * invalidates the entries of an index, sequence or composite type, and a
 * view's writes reach its base tables, so those are refused outright.
 */
static void
cache_check_dep(Oid relid)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" cannot be a dependency of a cache entry",
						get_rel_name(relid)),
				 errdetail("Only tables, partitioned tables, materialized views and foreign tables are dependencies."),
				 relkind == RELKIND_VIEW ?
				 errhint("Declare the tables the view reads.") : 0));

	/*
	 * The caller must be able to read it (the table or any column, and its
	 * schema), as a hit checks: otherwise the entry going away would tell
	 * when a table the caller cannot read was written.
	 */
	cache_check_schema_usage(relid);
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT,
								  ACLMASK_ANY) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(relkind),
					   get_rel_name(relid));
}

static Oid *
cache_deps_arg(FunctionCallInfo fcinfo, int argno, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	Oid		   *oids;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	deconstruct_array(arr, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT,
					  &elems, &nulls, n);
	oids = palloc(sizeof(Oid) * (*n + 1));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("depends_on must not contain null elements")));
		oids[i] = DatumGetObjectId(elems[i]);
		cache_check_dep(oids[i]);
	}
	return oids;
}

/* ---- key/value functions ---- */

PG_FUNCTION_INFO_V1(cognomega_cache_put);

Datum
cognomega_cache_put(PG_FUNCTION_ARGS)
{
	char	   *key;
	Jsonb	   *value;
	int64		ttl_ms;
	Oid		   *deps;
	int			ndeps;

	cognomega_require_preload("cache_put()");
	key = cache_key_arg(fcinfo, "cache_put()");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cache_put() value must not be null"),
				 errhint("Store 'null'::jsonb to cache a JSON null.")));
	value = PG_GETARG_JSONB_P(1);
	ttl_ms = cache_ttl_arg(fcinfo, 2);
	deps = cache_deps_arg(fcinfo, 3, &ndeps);
	if (!cache_attached())
		PG_RETURN_BOOL(false);
	/* "changed by a transaction that committed after this one began" */
	PG_RETURN_BOOL(cache_store_kind(CACHE_KIND_USER, key, strlen(key), (struct varlena *) value,
									ttl_ms, deps, ndeps,
									ndeps > 0 ? cache_xact_fence() :
									GetCurrentTransactionStartTimestamp()));
}

PG_FUNCTION_INFO_V1(cognomega_cache_get);

Datum
cognomega_cache_get(PG_FUNCTION_ARGS)
{
	Jsonb	   *value = cache_get_internal(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	if (value == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(value);
}

PG_FUNCTION_INFO_V1(cognomega_cache_invalidate);

Datum
cognomega_cache_invalidate(PG_FUNCTION_ARGS)
{
	char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(0));

	cognomega_require_preload("cache_invalidate()");
	if (!cache_attached())
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(cache_invalidate_key(CACHE_KIND_USER, key));
}

PG_FUNCTION_INFO_V1(cognomega_cache_invalidate_relation);

Datum
cognomega_cache_invalidate_relation(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);

	cognomega_require_preload("cache_invalidate_relation()");
	if (!get_rel_name(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER,
					   get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	if (!cache_attached())
		PG_RETURN_INT64(0);
	PG_RETURN_INT64(cache_invalidate_relation_internal(relid));
}

PG_FUNCTION_INFO_V1(cognomega_cache_clear);

Datum
cognomega_cache_clear(PG_FUNCTION_ARGS)
{
	cognomega_require_preload("cache_clear()");
	if (!cache_attached())
		PG_RETURN_INT64(0);
	PG_RETURN_INT64(cache_clear_internal());
}

PG_FUNCTION_INFO_V1(cognomega_cache_sweep);

Datum
cognomega_cache_sweep(PG_FUNCTION_ARGS)
{
	cognomega_require_preload("cache_sweep()");
	PG_RETURN_INT64(cache_sweep_expired());
}

PG_FUNCTION_INFO_V1(cognomega_cache_reset_stats);

Datum
cognomega_cache_reset_stats(PG_FUNCTION_ARGS)
{
	cognomega_require_preload("cache_reset_stats()");
	if (cache_attached())
		cache_reset_stats_internal();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(cognomega_cache_stats);

Datum
cognomega_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	CacheStats	st;
	Datum		values[10];
	bool		nulls[10] = {0};
	uint64		lookups;

	cognomega_require_preload("cache_stats");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	cache_read_stats(&st);
	values[0] = Int64GetDatum((int64) st.entries);
	values[1] = Int64GetDatum((int64) st.bytes_used);
	values[2] = Int64GetDatum((int64) st.bytes_total);
	for (int c = 0; c < CACHE_NCOUNTERS; c++)
		values[3 + c] = Int64GetDatum((int64) st.counters[c]);
	lookups = st.counters[CACHE_HITS] + st.counters[CACHE_MISSES];
	if (lookups == 0)
		nulls[9] = true;
	else
		values[9] = Float8GetDatum((double) st.counters[CACHE_HITS] / lookups);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

PG_FUNCTION_INFO_V1(cognomega_cache_role_stats);

/* the share of the cache each role's entries occupy (cache_role_stats) */
Datum
cognomega_cache_role_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CacheRoleStats *st;
	int			n;

	cognomega_require_preload("cache_role_stats");
	InitMaterializedSRF(fcinfo, 0);
	st = palloc(sizeof(CacheRoleStats) * CACHE_MAX_ROLE_STATS);
	n = cache_read_role_stats(st, CACHE_MAX_ROLE_STATS);
	for (int i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {0};

		values[0] = ObjectIdGetDatum(st[i].role);
		values[1] = Int64GetDatum((int64) st[i].entries);
		values[2] = Int64GetDatum((int64) st[i].bytes);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---- cached_query: per-backend plans ---- */

static void
cq_catalog_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	cq_catalog_generation++;
}

static void
cq_names_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	cq_names_generation++;
}

static void
cq_xact_end(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE)
		cq_running = 0;
}

static void
cq_init(void)
{
	HASHCTL		ctl;

	RegisterXactCallback(cq_xact_end, NULL);

	/* names a query resolves through the search_path */
	CacheRegisterSyscacheCallback(RELNAMENSP, cq_names_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCNAMEARGSNSP, cq_names_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(OPERNAMENSP, cq_names_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPENAMENSP, cq_names_changed, (Datum) 0);

	/* relacl, column acls, roles and memberships */
	CacheRegisterSyscacheCallback(RELOID, cq_catalog_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(ATTNUM, cq_catalog_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, cq_catalog_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, cq_catalog_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, cq_catalog_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, cq_catalog_changed, (Datum) 0);

	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(CqPlan);
	cq_plans = hash_create("cognomega cached_query plans", CQ_MAX_PLANS,
						   &ctl, HASH_ELEM | HASH_BLOBS);
}

/* pfree p, or keep it for cq_bury() while a cached_query runs */
static void
cq_free_mem(void *p)
{
	MemoryContext old;

	if (p == NULL)
		return;
	if (cq_running == 0)
	{
		pfree(p);
		return;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	cq_dead_mem = lappend(cq_dead_mem, p);
	MemoryContextSwitchTo(old);
}

static void
cq_free_plan(SPIPlanPtr plan)
{
	MemoryContext old;

	if (plan == NULL)
		return;
	if (cq_running == 0)
	{
		SPI_freeplan(plan);
		return;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	cq_dead_plans = lappend(cq_dead_plans, plan);
	MemoryContextSwitchTo(old);
}

/* free what nested calls replaced, once none is running */
static void
cq_bury(void)
{
	ListCell   *lc;

	if (cq_running != 0)
		return;
	foreach(lc, cq_dead_plans)
		SPI_freeplan((SPIPlanPtr) lfirst(lc));
	foreach(lc, cq_dead_mem)
		pfree(lfirst(lc));
	list_free(cq_dead_plans);
	list_free(cq_dead_mem);
	cq_dead_plans = NIL;
	cq_dead_mem = NIL;
}

/* forget what was learnt from the last generic plan */
static void
cq_forget_analysis(CqPlan *cp)
{
	cq_free_mem(cp->relids);
	cq_free_mem(cp->relid_text);
	cq_free_mem(cp->funcs);
	cq_free_mem(cp->nsps);
	cp->relids = NULL;
	cp->relid_text = NULL;
	cp->funcs = NULL;
	cp->nsps = NULL;
	cp->nfuncs = 0;
	cp->nnsps = 0;
	cp->memo_cplan = NULL;
	cp->perms_role = InvalidOid;
}

static void
cq_forget(CqPlan *cp)
{
	cq_forget_analysis(cp);
	cq_free_plan(cp->plan);
	cq_free_mem(cp->query);
	cq_free_mem(cp->settings);
	cp->settings = NULL;
	cp->plan = NULL;
	cp->query = NULL;
}

/* drop every kept plan (bounded memory) */
static void
cq_forget_all(void)
{
	HASH_SEQ_STATUS seq;
	CqPlan	   *cp;

	hash_seq_init(&seq, cq_plans);
	while ((cp = hash_seq_search(&seq)) != NULL)
	{
		cq_forget(cp);
		hash_search(cq_plans, &cp->hash, HASH_REMOVE, NULL);
	}
}

static SPIPlanPtr
cq_prepare(const char *query)
{
	SPIPlanPtr	plan;

	spi_connect();
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cached_query() cannot run this query: %s",
						SPI_result_code_string(SPI_result))));
	/* 42601 like PREPARE's "cannot insert multiple commands" */
	if (list_length(SPI_plan_get_plan_sources(plan)) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cached_query() needs exactly one statement"),
				 errdetail("The query text contains %d statements.",
						   list_length(SPI_plan_get_plan_sources(plan)))));
	spi_keep_plan(plan, "cached_query");
	SPI_finish();
	return plan;
}

/*
 * The kept plan for query, parsed under settings (the parse-time settings:
 * a literal was folded into a constant under them, so the plan cache's plan
 * is parsed again when they change, which PostgreSQL would not do).
 */
static CqPlan *
cq_plan_for(const char *query, const char *settings)
{
	uint64		h = hash_bytes_extended((const unsigned char *) query,
										strlen(query), 0);
	CqPlan	   *cp;
	bool		found;
	SPIPlanPtr	plan;
	uint64		names;

	if (cq_plans == NULL)
		cq_init();
	cq_bury();
	cp = hash_search(cq_plans, &h, HASH_FIND, NULL);
	if (cp && strcmp(cp->query, query) == 0 &&
		cp->names_generation == cq_names_generation &&
		strcmp(cp->settings, settings) == 0)
		return cp;

	names = cq_names_generation;	/* before parsing: a change meanwhile parses again */
	plan = cq_prepare(query);	/* may fail: nothing changed yet */
	if (cp == NULL && hash_get_num_entries(cq_plans) >= CQ_MAX_PLANS &&
		cq_running == 0)
		cq_forget_all();
	cp = hash_search(cq_plans, &h, HASH_ENTER, &found);
	if (found)
		cq_forget(cp);
	memset(((char *) cp) + sizeof(uint64), 0, sizeof(CqPlan) - sizeof(uint64));
	cp->query = MemoryContextStrdup(TopMemoryContext, query);
	cp->settings = MemoryContextStrdup(TopMemoryContext, settings);
	cp->plan = plan;
	cp->names_generation = names;
	return cp;
}

/* ---- cached_query: cacheability, from the plan ---- */

static int
cq_oid_cmp(const void *a, const void *b)
{
	Oid			x = *(const Oid *) a;
	Oid			y = *(const Oid *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* TABLESAMPLE draws another sample each time, like random() */
static bool
cq_has_tablesample(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
		return ((RangeTblEntry *) node)->tablesample != NULL;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, cq_has_tablesample, context,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, cq_has_tablesample, context);
}

static bool
cq_queries_cacheable(CachedPlanSource *ps)
{
	if (ps->dependsOnRLS)
		return false;
	for (int i = 0; i < list_length(ps->query_list); i++)
	{
		Query	   *q = list_nth_node(Query, ps->query_list, i);

		if (q->commandType != CMD_SELECT || q->rowMarks != NIL ||
			q->hasModifyingCTE ||
			contain_mutable_functions((Node *) q) ||
			cq_has_tablesample((Node *) q, NULL))
			return false;
	}
	return true;
}

/*
 * The search_path the query was parsed under: it resolved the relations,
 * but also the functions, operators and types (two schemas may each have an
 * immutable f()), so it is part of the key.
 */
static void
cq_append_search_path(StringInfo buf, CachedPlanSource *ps)
{
	if (ps->search_path == NULL)
		return;
	appendStringInfo(buf, "%c%c", ps->search_path->addCatalog ? 'c' : '-',
					 ps->search_path->addTemp ? 't' : '-');
	for (int i = 0; i < list_length(ps->search_path->schemas); i++)
		appendStringInfo(buf, "%u,", list_nth_oid(ps->search_path->schemas, i));
}

/* the relations the plan reads, sorted, and the key text naming them */
static void
cq_collect_relids(CqPlan *cp, CachedPlanSource *ps, PlannedStmt *stmt)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	StringInfoData buf;
	int			n = list_length(stmt->relationOids);

	cp->relids = palloc(sizeof(Oid) * (n + 1));
	for (int i = 0; i < n; i++)
		cp->relids[i] = list_nth_oid(stmt->relationOids, i);
	qsort(cp->relids, n, sizeof(Oid), cq_oid_cmp);
	cp->nrelids = 0;
	initStringInfo(&buf);
	cq_append_search_path(&buf, ps);
	appendStringInfoChar(&buf, '|');
	for (int i = 0; i < n; i++)
	{
		if (cp->nrelids > 0 && cp->relids[cp->nrelids - 1] == cp->relids[i])
			continue;
		cp->relids[cp->nrelids++] = cp->relids[i];
		appendStringInfo(&buf, "%u,", cp->relids[i]);
		if (!cache_relation_storable(cp->relids[i]))
			cp->cacheable = false;
	}
	cp->relid_text = buf.data;
	MemoryContextSwitchTo(old);
}

/*
 * What the analyzed (rewritten) query reaches beyond its relations: the
 * functions the executor checks EXECUTE on as the current user, the schemas
 * a plain query needs USAGE on (those of the relations, views and functions
 * the text names itself, not those reached inside a view), and whether
 * anything it can call is not immutable or is session-private.
 */
typedef struct CqScan
{
	bool		cacheable;
	int			view_depth;		/* > 0: inside a view's expansion */
	List	   *funcs;
	List	   *nsps;
	List	   *rowrels;		/* relations whose row type a value has */
	bool		enums_keyed;	/* enum labels count as fixed (see below) */
} CqScan;

static bool cq_scan_walker(Node *node, CqScan *cx);

/* a pg_type / pg_proc / pg_operator row in a temporary schema */
static bool
cq_temp_object(int cacheid, Oid oid)
{
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	if (oid < FirstNormalObjectId)
		return false;
	tup = SearchSysCache1(cacheid, ObjectIdGetDatum(oid));
	if (!HeapTupleIsValid(tup))
		return false;
	if (cacheid == TYPEOID)
		nsp = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
	else if (cacheid == PROCOID)
		nsp = ((Form_pg_proc) GETSTRUCT(tup))->pronamespace;
	else if (cacheid == OPEROID)
		nsp = ((Form_pg_operator) GETSTRUCT(tup))->oprnamespace;
	ReleaseSysCache(tup);
	return OidIsValid(nsp) && isAnyTempNamespace(nsp);
}

/*
 * A value of a relation's row type (a column of another table, a field
 * selection): what it prints, or whether its field exists, changes with an
 * ALTER TABLE of that relation, which invalidates that relation's entries
 * only.  The relation becomes a dependency.  (A composite type's ALTER TYPE
 * invalidates the database.)
 */
static void
cq_note_rowtype(CqScan *cx, Oid typid)
{
	Oid			relid = get_typ_typrelid(getBaseType(typid));

	if (OidIsValid(relid) && get_rel_relkind(relid) != RELKIND_COMPOSITE_TYPE)
		cx->rowrels = list_append_unique_oid(cx->rowrels, relid);
}

static void
cq_scan_type(CqScan *cx, Oid typid)
{
	if (OidIsValid(typid) && cq_temp_object(TYPEOID, typid))
		cx->cacheable = false;
}

/* a function the plan calls: volatility, temp schema, privileges */
static void
cq_scan_func(CqScan *cx, Oid funcid, bool execute)
{
	if (!OidIsValid(funcid))
		return;
	if (func_volatile(funcid) != PROVOLATILE_IMMUTABLE ||
		cq_temp_object(PROCOID, funcid))
		cx->cacheable = false;
	if (!execute)
		return;
	cx->funcs = list_append_unique_oid(cx->funcs, funcid);
	if (cx->view_depth == 0)
	{
		Oid			nsp = get_func_namespace(funcid);

		if (OidIsValid(nsp) && nsp != PG_CATALOG_NAMESPACE)
			cx->nsps = list_append_unique_oid(cx->nsps, nsp);
	}
}

static void
cq_scan_operator(CqScan *cx, Oid opno, Oid opfuncid)
{
	if (OidIsValid(opno) && cq_temp_object(OPEROID, opno))
		cx->cacheable = false;
	cq_scan_func(cx, OidIsValid(opfuncid) ? opfuncid : get_opcode(opno), true);
}

/*
 * An aggregate's transition, final, combine, (de)serialization and
 * moving-aggregate functions are called without a node of their own (and
 * pg_proc calls every aggregate immutable): they count for volatility.
 * Their EXECUTE is checked as the aggregate's owner, so not here.
 */
static void
cq_scan_aggregate(CqScan *cx, Oid aggfnoid)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfnoid));
	Form_pg_aggregate agg;

	if (!HeapTupleIsValid(tup))
		return;					/* a plain window function */
	agg = (Form_pg_aggregate) GETSTRUCT(tup);
	cq_scan_func(cx, agg->aggtransfn, false);
	cq_scan_func(cx, agg->aggfinalfn, false);
	cq_scan_func(cx, agg->aggcombinefn, false);
	cq_scan_func(cx, agg->aggserialfn, false);
	cq_scan_func(cx, agg->aggdeserialfn, false);
	cq_scan_func(cx, agg->aggmtransfn, false);
	cq_scan_func(cx, agg->aggminvtransfn, false);
	cq_scan_func(cx, agg->aggmfinalfn, false);
	ReleaseSysCache(tup);
}

/* a domain's CHECK constraints run when a value is coerced to it */
static void
cq_scan_domain(CqScan *cx, Oid domid)
{
	DomainConstraintRef *ref;
	ListCell   *lc;

	cq_scan_type(cx, domid);
	if (!DomainHasConstraints(domid))
		return;
	/* the context's reset callback points into ref: not on the stack */
	ref = palloc(sizeof(DomainConstraintRef));
	InitDomainConstraintRef(domid, ref, CurrentMemoryContext, false);
	foreach(lc, ref->constraints)
	{
		DomainConstraintState *c = (DomainConstraintState *) lfirst(lc);

		if (c->check_expr && contain_mutable_functions((Node *) c->check_expr))
			cx->cacheable = false;
	}
}

/*
 * to_jsonb of a column of type typid: a type defined by a user may have a
 * cast to json, which to_jsonb calls, or an output function; composite,
 * array and range types print their members (jsonb.c's categories).
 */
static void
cq_scan_output_type(CqScan *cx, Oid typid, int depth)
{
	Oid			base = getBaseType(typid);
	Oid			elem;
	Oid			castfunc;
	Oid			outfunc;
	bool		isvarlena;

	cq_scan_type(cx, typid);
	if (depth > 16)
		cx->cacheable = false;	/* too deep to follow */
	if (!cx->cacheable)
		return;
	if (base == RECORDOID || base == RECORDARRAYOID)
	{
		cx->cacheable = false;	/* its fields' types are not known here */
		return;
	}
	if (OidIsValid(elem = get_element_type(base)))
		cq_scan_output_type(cx, elem, depth + 1);
	else if (type_is_rowtype(base))
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(base, -1);

		cq_note_rowtype(cx, base);
		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				cq_scan_output_type(cx, TupleDescAttr(desc, i)->atttypid, depth + 1);
		ReleaseTupleDesc(desc);
	}
	else if (type_is_range(base))
		cq_scan_output_type(cx, get_range_subtype(base), depth + 1);
	else if (type_is_multirange(base))
		cq_scan_output_type(cx, get_multirange_range(base), depth + 1);
	else if (base < FirstNormalObjectId)
	{
		/*
		 * A built-in type: jsonb.c uses no cast, but prints it with its output
		 * function.  Those of date, time and money depend on settings the key
		 * holds; the other non-immutable ones (regclass and the other reg*
		 * types, aclitem) print names read from the catalogs at that moment,
		 * which a RENAME, a DROP ROLE or a new relation earlier in the
		 * search_path changes without touching the table that holds the OID.
		 */
		getTypeOutputInfo(base, &outfunc, &isvarlena);
		if (outfunc != F_DATE_OUT && outfunc != F_TIMESTAMP_OUT &&
			outfunc != F_TIMESTAMPTZ_OUT && outfunc != F_INTERVAL_OUT &&
			outfunc != F_CASH_OUT &&
			func_volatile(outfunc) != PROVOLATILE_IMMUTABLE)
			cx->cacheable = false;
	}
	else if (find_coercion_pathway(JSONOID, base, COERCION_EXPLICIT,
								   &castfunc) == COERCION_PATH_FUNC &&
			 OidIsValid(castfunc))
		cq_scan_func(cx, castfunc, false);
	else
	{
		getTypeOutputInfo(base, &outfunc, &isvarlena);
		if (cx->enums_keyed && outfunc == F_ENUM_OUT)
			return;
		cq_scan_func(cx, outfunc, false);
	}
}

/*
 * Whether every value of typid prints as json by the data and the settings
 * cache_output_settings() holds alone: the check cached_query makes on its
 * result columns (no reg* type, no cast to json that is not immutable, no
 * temporary type), for the query functions, which print whole rows.  An
 * enum passes (enum_out is stable only because it reads pg_enum, and
 * ALTER TYPE invalidates the cache, see invalidate.c): the platform tables
 * may well have enum columns.
 */
bool
cache_type_output_keyed(Oid typid)
{
	CqScan		cx = {0};

	cx.cacheable = true;
	cx.enums_keyed = true;
	cq_scan_output_type(&cx, typid, 0);
	list_free(cx.funcs);
	list_free(cx.nsps);
	list_free(cx.rowrels);
	return cx.cacheable;
}

/* GROUP BY / DISTINCT equality, ORDER BY comparison: no expression node */
static void
cq_scan_sortgroup(CqScan *cx, List *clauses, bool execute)
{
	ListCell   *lc;

	foreach(lc, clauses)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);

		if (OidIsValid(sgc->eqop))
			cq_scan_func(cx, get_opcode(sgc->eqop), execute);
		if (OidIsValid(sgc->sortop))
			cq_scan_func(cx, get_opcode(sgc->sortop), false);
	}
}

static bool
cq_scan_query(Query *q, CqScan *cx)
{
	ListCell   *lc;

	cq_scan_sortgroup(cx, q->groupClause, true);
	cq_scan_sortgroup(cx, q->distinctClause, true);
	cq_scan_sortgroup(cx, q->sortClause, false);
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION && cx->view_depth == 0 &&
			COGNOMEGA_RTE_CHECKED(rte))
			cx->nsps = list_append_unique_oid(cx->nsps,
											  get_rel_namespace(rte->relid));
		else if (rte->rtekind == RTE_SUBQUERY)
		{
			/* a view keeps its OID when the rewriter expands it */
			bool		view = OidIsValid(rte->relid);

			if (view && cx->view_depth == 0)
				cx->nsps = list_append_unique_oid(cx->nsps,
												  get_rel_namespace(rte->relid));
			cx->view_depth += view ? 1 : 0;
			cq_scan_walker((Node *) rte->subquery, cx);
			cx->view_depth -= view ? 1 : 0;
		}
	}
	return query_tree_walker(q, cq_scan_walker, cx, QTW_IGNORE_RT_SUBQUERIES);
}

static bool
cq_scan_walker(Node *node, CqScan *cx)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_Query:
			return cq_scan_query((Query *) node, cx);
		case T_FuncExpr:
			cq_scan_func(cx, ((FuncExpr *) node)->funcid, true);
			cq_scan_type(cx, ((FuncExpr *) node)->funcresulttype);
			break;
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			cq_scan_operator(cx, ((OpExpr *) node)->opno,
							 ((OpExpr *) node)->opfuncid);
			break;
		case T_ScalarArrayOpExpr:
			{
				ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) node;

				cq_scan_operator(cx, sa->opno, sa->opfuncid);
				cq_scan_func(cx, sa->hashfuncid, true);
				cq_scan_func(cx, sa->negfuncid, true);
				break;
			}
		case T_Aggref:
			cq_scan_func(cx, ((Aggref *) node)->aggfnoid, true);
			cq_scan_aggregate(cx, ((Aggref *) node)->aggfnoid);
			break;
		case T_WindowFunc:
			cq_scan_func(cx, ((WindowFunc *) node)->winfnoid, true);
			cq_scan_aggregate(cx, ((WindowFunc *) node)->winfnoid);
			break;
		case T_CoerceToDomain:
			cq_scan_domain(cx, ((CoerceToDomain *) node)->resulttype);
			break;
		case T_Const:
			cq_scan_type(cx, ((Const *) node)->consttype);
			break;
		case T_RelabelType:
			cq_scan_type(cx, ((RelabelType *) node)->resulttype);
			break;
		case T_CoerceViaIO:
			cq_scan_type(cx, ((CoerceViaIO *) node)->resulttype);
			break;
		case T_ArrayCoerceExpr:
			cq_scan_type(cx, ((ArrayCoerceExpr *) node)->resulttype);
			break;
		case T_RowExpr:
			cq_scan_type(cx, ((RowExpr *) node)->row_typeid);
			cq_note_rowtype(cx, ((RowExpr *) node)->row_typeid);
			break;
		case T_FieldSelect:
			cq_note_rowtype(cx, exprType((Node *) ((FieldSelect *) node)->arg));
			break;
		case T_FieldStore:
			cq_note_rowtype(cx, ((FieldStore *) node)->resulttype);
			break;
		default:
			break;
	}
	return expression_tree_walker(node, cq_scan_walker, cx);
}

/* copy an OID list into a TopMemoryContext array */
static Oid *
cq_oid_array(List *l, int *n)
{
	Oid		   *a = MemoryContextAlloc(TopMemoryContext,
									   sizeof(Oid) * (list_length(l) + 1));

	*n = list_length(l);
	for (int i = 0; i < *n; i++)
		a[i] = list_nth_oid(l, i);
	return a;
}

/* more dependencies (not part of the key: the plan determines them) */
static void
cq_add_relids(CqPlan *cp, List *rels)
{
	Oid		   *relids;
	int			n = cp->nrelids;

	if (rels == NIL)
		return;
	relids = MemoryContextAlloc(TopMemoryContext,
								sizeof(Oid) * (n + list_length(rels) + 1));
	memcpy(relids, cp->relids, sizeof(Oid) * n);
	for (int i = 0; i < list_length(rels); i++)
	{
		Oid			relid = list_nth_oid(rels, i);
		bool		have = false;

		for (int j = 0; j < n; j++)
			have |= relids[j] == relid;
		if (have)
			continue;
		relids[n++] = relid;
		if (!cache_relation_storable(relid))
			cp->cacheable = false;
	}
	qsort(relids, n, sizeof(Oid), cq_oid_cmp);
	cq_free_mem(cp->relids);
	cp->relids = relids;
	cp->nrelids = n;
}

static void
cq_scan(CqPlan *cp, CachedPlanSource *ps)
{
	CqScan		cx = {true, 0, NIL, NIL, NIL};
	ListCell   *lc;

	foreach(lc, ps->query_list)
		cq_scan_walker((Node *) lfirst(lc), &cx);
	if (list_length(ps->query_list) == 1)
	{
		foreach(lc, linitial_node(Query, ps->query_list)->targetList)
		{
			TargetEntry *te = lfirst_node(TargetEntry, lc);

			if (!te->resjunk)
			{
				if (IsA(te->expr, RowExpr))
				{
					ListCell   *la;

					foreach(la, ((RowExpr *) te->expr)->args)
						cq_scan_output_type(&cx, exprType(lfirst(la)), 1);
				}
				else
					cq_scan_output_type(&cx, exprType((Node *) te->expr), 0);
			}
		}
	}
	if (!cx.cacheable)
		cp->cacheable = false;
	cq_add_relids(cp, cx.rowrels);
	list_free(cx.rowrels);
	cp->funcs = cq_oid_array(cx.funcs, &cp->nfuncs);
	cp->nsps = cq_oid_array(cx.nsps, &cp->nnsps);
	list_free(cx.funcs);
	list_free(cx.nsps);
}

static void
cq_analyze(CqPlan *cp, CachedPlanSource *ps, CachedPlan *cplan)
{
	PlannedStmt *stmt = linitial_node(PlannedStmt, cplan->stmt_list);

	cq_forget_analysis(cp);
	cp->cacheable = list_length(cplan->stmt_list) == 1 &&
		stmt->commandType == CMD_SELECT && !stmt->hasModifyingCTE &&
		stmt->rowMarks == NIL && cq_queries_cacheable(ps);
	cq_collect_relids(cp, ps, stmt);
	if (cp->cacheable)
		cq_scan(cp, ps);
	cp->memo_cplan = cplan;
	cp->memo_generation = cplan->generation;
}

/* the settings that change how rows print as jsonb, and a newline */
static void
cq_append_settings(StringInfo buf)
{
	int			n;

	enlargeStringInfo(buf, 128);
	n = cache_output_settings(buf->data + buf->len, buf->maxlen - buf->len);
	if (n >= buf->maxlen - buf->len)	/* a long zone or locale name */
	{
		enlargeStringInfo(buf, n + 1);
		(void) cache_output_settings(buf->data + buf->len, n + 1);
	}
	buf->len += n;
	/*
	 * And those that change how the text parses or what it returns: string
	 * literals, "= NULL", NULL in array input, the field order and time zone
	 * abbreviations of date/time input, XML input and output, identifier
	 * quoting in reg* output, the GIN result limit.
	 */
	appendStringInfo(buf, "|%d%d%d%d|%d|%d|%d|%d|%s\n",
					 standard_conforming_strings, Transform_null_equals,
					 Array_nulls, quote_all_identifiers, DateOrder,
					 xmlbinary, xmloption,
					 GinFuzzySearchLimit,
					 GetConfigOption("timezone_abbreviations", true, false));
}

/*
 * The analyzed generic plan is still current: valid, not replaced, parsed
 * under the current search_path.  Then the hit path needs no GetCachedPlan
 * (which would take the relations' locks: a cached answer reads none).
 */
static bool
cq_memo_current(CqPlan *cp, CachedPlanSource *ps)
{
	CachedPlan *g = ps->gplan;

	return cp->memo_cplan != NULL && ps->is_valid && g == cp->memo_cplan &&
		g->is_valid && g->generation == cp->memo_generation &&
		(ps->search_path == NULL ||
		 OverrideSearchPathMatchesCurrent(ps->search_path));
}

/* the executor's permission check, remembered until a catalog changes */
static void
cq_check_privileges(CqPlan *cp, CachedPlan *cplan)
{
	PlannedStmt *stmt = linitial_node(PlannedStmt, cplan->stmt_list);

	if (cp->perms_role == GetUserId() &&
		cp->perms_generation == cq_catalog_generation)
		return;
	COGNOMEGA_CHECK_PLAN_PERMS(stmt);
	/* USAGE on what the text names: PostgreSQL checks it when parsing */
	for (int i = 0; i < cp->nnsps; i++)
	{
		AclResult	r = pg_namespace_aclcheck(cp->nsps[i], GetUserId(), ACL_USAGE);

		if (r != ACLCHECK_OK)
			aclcheck_error(r, OBJECT_SCHEMA, get_namespace_name(cp->nsps[i]));
	}
	/* EXECUTE on what it calls: the executor checks it at start */
	for (int i = 0; i < cp->nfuncs; i++)
	{
		AclResult	r = pg_proc_aclcheck(cp->funcs[i], GetUserId(), ACL_EXECUTE);

		if (r != ACLCHECK_OK)
			aclcheck_error(r, OBJECT_FUNCTION, get_func_name(cp->funcs[i]));
	}
	cp->perms_role = GetUserId();
	cp->perms_generation = cq_catalog_generation;
}

/* key holds the settings already */
static void
cq_build_key(CqPlan *cp, const char *query, StringInfo key)
{
	appendStringInfoString(key, cp->relid_text);
	appendStringInfoChar(key, '\n');
	appendStringInfoString(key, query);
}

/*
 * Make sure the plan analysis is current; when cacheable, check privileges
 * and complete the key text in key (which holds the settings), else
 * return false.
 */
static bool
cq_prepare_key(CqPlan *cp, const char *query, StringInfo key)
{
	CachedPlanSource *ps = linitial(SPI_plan_get_plan_sources(cp->plan));
	CachedPlan *cplan;
	bool		cacheable;

	if (cq_memo_current(cp, ps))
	{
		if (cp->cacheable)
		{
			cq_check_privileges(cp, cp->memo_cplan);
			cq_build_key(cp, query, key);
		}
		return cp->cacheable;
	}
	cplan = GetCachedPlan(ps, NULL, CurrentResourceOwner, NULL);
	if (cplan != cp->memo_cplan || cplan->generation != cp->memo_generation)
		cq_analyze(cp, ps, cplan);
	cacheable = cp->cacheable;
	if (cacheable)
	{
		cq_check_privileges(cp, cplan);
		cq_build_key(cp, query, key);
	}
	ReleaseCachedPlan(cplan, CurrentResourceOwner);
	return cacheable;
}

/* ---- cached_query: running it ---- */

static FmgrInfo *
cq_to_json_fn(void)
{
	static FmgrInfo *fi = NULL;

	if (fi == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		FmgrInfo   *f = palloc0(sizeof(FmgrInfo));

		fmgr_info_cxt(F_TO_JSON, f, TopMemoryContext);
		f->fn_expr = (Node *) makeFuncExpr(F_TO_JSON, JSONOID,
										   list_make1(makeNullConst(RECORDOID, -1, InvalidOid)),
										   InvalidOid, InvalidOid,
										   COERCE_EXPLICIT_CALL);
		MemoryContextSwitchTo(old);
		fi = f;
	}
	return fi;
}

/*
 * SPI's result rows as json text, built in cxt: "[" to_json(row) "," ... "]"
 * (each object as to_json writes it, columns in order; "[]" for no rows).
 */
static text *
cq_rows_to_json(MemoryContext cxt)
{
	StringInfoData buf;
	MemoryContext old;
	text	   *out;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	if (SPI_tuptable != NULL && SPI_processed > 0)
	{
		TupleDesc	desc = BlessTupleDesc(CreateTupleDescCopy(SPI_tuptable->tupdesc));
		FmgrInfo   *fi = cq_to_json_fn();

		for (uint64 i = 0; i < SPI_processed; i++)
		{
			Datum		row = heap_copy_tuple_as_datum(SPI_tuptable->vals[i], desc);
			text	   *obj = DatumGetTextPP(FunctionCall1(fi, row));

			if (i > 0)
				appendStringInfoChar(&buf, ',');
			appendBinaryStringInfo(&buf, VARDATA_ANY(obj), VARSIZE_ANY_EXHDR(obj));
		}
	}
	appendStringInfoChar(&buf, ']');
	old = MemoryContextSwitchTo(cxt);
	out = cstring_to_text_with_len(buf.data, buf.len);
	MemoryContextSwitchTo(old);
	return out;
}

static text *
cq_execute(CqPlan *cp)
{
	MemoryContext cxt = CurrentMemoryContext;
	text	   *result;
	int			rc;

	spi_connect();
	cq_running++;
	rc = SPI_execute_plan(cp->plan, NULL, NULL, false, 0);
	cq_running--;
	if (rc == SPI_ERROR_TRANSACTION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cached_query() cannot run transaction control statements")));
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cached_query() cannot run this query: %s",
						SPI_result_code_string(rc))));
	result = cq_rows_to_json(cxt);
	SPI_finish();
	return result;
}

/*
 * Whether the query reads a Citus table or shard anywhere in its rewritten
 * tree (views expanded, sublinks included).  The tree, not the plan's
 * relationOids: Citus replaces the plan of a distributed query by its own,
 * which need not list the tables (docs/cache.md, Citus).
 */
static bool
cq_citus_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, cq_citus_walker, context,
								 QTW_EXAMINE_RTES_BEFORE);
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		return rte->rtekind == RTE_RELATION && cache_citus_relation(rte->relid);
	}
	return expression_tree_walker(node, cq_citus_walker, context);
}

static bool
cq_reads_citus(CqPlan *cp)
{
	CachedPlanSource *ps;

	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return false;
	for (int i = 0; i < cp->nrelids; i++)
		if (cache_citus_relation(cp->relids[i]))
			return true;
	ps = linitial(SPI_plan_get_plan_sources(cp->plan));
	return ps->query_list == NIL ||
		cq_citus_walker((Node *) ps->query_list, NULL);
}

static text *
cached_query_internal(const char *query, int64 ttl_ms)
{
	CqPlan	   *cp;
	bool		usable = cache_usable();
	StringInfoData key;
	TimestampTz fence = 0;
	text	   *result;
	Oid		   *relids;
	int			nrelids;
	bool		cacheable = false;

	/*
	 * A plain query would see catalog changes committed since the last
	 * command (a shadowing table, a lost role membership) when it locks its
	 * relations; a hit locks nothing, so catch up here (a quick unlocked
	 * test when nothing is pending).
	 */
	AcceptInvalidationMessages();
	initStringInfo(&key);
	cq_append_settings(&key);
	cp = cq_plan_for(query, key.data);

	if (usable)
	{
		cacheable = cq_prepare_key(cp, query, &key);
		if (cacheable && cq_reads_citus(cp))
			cacheable = false;
		if (cacheable)
		{
			result = (text *) cache_lookup_kind(CACHE_KIND_QUERY, key.data,
												key.len, NULL, NULL);
			if (result)
				return result;
		}
		fence = cache_fence();
	}
	/* a nested call of the same text may replace cp's arrays meanwhile */
	relids = cp->relids;
	nrelids = cp->nrelids;
	result = cq_execute(cp);
	if (usable && cacheable)
		cache_store_kind(CACHE_KIND_QUERY, key.data, key.len, result, ttl_ms,
						 relids, nrelids, fence);
	return result;
}

/*
 * cognomega_cached_query is the symbol of the 0.1 and 0.2 definition
 * (RETURNS jsonb): the same rows, as jsonb, until ALTER EXTENSION UPDATE;
 * 0.3 declares RETURNS json, cognomega_cached_query_json.
 */
static Datum
cached_query_call(FunctionCallInfo fcinfo, bool as_jsonb)
{
	char	   *query;
	int64		ttl_ms;
	text	   *result;

	cognomega_require_preload("cached_query()");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* as if STRICT (ttl may be NULL) */
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ttl_ms = cache_ttl_arg(fcinfo, 1);
	result = cached_query_internal(query, ttl_ms);
	if (as_jsonb)
		return DirectFunctionCall1(jsonb_in, CStringGetDatum(text_to_cstring(result)));
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(cognomega_cached_query);
PG_FUNCTION_INFO_V1(cognomega_cached_query_json);

Datum
cognomega_cached_query(PG_FUNCTION_ARGS)
{
	return cached_query_call(fcinfo, true);
}

Datum
cognomega_cached_query_json(PG_FUNCTION_ARGS)
{
	return cached_query_call(fcinfo, false);
}
