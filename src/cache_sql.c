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
 * (volatile or stable, e.g. now()) function, no TABLESAMPLE, no relation
 * with row-level security, no temporary table, catalog, sequence or foreign
 * table.  Other queries run normally and are not stored.  On a hit the
 * executor's own permission check runs on the plan's range table, so a
 * REVOKE yields the usual error.
 *
 * The value is a jsonb array with one object per row (to_jsonb of the row).
 * Output settings that change that text (TimeZone, DateStyle,
 * IntervalStyle, extra_float_digits, bytea_output, lc_monetary) are part
 * of the key.
 *
 * Locking: none of its own; see cache.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
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
#include "pgtime.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "compat.h"
#include "cache.h"

#define CQ_MAX_PLANS	256

typedef struct CqPlan
{
	uint64		hash;			/* hash key: of the query text */
	char	   *query;			/* TopMemoryContext */
	SPIPlanPtr	plan;
	CachedPlan *memo_cplan;		/* the generic plan analyzed below */
	int			memo_generation;
	bool		cacheable;
	int			nrelids;
	Oid		   *relids;			/* sorted, TopMemoryContext */
	char	   *relid_text;		/* "search path|oid,oid," for the key */
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
	PG_RETURN_BOOL(cache_store_kind(CACHE_KIND_USER, key, strlen(key), value,
									ttl_ms, deps, ndeps,
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

	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(CqPlan);
	cq_plans = hash_create("cognomega cached_query plans", CQ_MAX_PLANS,
						   &ctl, HASH_ELEM | HASH_BLOBS);
}

/* forget what was learnt from the last generic plan */
static void
cq_forget_analysis(CqPlan *cp)
{
	if (cp->relids)
		pfree(cp->relids);
	if (cp->relid_text)
		pfree(cp->relid_text);
	cp->relids = NULL;
	cp->relid_text = NULL;
	cp->memo_cplan = NULL;
	cp->perms_role = InvalidOid;
}

static void
cq_forget(CqPlan *cp)
{
	cq_forget_analysis(cp);
	if (cp->plan)
		SPI_freeplan(cp->plan);
	if (cp->query)
		pfree(cp->query);
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

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
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
	SPI_keepplan(plan);
	SPI_finish();
	return plan;
}

static CqPlan *
cq_plan_for(const char *query)
{
	uint64		h = hash_bytes_extended((const unsigned char *) query,
										strlen(query), 0);
	CqPlan	   *cp;
	bool		found;
	SPIPlanPtr	plan;
	uint64		names;

	if (cq_plans == NULL)
		cq_init();
	cp = hash_search(cq_plans, &h, HASH_FIND, NULL);
	if (cp && strcmp(cp->query, query) == 0 &&
		cp->names_generation == cq_names_generation)
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

static void
cq_analyze(CqPlan *cp, CachedPlanSource *ps, CachedPlan *cplan)
{
	PlannedStmt *stmt = linitial_node(PlannedStmt, cplan->stmt_list);

	cq_forget_analysis(cp);
	cp->cacheable = list_length(cplan->stmt_list) == 1 &&
		stmt->commandType == CMD_SELECT && !stmt->hasModifyingCTE &&
		stmt->rowMarks == NIL && cq_queries_cacheable(ps);
	cq_collect_relids(cp, ps, stmt);
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
	appendStringInfoChar(buf, '\n');
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
	ListCell   *lc;

	if (cp->perms_role == GetUserId() &&
		cp->perms_generation == cq_catalog_generation)
		return;
	COGNOMEGA_CHECK_PLAN_PERMS(stmt);
	foreach(lc, COGNOMEGA_PLAN_PERM_ITEMS(stmt))
	{
		Oid			relid = cognomega_perm_user_relid(lfirst(lc));

		if (OidIsValid(relid))
			cache_check_schema_usage(relid);
	}
	cp->perms_role = GetUserId();
	cp->perms_generation = cq_catalog_generation;
}

static void
cq_build_key(CqPlan *cp, const char *query, StringInfo key)
{
	cq_append_settings(key);
	appendStringInfoString(key, cp->relid_text);
	appendStringInfoChar(key, '\n');
	appendStringInfoString(key, query);
}

/*
 * Make sure the plan analysis is current; when cacheable, check privileges
 * and build the key text into key (else key->len stays 0).
 */
static void
cq_prepare_key(CqPlan *cp, const char *query, StringInfo key)
{
	CachedPlanSource *ps = linitial(SPI_plan_get_plan_sources(cp->plan));
	CachedPlan *cplan;

	if (cq_memo_current(cp, ps))
	{
		if (cp->cacheable)
		{
			cq_check_privileges(cp, cp->memo_cplan);
			cq_build_key(cp, query, key);
		}
		return;
	}
	cplan = GetCachedPlan(ps, NULL, CurrentResourceOwner, NULL);
	if (cplan != cp->memo_cplan || cplan->generation != cp->memo_generation)
		cq_analyze(cp, ps, cplan);
	if (cp->cacheable)
	{
		cq_check_privileges(cp, cplan);
		cq_build_key(cp, query, key);
	}
	ReleaseCachedPlan(cplan, CurrentResourceOwner);
}

/* ---- cached_query: running it ---- */

static FmgrInfo *
cq_to_jsonb_fn(void)
{
	static FmgrInfo *fi = NULL;

	if (fi == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		FmgrInfo   *f = palloc0(sizeof(FmgrInfo));

		fmgr_info_cxt(F_TO_JSONB, f, TopMemoryContext);
		f->fn_expr = (Node *) makeFuncExpr(F_TO_JSONB, JSONBOID,
										   list_make1(makeNullConst(RECORDOID, -1, InvalidOid)),
										   InvalidOid, InvalidOid,
										   COERCE_EXPLICIT_CALL);
		MemoryContextSwitchTo(old);
		fi = f;
	}
	return fi;
}

/* SPI's result rows as a jsonb array of objects, built in cxt */
static Jsonb *
cq_rows_to_jsonb(MemoryContext cxt)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	MemoryContext old;

	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	if (SPI_tuptable != NULL && SPI_processed > 0)
	{
		TupleDesc	desc = BlessTupleDesc(CreateTupleDescCopy(SPI_tuptable->tupdesc));
		FmgrInfo   *fi = cq_to_jsonb_fn();

		for (uint64 i = 0; i < SPI_processed; i++)
		{
			Datum		row = heap_copy_tuple_as_datum(SPI_tuptable->vals[i], desc);
			Jsonb	   *obj = DatumGetJsonbP(FunctionCall1(fi, row));
			JsonbValue	v;

			v.type = jbvBinary;
			v.val.binary.data = &obj->root;
			v.val.binary.len = VARSIZE(obj) - VARHDRSZ;
			pushJsonbValue(&state, WJB_ELEM, &v);
		}
	}
	res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	old = MemoryContextSwitchTo(cxt);
	{
		Jsonb	   *out = JsonbValueToJsonb(res);

		MemoryContextSwitchTo(old);
		return out;
	}
}

static Jsonb *
cq_execute(CqPlan *cp)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *result;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
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
	result = cq_rows_to_jsonb(cxt);
	SPI_finish();
	return result;
}

static Jsonb *
cached_query_internal(const char *query, int64 ttl_ms)
{
	CqPlan	   *cp;
	bool		usable = cache_usable();
	StringInfoData key;
	TimestampTz fence = 0;
	Jsonb	   *result;

	/*
	 * A plain query would see catalog changes committed since the last
	 * command (a shadowing table, a lost role membership) when it locks its
	 * relations; a hit locks nothing, so catch up here (a quick unlocked
	 * test when nothing is pending).
	 */
	AcceptInvalidationMessages();
	cp = cq_plan_for(query);

	initStringInfo(&key);
	if (usable)
	{
		cq_prepare_key(cp, query, &key);
		if (key.len > 0)
		{
			result = cache_lookup_kind(CACHE_KIND_QUERY, key.data, key.len,
									   NULL, NULL);
			if (result)
				return result;
		}
		fence = cache_fence();
	}
	result = cq_execute(cp);
	if (usable && key.len > 0)
		cache_store_kind(CACHE_KIND_QUERY, key.data, key.len, result, ttl_ms,
						 cp->relids, cp->nrelids, fence);
	return result;
}

PG_FUNCTION_INFO_V1(cognomega_cached_query);

Datum
cognomega_cached_query(PG_FUNCTION_ARGS)
{
	char	   *query;
	int64		ttl_ms;

	cognomega_require_preload("cached_query()");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* as if STRICT (ttl may be NULL) */
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ttl_ms = cache_ttl_arg(fcinfo, 1);
	PG_RETURN_JSONB_P(cached_query_internal(query, ttl_ms));
}
