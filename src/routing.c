/*-------------------------------------------------------------------------
 *
 * routing.c
 *		Routed calls of the query functions on Citus carry the caller's
 *		output settings.
 *
 * Citus runs a call of a distributed function (SELECT
 * cognomega.user_with_apps('…')) on the node holding its key, over a
 * connection of its own: the function there sees that connection's
 * settings, not the caller's.  The documents are text rendered with the
 * session's TimeZone, DateStyle, IntervalStyle, extra_float_digits,
 * bytea_output and lc_monetary, so a routed call would answer in the
 * holder's defaults while the same call on the holder, or inside a
 * transaction block (not routed), answers in the session's.
 *
 * Before Citus plans such a call, the planner hook below rewrites it into
 * the function's routed twin (cognomega._user_with_apps_routed(id,
 * settings)), distributed the same way, whose last argument holds the
 * caller's settings as constants; the twin checks EXECUTE on the public
 * function for the calling role, applies the settings for the call (as a
 * function's SET clause would) when Citus sent it from another node, and
 * runs the public function's code.  Run in the caller's own session (not
 * routed: the key is here, a PL/pgSQL or generic plan that Citus does not
 * route) it ignores them: the session's current settings are the caller's,
 * and a kept plan's constants may be older.  Only the statement shapes
 * Citus routes are rewritten (one call in the target list or the FROM
 * list), only where the Citus library is loaded, and only for a role that
 * may execute the twin (a role that may not calls the function as written:
 * routed, but rendered with the holder's connection settings).
 *
 * A call Citus does not route (inside a transaction block, or one call among
 * many rows of a statement) on a node that does not hold the key asks the
 * holder through the twin itself (routing_remote_document): the twins of
 * user_with_apps and agent_analytics are force-delegated, so Citus routes
 * them there too, the holder taking part in the transaction.  The twin of
 * user_agents_overview is not: Citus refuses a force-delegated function
 * whose queries join a reference table (ai_agent_tasks); such a call reads
 * typed rows from the holder and renders the document here
 * (qry_overview_elsewhere in queries.c).
 *
 * A statement prepared with the key as a literal (no parameters) is planned
 * once and routed each time: its routed twin keeps the settings of that
 * moment (docs/scale-out.md).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parsetree.h"
#include "optimizer/planner.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "cognomega.h"
#include "routing.h"
#include "spi_util.h"

/* the settings a document's text depends on (the cache keys on them too) */
static const char *const routing_settings[] = {
	"TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits",
	"bytea_output", "lc_monetary"
};

#define ROUTING_NSETTINGS lengthof(routing_settings)

/* a public query function and its routed twin */
typedef struct RoutedFunction
{
	const char *name;
	const char *twin;
	int			nargs;			/* of the public function */
	Oid			argtypes[2];
	bool		forced;			/* force-delegated (distribute()) */
	Oid			public_oid;		/* looked up; InvalidOid: absent */
	Oid			twin_oid;
} RoutedFunction;

static RoutedFunction routing_functions[] = {
	{"user_with_apps", "_user_with_apps_routed", 1, {UUIDOID}, true},
	{"user_agents_overview", "_user_agents_overview_routed", 1, {UUIDOID}, false},
	{"agent_analytics", "_agent_analytics_routed", 2, {UUIDOID, TEXTOID}, true},
};

static bool routing_known = false;
static bool routing_nested = false;	/* in routing_remote_document's query */
static bool routing_callback = false;
static planner_hook_type prev_planner = NULL;

static void
routing_forget(Datum arg, int cacheid, uint32 hashvalue)
{
	routing_known = false;
}

/* OID of function nsp.name(argtypes), InvalidOid when there is none */
Oid
routing_function_oid(Oid nsp, const char *name, int nargs, const Oid *argtypes)
{
	oidvector  *args = buildoidvector(argtypes, nargs);

	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
						   CStringGetDatum(name), PointerGetDatum(args),
						   ObjectIdGetDatum(nsp));
}

/* the functions' OIDs, looked up again after any change to pg_proc */
static void
routing_lookup_all(void)
{
	Oid			nsp;

	if (routing_known)
		return;
	if (!routing_callback)
	{
		CacheRegisterSyscacheCallback(PROCOID, routing_forget, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, routing_forget, (Datum) 0);
		routing_callback = true;
	}
	nsp = get_namespace_oid("cognomega", true);
	for (int i = 0; i < lengthof(routing_functions); i++)
	{
		RoutedFunction *f = &routing_functions[i];
		Oid			twinargs[3];

		f->public_oid = f->twin_oid = InvalidOid;
		if (!OidIsValid(nsp))
			continue;
		memcpy(twinargs, f->argtypes, sizeof(Oid) * f->nargs);
		twinargs[f->nargs] = TEXTARRAYOID;
		f->public_oid = routing_function_oid(nsp, f->name, f->nargs, f->argtypes);
		f->twin_oid = routing_function_oid(nsp, f->twin, f->nargs + 1, twinargs);
	}
	routing_known = true;
}

/* the session's settings as a text[] constant */
static Const *
routing_settings_const(void)
{
	Datum		values[ROUTING_NSETTINGS];
	ArrayType  *array;

	for (int i = 0; i < ROUTING_NSETTINGS; i++)
		values[i] = CStringGetTextDatum(GetConfigOption(routing_settings[i], false, false));
	array = construct_array(values, ROUTING_NSETTINGS, TEXTOID, -1, false, TYPALIGN_INT);
	return makeConst(TEXTARRAYOID, -1, InvalidOid, -1, PointerGetDatum(array),
					 false, false);
}

/* expr calls a public query function with a twin: a call of the twin instead */
static Node *
routing_rewrite_call(Node *expr)
{
	FuncExpr   *call;

	if (expr == NULL || !IsA(expr, FuncExpr))
		return NULL;
	call = (FuncExpr *) expr;
	routing_lookup_all();
	for (int i = 0; i < lengthof(routing_functions); i++)
	{
		RoutedFunction *f = &routing_functions[i];
		FuncExpr   *twin;

		if (call->funcid != f->public_oid || !OidIsValid(f->twin_oid))
			continue;
		/* a role that may not call the twin calls the function as written */
		if (pg_proc_aclcheck(f->twin_oid, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
			return NULL;
		twin = copyObject(call);
		twin->funcid = f->twin_oid;
		twin->funcvariadic = false;
		twin->args = lappend(list_copy(call->args), routing_settings_const());
		return (Node *) twin;
	}
	return NULL;
}

/*
 * The shapes Citus routes: SELECT f(...) with nothing else, and SELECT ...
 * FROM f(...) with that one function.
 */
static void
routing_rewrite(Query *parse)
{
	FromExpr   *jt = parse->jointree;
	Node	   *twin;

	if (parse->commandType != CMD_SELECT || parse->utilityStmt != NULL ||
		parse->hasSubLinks || parse->cteList != NIL || parse->setOperations != NULL ||
		jt == NULL || jt->quals != NULL)
		return;
	if (jt->fromlist == NIL)
	{
		TargetEntry *tle;

		if (list_length(parse->targetList) != 1)
			return;
		tle = linitial_node(TargetEntry, parse->targetList);
		if ((twin = routing_rewrite_call((Node *) tle->expr)) != NULL)
			tle->expr = (Expr *) twin;
	}
	else if (list_length(jt->fromlist) == 1 && IsA(linitial(jt->fromlist), RangeTblRef))
	{
		RangeTblEntry *rte = rt_fetch(linitial_node(RangeTblRef, jt->fromlist)->rtindex,
									  parse->rtable);
		RangeTblFunction *rtf;

		if (rte->rtekind != RTE_FUNCTION || list_length(rte->functions) != 1 ||
			rte->funcordinality)
			return;
		rtf = linitial_node(RangeTblFunction, rte->functions);
		if ((twin = routing_rewrite_call(rtf->funcexpr)) != NULL)
			rtf->funcexpr = twin;
	}
}

static PlannedStmt *
routing_planner(Query *parse, const char *query_string, int cursorOptions,
				ParamListInfo boundParams)
{
	/* cheap tests first: most statements are not a bare function call */
	if (parse->commandType == CMD_SELECT && list_length(parse->rtable) <= 1)
	{
		if (GetConfigOption("citus.version", true, false) != NULL &&
			IsTransactionState())
			routing_rewrite(parse);
	}
	if (prev_planner)
		return prev_planner(parse, query_string, cursorOptions, boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

void
routing_init(void)
{
	prev_planner = planner_hook;
	planner_hook = routing_planner;
}

/*
 * A document held by another Citus node, asked of that node through the
 * routed twin with this session's settings: SELECT * FROM
 * cognomega._user_with_apps_routed('<id>', '<settings>'), which Citus
 * delegates to the holder (the twin is force-delegated, in a transaction
 * block too, where the holder takes part in the transaction).  false when
 * the twin is missing or not force-delegated, or when this is that query
 * run here after all (Citus did not delegate it): the caller then runs the
 * document query itself.
 */
bool
routing_remote_document(const char *name, Datum *args, text **doc)
{
	MemoryContext cxt = CurrentMemoryContext;
	RoutedFunction *f = NULL;
	StringInfoData sql;

	if (routing_nested)
		return false;
	routing_lookup_all();
	for (int i = 0; i < lengthof(routing_functions); i++)
		if (strcmp(routing_functions[i].name, name) == 0)
			f = &routing_functions[i];
	if (f == NULL || !f->forced || !OidIsValid(f->twin_oid) ||
		pg_proc_aclcheck(f->twin_oid, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		return false;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT * FROM cognomega.%s(", f->twin);
	for (int i = 0; i < f->nargs; i++)
	{
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(f->argtypes[i], &out, &varlena);
		appendStringInfo(&sql, "%s::%s, ",
						 quote_literal_cstr(OidOutputFunctionCall(out, args[i])),
						 format_type_be_qualified(f->argtypes[i]));
	}
	appendStringInfoString(&sql, "ARRAY[");
	for (int i = 0; i < ROUTING_NSETTINGS; i++)
		appendStringInfo(&sql, "%s%s", i > 0 ? ", " : "",
						 quote_literal_cstr(GetConfigOption(routing_settings[i], false, false)));
	appendStringInfoString(&sql, "]::pg_catalog.text[])");

	*doc = NULL;
	routing_nested = true;
	PG_TRY();
	{
		spi_connect();
		if (spi_exec(sql.data, false, SPI_OK_SELECT) == 1)
		{
			char	   *value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

			if (value != NULL)
			{
				MemoryContext old = MemoryContextSwitchTo(cxt);

				*doc = cstring_to_text(value);
				MemoryContextSwitchTo(old);
			}
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		routing_nested = false;
	}
	PG_END_TRY();
	return true;
}

/*
 * Whether this backend runs a call Citus sent from another node (its
 * internal connections name themselves so, CITUS_APPLICATION_NAME_PREFIX):
 * there the settings argument is the caller's.  Anywhere else the twin
 * runs in the caller's own session, whose settings are the current ones,
 * while the argument may be older: a plan kept by PL/pgSQL or a generic
 * plan holds the settings of the moment it was planned.
 */
static bool
routing_delegated(void)
{
	const char *name = GetConfigOption("application_name", false, false);

	return name != NULL && strncmp(name, "citus_internal gpid=", 20) == 0;
}

/*
 * The routed twins: check the caller may execute the public function and
 * the settings argument, apply it for the call when Citus sent the call
 * here, run the public function's code.
 */
static Datum
routing_call(FunctionCallInfo fcinfo, int which, PGFunction body)
{
	RoutedFunction *f = &routing_functions[which];
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(f->nargs);
	Datum	   *values;
	bool	   *nulls;
	int			n;
	int			nestlevel = -1;
	Datum		result;
	AclResult	acl;

	routing_lookup_all();
	if (!OidIsValid(f->public_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function cognomega.%s does not exist", f->name)));
	acl = pg_proc_aclcheck(f->public_oid, GetUserId(), ACL_EXECUTE);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_FUNCTION, get_func_name(f->public_oid));

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &values, &nulls, &n);
	if (ARR_NDIM(array) != 1 || n != ROUTING_NSETTINGS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("settings must be an array of %d values", (int) ROUTING_NSETTINGS)));
	for (int i = 0; i < ROUTING_NSETTINGS; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("setting %s must not be null", routing_settings[i])));
	for (int i = 0; i < ROUTING_NSETTINGS && routing_delegated(); i++)
	{
		char	   *want;

		want = TextDatumGetCString(values[i]);
		if (strcmp(want, GetConfigOption(routing_settings[i], false, false)) == 0)
			continue;
		if (nestlevel < 0)
			nestlevel = NewGUCNestLevel();
		(void) set_config_option(routing_settings[i], want,
								 superuser() ? PGC_SUSET : PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}

	/* the public function's code ignores the last argument */
	result = body(fcinfo);

	/* on an error the transaction's abort restores the settings */
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
	return result;
}

PG_FUNCTION_INFO_V1(cognomega_user_with_apps_routed);

Datum
cognomega_user_with_apps_routed(PG_FUNCTION_ARGS)
{
	return routing_call(fcinfo, 0, cognomega_user_with_apps_json);
}

PG_FUNCTION_INFO_V1(cognomega_user_agents_overview_routed);

Datum
cognomega_user_agents_overview_routed(PG_FUNCTION_ARGS)
{
	return routing_call(fcinfo, 1, cognomega_user_agents_overview_json);
}

PG_FUNCTION_INFO_V1(cognomega_agent_analytics_routed);

Datum
cognomega_agent_analytics_routed(PG_FUNCTION_ARGS)
{
	return routing_call(fcinfo, 2, cognomega_agent_analytics_json);
}
