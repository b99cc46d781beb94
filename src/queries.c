/*-------------------------------------------------------------------------
 *
 * queries.c
 *		Joined query functions: user_with_apps, users_with_apps,
 *		agent_analytics and user_agents_overview (docs/queries.md).
 *
 * Each function answers with one SQL query, run through SPI from a plan
 * prepared once per backend and kept (SPI_keepplan).  PostgreSQL's plan
 * cache revalidates a kept plan when a table it reads changes (ALTER TABLE,
 * CREATE/DROP INDEX, partitions attached or dropped): the query is parsed
 * again from its text, so "to_json(r)" picks up a column added later.
 * The text names the tables in the schema cognomega.setup() recorded; the
 * plans are tied to that schema's OID and to its name, and are dropped when
 * either changes (setup re-run elsewhere, ALTER SCHEMA ... RENAME).
 *
 * The documents are json (since 0.3): the query builds them as JSON text
 * with to_json (PostgreSQL's escaping and each type's output, keys in
 * column order), the cache stores that text and a hit returns it as stored,
 * with no parse and no re-encoding.
 *
 * The result cache (cache.h) serves the documents when it is usable.  The
 * hit path does not touch SPI: resolve the schema, check SELECT on the
 * tables the document reads, build the key, look it up.  On a miss the
 * fence is taken before SPI_execute_plan, which (read_only = false) takes a
 * fresh snapshot after it; so a write that commits before the snapshot is
 * in the value, and one that commits after the fence invalidates it.  The
 * functions are therefore VOLATILE: like a cache hit, which can show a
 * commit newer than the calling statement's snapshot, a miss reads the
 * newest committed data, not the statement's snapshot.
 *
 * A key names the function, the schema OID, the session settings that
 * shape to_json's output (TimeZone first of all) and the arguments.  An
 * unknown user or agent is cached as a JSON null, so repeated misses stay
 * cheap; user_with_apps and users_with_apps share entries.  The schema
 * setup() recorded is kept per backend too, until a trigger on
 * cognomega.setup_config signals a change (relcache invalidation).
 *
 * Locking contract: none of our own.  The plans and the range bounds below
 * are backend-local; the tables are locked by the executor (AccessShareLock)
 * and, for the analytics range, by table_open with the same lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "pgtime.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "cache.h"
#include "queries.h"
#include "routing.h"
#include "setup.h"
#include "spi_util.h"

/* the queries this file prepares */
typedef enum QryKind
{
	QRY_USER_WITH_APPS,
	QRY_USERS_WITH_APPS,
	QRY_AGENT_ANALYTICS,
	QRY_USER_AGENTS_OVERVIEW,
	QRY_NKINDS
} QryKind;

/* the tables a document reads: its cache dependencies and privileges */
#define QRY_MAX_DEPS 3

typedef struct QryDef
{
	const char *name;			/* SQL function name */
	const char *key_prefix;		/* cache key prefix (shared by the user docs) */
	int			nargs;
	Oid			argtypes[2];
	const char *deps[QRY_MAX_DEPS];
	int			ndeps;
} QryDef;

static const QryDef qry_defs[QRY_NKINDS] = {
	{"user_with_apps", "user_with_apps", 1, {UUIDOID},
	{"users", "generated_apps"}, 2},
	{"users_with_apps", "user_with_apps", 1, {UUIDARRAYOID},
	{"users", "generated_apps"}, 2},
	{"agent_analytics", "agent_analytics", 2, {UUIDOID, TEXTOID},
	{"ai_agent_analytics"}, 1},
	{"user_agents_overview", "user_agents_overview", 1, {UUIDOID},
	{"users", "ai_agents", "ai_agent_tasks"}, 3},
};

/* longest key we build; longer analytics periods are served uncached */
#define QRY_KEY_MAX 384

/* per-backend state: kept plans and what they were built for */
static Oid	qry_schema = InvalidOid;
static SPIPlanPtr qry_plans[QRY_NKINDS];
static char *qry_analytics_range = NULL;	/* TopMemoryContext */
static SPIPlanPtr qry_users_citus = NULL;	/* users_with_apps on Citus */
static SPIPlanPtr qry_overview_rows = NULL;	/* user_agents_overview off the holder */
static SPIPlanPtr qry_overview_render = NULL;
static Oid	qry_overview_agents_type = InvalidOid;
static uint32 qry_schema_hash = 0;	/* its syscache hash, for the callback */
static bool qry_schema_changed = false;
static bool qry_callbacks_registered = false;

/*
 * What setup_app_schema() answered, kept until cognomega.setup_config
 * changes (a statement trigger sends a relcache invalidation for it, see
 * cognomega_queries_setup_changed) or the schema itself does: reading the
 * config table through SPI on every call would cost more than a cache hit.
 * qry_known_at is the invalidation count when the answer was read.
 */
static Oid	qry_known_schema = InvalidOid;
static uint64 qry_known_at = 0;
static uint64 qry_inval_count = 1;
static Oid	qry_config_relid = InvalidOid;

/* qry_output_keyed's answers, per kind, and the catalog changes seen */
static uint64 qry_types_generation = 1;
static uint64 qry_keyed_at[QRY_NKINDS];
static Oid	qry_keyed_deps[QRY_NKINDS][QRY_MAX_DEPS];
static bool qry_keyed[QRY_NKINDS];

/* a user in users_with_apps: first position in the input, its document */
typedef struct QryUserEntry
{
	pg_uuid_t	id;				/* hash key */
	text	   *doc;			/* json; NULL: not found (yet) */
	bool		resolved;		/* answered by the cache or the query */
} QryUserEntry;

/* ---- plans ---- */

static void
qry_free_plan(SPIPlanPtr *plan)
{
	if (*plan != NULL)
		SPI_freeplan(*plan);
	*plan = NULL;
}

static void
qry_forget_plans(void)
{
	for (int i = 0; i < QRY_NKINDS; i++)
		qry_free_plan(&qry_plans[i]);
	if (qry_analytics_range != NULL)
		pfree(qry_analytics_range);
	qry_analytics_range = NULL;
	qry_free_plan(&qry_users_citus);
	qry_free_plan(&qry_overview_rows);
	qry_free_plan(&qry_overview_render);
}

/* our schema was renamed or dropped (or all caches reset): texts may name it wrongly */
static void
qry_namespace_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (hashvalue == 0 || hashvalue == qry_schema_hash)
	{
		qry_schema_changed = true;
		qry_inval_count++;
	}
}

/* cognomega.setup_config changed (or all relcache entries were reset) */
static void
qry_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == qry_config_relid)
		qry_inval_count++;
}

/* a column, type, cast or function changed: qry_output_keyed asks again */
static void
qry_types_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	qry_types_generation++;
}

/* setup_app_schema(), read again only after an invalidation */
static Oid
qry_known_app_schema(void)
{
	uint64		before = qry_inval_count;
	Oid			nsp;

	if (qry_known_at == qry_inval_count)
		return qry_known_schema;
	qry_config_relid = get_relname_relid("setup_config",
										 get_namespace_oid("cognomega", false));

	/*
	 * Read it with a new snapshot, not the caller's: the invalidation that
	 * brought us here may announce a commit the caller's snapshot (REPEATABLE
	 * READ, or the statement's under READ COMMITTED) does not see, and an
	 * older answer kept as current would outlive it for the whole session.
	 */
	PushActiveSnapshot(GetLatestSnapshot());
	nsp = setup_app_schema(false);
	PopActiveSnapshot();
	/* keep the answer unless an invalidation arrived while reading it */
	qry_known_schema = nsp;
	qry_known_at = before;
	return nsp;
}

/*
 * The schema setup() recorded (ERROR naming cognomega.setup() when there is
 * none); drops the kept plans when it is not the one they were built for.
 */
static Oid
qry_app_schema(void)
{
	Oid			nsp;

	if (!qry_callbacks_registered)
	{
		CacheRegisterSyscacheCallback(NAMESPACEOID, qry_namespace_callback,
									  (Datum) 0);
		CacheRegisterRelcacheCallback(qry_relcache_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(ATTNUM, qry_types_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, qry_types_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(CASTSOURCETARGET, qry_types_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, qry_types_callback, (Datum) 0);
		qry_callbacks_registered = true;
	}
	nsp = qry_known_app_schema();
	if (nsp != qry_schema || qry_schema_changed)
	{
		qry_forget_plans();
		qry_schema = nsp;
		qry_schema_hash = GetSysCacheHashValue1(NAMESPACEOID, ObjectIdGetDatum(nsp));
		qry_schema_changed = false;
	}
	return nsp;
}

static const char *
qry_schema_name(Oid nsp)
{
	char	   *name = get_namespace_name(nsp);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("the schema recorded by cognomega.setup() no longer exists"),
				 errhint("Run cognomega.setup() again.")));
	return quote_identifier(name);
}

/*
 * Operators in the query texts are schema-qualified like the functions, so
 * that the caller's search_path cannot change what is computed (and stored
 * in the cache for other sessions of the role).
 */
#define QRY_EQ " OPERATOR(pg_catalog.=) "

/*
 * The documents are built as to_json() of a row whose columns are the
 * document's keys, in order: a whole-row reference for the user (its
 * columns in table order), ARRAY() of rows for the lists.  to_json writes
 * the JSON text directly (escape_json and each type's output, as for any
 * to_json), so the query's result is the document to send and to cache;
 * it is faster than to_jsonb, whose tree the 0.2 functions built (keys
 * sorted) only for jsonb's output to print it again.
 */

/*
 * The apps of user u, newest first.  same_as: an expression u.id equals
 * ("$1" for one user), repeated on the apps so that Citus (docs/scale-out.md)
 * sees both tables fixed to the same distribution value and routes the
 * whole query to one node; the planner here takes it as the redundant
 * condition it is.
 */
static char *
qry_user_apps(const char *s, const char *same_as)
{
	return psprintf("ARRAY(SELECT x FROM (SELECT a.id, a.title, a.status, a.created_at "
					"FROM %s.generated_apps a WHERE a.user_id" QRY_EQ "u.id%s%s "
					"ORDER BY a.created_at DESC NULLS LAST, a.id) x)",
					s, same_as ? " AND a.user_id" QRY_EQ : "", same_as ? same_as : "");
}

static char *
qry_sql_user_with_apps(const char *s)
{
	return psprintf("SELECT pg_catalog.to_json(r) FROM %s.users u "
					"CROSS JOIN LATERAL (SELECT u AS \"user\", %s AS apps) r "
					"WHERE u.id" QRY_EQ "$1",
					s, qry_user_apps(s, "$1"));
}

/*
 * The documents built over a subquery that reads the tables, r = (user,
 * apps) made from its row (over Citus tables: qry_sql_users_with_apps_citus).
 */
static char *
qry_sql_users_with_apps(const char *s)
{
	return psprintf("SELECT d.id, pg_catalog.to_json(r) FROM (SELECT u.id, u AS \"user\", "
					"%s AS apps FROM %s.users u WHERE u.id" QRY_EQ "ANY ($1)) d "
					"CROSS JOIN LATERAL (SELECT d.\"user\", d.apps) r",
					qry_user_apps(s, NULL), s);
}

/*
 * users_with_apps over Citus tables: Citus pushes to_json down to the
 * shards, where their nodes' connections would render the documents with
 * their own settings.  The rows are brought here instead, typed (the user
 * row, the apps' rows as an array in document order) by a materialized
 * CTE that Citus runs as a subplan (over many shards: = ANY), and the same
 * documents are built here with this session's settings.
 */
static char *
qry_sql_users_with_apps_citus(const char *s)
{
	return psprintf("WITH d AS MATERIALIZED (SELECT u.id, u AS \"user\", (SELECT "
					"pg_catalog.array_agg(a ORDER BY a.created_at DESC NULLS LAST, a.id) "
					"FROM %s.generated_apps a WHERE a.user_id" QRY_EQ "u.id) AS apps "
					"FROM %s.users u WHERE u.id" QRY_EQ "ANY ($1)) "
					"SELECT d.id, pg_catalog.to_json(r) FROM d CROSS JOIN LATERAL (SELECT d.\"user\", "
					"ARRAY(SELECT x FROM (SELECT a.id, a.title, a.status, a.created_at "
					"FROM pg_catalog.unnest(d.apps) WITH ORDINALITY a "
					"ORDER BY a.ordinality) x) AS apps) r",
					s, s);
}

/*
 * The user's ($1, u) active agents g with the counts c of their pending and
 * in_progress tasks, as a FROM .. WHERE clause.
 */
static char *
qry_active_agents(const char *s)
{
	return psprintf("FROM %s.ai_agents g CROSS JOIN LATERAL (SELECT "
					"pg_catalog.count(*) FILTER (WHERE t.status" QRY_EQ "'pending') AS pending, "
					"pg_catalog.count(*) FILTER (WHERE t.status" QRY_EQ "'in_progress') AS in_progress "
					"FROM %s.ai_agent_tasks t WHERE t.agent_id" QRY_EQ "g.id "
					"AND t.status" QRY_EQ "ANY ('{pending,in_progress}'::pg_catalog.text[])) c "
					"WHERE g.user_id" QRY_EQ "u.id AND g.user_id" QRY_EQ "$1 "
					"AND g.status" QRY_EQ "'active'",
					s, s);
}

static char *
qry_sql_user_agents_overview(const char *s)
{
	return psprintf("SELECT pg_catalog.to_json(r) FROM %s.users u "
					"CROSS JOIN LATERAL (SELECT u.id AS user_id, "
					"ARRAY(SELECT x FROM (SELECT g.id, g.name, g.type, g.status, "
					"g.created_at, c.pending, c.in_progress %s "
					"ORDER BY g.created_at DESC NULLS LAST, g.id) x) AS agents) r "
					"WHERE u.id" QRY_EQ "$1", s, qry_active_agents(s));
}

/*
 * user_agents_overview on a Citus node that does not hold the user (its
 * twin cannot be force-delegated: docs/scale-out.md), in two steps so that
 * the document is rendered here, with this session's settings, and not on
 * the holder by Citus's connection: the holder returns typed values (the
 * agents' rows and their counts as arrays in document order), then a
 * query that reads no table builds the same document from them.
 */
static char *
qry_sql_overview_rows(const char *s)
{
#define QRY_AGENT_ORDER " ORDER BY (x.g).created_at DESC NULLS LAST, (x.g).id)"
	return psprintf("SELECT y.agents, y.pendings, y.in_progress FROM %s.users u CROSS JOIN LATERAL (SELECT "
					"pg_catalog.array_agg(x.g" QRY_AGENT_ORDER " AS agents, "
					"pg_catalog.array_agg(x.pending" QRY_AGENT_ORDER " AS pendings, "
					"pg_catalog.array_agg(x.in_progress" QRY_AGENT_ORDER " AS in_progress "
					"FROM (SELECT g, c.pending, c.in_progress %s) x) y "
					"WHERE u.id" QRY_EQ "$1",
					s, qry_active_agents(s));
#undef QRY_AGENT_ORDER
}

static const char qry_sql_overview_render[] =
"SELECT pg_catalog.to_json(r) FROM (SELECT $1 AS user_id, "
"ARRAY(SELECT x FROM (SELECT g.id, g.name, g.type, g.status, g.created_at, "
"c.pending, c.in_progress FROM pg_catalog.unnest($2) WITH ORDINALITY g "
"JOIN ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) "
"WITH ORDINALITY c(pending, in_progress, o) ON c.o OPERATOR(pg_catalog.=) g.ordinality "
"ORDER BY g.ordinality) x) AS agents) r";

/*
 * The range [lo, hi) that the range partitions of ai_agent_analytics cover,
 * as "lo|hi" (ISO text, either side empty when unbounded), or NULL when the
 * table is not range-partitioned on created_at timestamptz with at least one
 * finite bound.  agent_analytics splits its query at that range so that the
 * planner can scan the range partitions newest first and stop at the first
 * one holding a row; the rest (the default partition) is scanned apart.
 */
static char *
qry_analytics_bounds(Oid relid)
{
	Relation	rel;
	PartitionKey key;
	PartitionBoundInfo bi;
	char	   *lo = "";
	char	   *hi = "";
	char	   *result = NULL;

	/* no lock for a caller who may not read it: the query will say so */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return NULL;
	rel = table_open(relid, AccessShareLock);
	if (rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		goto done;
	key = RelationGetPartitionKey(rel);
	bi = RelationGetPartitionDesc(rel, true)->boundinfo;
	if (key->strategy != PARTITION_STRATEGY_RANGE || key->partnatts != 1 ||
		key->partattrs[0] == 0 || key->parttypid[0] != TIMESTAMPTZOID ||
		strcmp(get_attname(relid, key->partattrs[0], false), "created_at") != 0 ||
		bi == NULL || bi->ndatums == 0)
		goto done;

	if (bi->kind[0][0] == PARTITION_RANGE_DATUM_VALUE)
		lo = pstrdup(timestamptz_to_str(DatumGetTimestampTz(bi->datums[0][0])));
	if (bi->kind[bi->ndatums - 1][0] == PARTITION_RANGE_DATUM_VALUE)
		hi = pstrdup(timestamptz_to_str(DatumGetTimestampTz(bi->datums[bi->ndatums - 1][0])));
	if (*lo != '\0' || *hi != '\0')
		result = psprintf("%s|%s", lo, hi);
done:
	table_close(rel, NoLock);
	return result;
}

/*
 * "a.created_at >= 'lo' AND a.created_at < 'hi'" (inside the range) or
 * "a.created_at < 'lo' OR a.created_at >= 'hi'" (outside), for the sides
 * present; NULLs are in neither.
 */
static char *
qry_range_cond(const char *range, bool inside)
{
	const char *bar = strchr(range, '|');
	char	   *lo = pnstrdup(range, bar - range);
	char	   *hi = pstrdup(bar + 1);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	if (*lo != '\0')
		appendStringInfo(&buf, "a.created_at OPERATOR(pg_catalog.%s) %s::pg_catalog.timestamptz",
						 inside ? ">=" : "<", quote_literal_cstr(lo));
	if (*lo != '\0' && *hi != '\0')
		appendStringInfoString(&buf, inside ? " AND " : " OR ");
	if (*hi != '\0')
		appendStringInfo(&buf, "a.created_at OPERATOR(pg_catalog.%s) %s::pg_catalog.timestamptz",
						 inside ? "<" : ">=", quote_literal_cstr(hi));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * Rows of equal created_at (the table has no key) are told apart by their
 * whole content, so that the same data always gives the same document.
 */
#define QRY_TIE "pg_catalog.to_jsonb(a) DESC"

/* one branch: the newest row of the agent and period meeting cond */
static void
qry_analytics_branch(StringInfo buf, const char *s, const char *cond)
{
	appendStringInfo(buf, "(SELECT a, a.created_at AS k FROM %s.ai_agent_analytics a "
					 "WHERE a.agent_id" QRY_EQ "$1 AND a.period" QRY_EQ "$2 AND %s "
					 "ORDER BY a.created_at DESC, " QRY_TIE " LIMIT 1) UNION ALL ", s, cond);
}

/*
 * The newest of: the newest row inside the range the range partitions cover
 * (partitions scanned newest first, stopping at the first with a row), the
 * newest outside it (the default partition), and any row without created_at.
 * Each branch follows the index (agent_id, period, created_at DESC).
 * Without a usable range: the newest non-null, then any null.
 */
static char *
qry_sql_agent_analytics(const char *s, const char *range)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT pg_catalog.to_json(r.a) FROM (");
	if (range != NULL)
	{
		qry_analytics_branch(&buf, s, qry_range_cond(range, true));
		qry_analytics_branch(&buf, s, qry_range_cond(range, false));
	}
	else
		qry_analytics_branch(&buf, s, "a.created_at IS NOT NULL");
	appendStringInfo(&buf, "(SELECT a, a.created_at AS k FROM %s.ai_agent_analytics a "
					 "WHERE a.agent_id" QRY_EQ "$1 AND a.period" QRY_EQ "$2 AND a.created_at IS NULL "
					 "ORDER BY " QRY_TIE " LIMIT 1)) r "
					 "ORDER BY r.k DESC NULLS LAST, pg_catalog.to_jsonb(r.a) DESC LIMIT 1", s);
	return buf.data;
}

/* OID of one of the platform tables in the setup schema */
static Oid
qry_table_oid(const char *name, Oid nsp)
{
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist",
						get_namespace_name(nsp), name),
				 errhint("Run cognomega.setup() to create the platform tables.")));
	return relid;
}

/* the range the analytics table's partitions cover now (see above) */
static char *
qry_current_analytics_range(Oid nsp)
{
	return qry_analytics_bounds(qry_table_oid("ai_agent_analytics", nsp));
}

/* the SQL text of a query, as it would be prepared now */
static char *
qry_sql(QryKind kind, Oid nsp, const char *range)
{
	const char *s = qry_schema_name(nsp);

	switch (kind)
	{
		case QRY_USER_WITH_APPS:
			return qry_sql_user_with_apps(s);
		case QRY_USERS_WITH_APPS:
			return qry_sql_users_with_apps(s);
		case QRY_AGENT_ANALYTICS:
			return qry_sql_agent_analytics(s, range);
		case QRY_USER_AGENTS_OVERVIEW:
			return qry_sql_user_agents_overview(s);
		default:
			elog(ERROR, "unknown query kind %d", (int) kind);
	}
	return NULL;				/* keep compiler quiet */
}

static bool
qry_same_range(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The kept plan of a query for schema nsp, prepared on first use.  Must be
 * called inside SPI_connect.  agent_analytics is prepared again when the
 * partition layout no longer matches the range its text was built for.
 */
static SPIPlanPtr
qry_plan(QryKind kind, Oid nsp)
{
	char	   *range = NULL;
	SPIPlanPtr	plan;

	if (kind == QRY_AGENT_ANALYTICS)
	{
		range = qry_current_analytics_range(nsp);
		if (qry_plans[kind] != NULL && !qry_same_range(range, qry_analytics_range))
		{
			SPI_freeplan(qry_plans[kind]);
			qry_plans[kind] = NULL;
		}
	}
	if (qry_plans[kind] != NULL)
		return qry_plans[kind];

	plan = spi_keep_plan(SPI_prepare(qry_sql(kind, nsp, range), qry_defs[kind].nargs,
									 (Oid *) qry_defs[kind].argtypes),
						 qry_defs[kind].name);
	qry_plans[kind] = plan;

	if (kind == QRY_AGENT_ANALYTICS)
	{
		if (qry_analytics_range != NULL)
			pfree(qry_analytics_range);
		qry_analytics_range = range ? MemoryContextStrdup(TopMemoryContext, range) : NULL;
	}
	return plan;
}

/*
 * user_agents_overview off the holder (qry_sql_overview_rows, then
 * qry_sql_overview_render); NULL when the user does not exist.  Inside
 * SPI_connect.
 */
static Datum
qry_overview_elsewhere(Oid nsp, Datum *args, bool *isnull)
{
	Datum		vals[4];
	bool		nulls[4];
	char		nullflags[4];
	int			ret;

	if (qry_overview_rows == NULL)
		qry_overview_rows = spi_keep_plan(SPI_prepare(qry_sql_overview_rows(qry_schema_name(nsp)),
													  1, (Oid *) qry_defs[QRY_USER_AGENTS_OVERVIEW].argtypes),
										  "user_agents_overview");
	ret = SPI_execute_plan(qry_overview_rows, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "user_agents_overview: unexpected SPI result %s", SPI_result_code_string(ret));
	*isnull = true;
	if (SPI_processed == 0)
		return (Datum) 0;
	vals[0] = args[0];
	nulls[0] = false;
	for (int i = 0; i < 3; i++)
		vals[i + 1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &nulls[i + 1]);
	if (qry_overview_render == NULL || qry_overview_agents_type != SPI_gettypeid(SPI_tuptable->tupdesc, 1))
	{
		Oid			types[4] = {UUIDOID, SPI_gettypeid(SPI_tuptable->tupdesc, 1), INT8ARRAYOID, INT8ARRAYOID};

		qry_free_plan(&qry_overview_render);
		qry_overview_render = spi_keep_plan(SPI_prepare(qry_sql_overview_render, 4, types),
											"user_agents_overview");
		qry_overview_agents_type = types[1];
	}
	for (int i = 0; i < 4; i++)
		nullflags[i] = nulls[i] ? 'n' : ' ';
	ret = SPI_execute_plan(qry_overview_render, vals, nullflags, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "user_agents_overview: unexpected SPI result %s", SPI_result_code_string(ret));
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
}

/* users_with_apps' kept plan over Citus tables (qry_sql_users_with_apps_citus) */
static SPIPlanPtr
qry_users_citus_plan(Oid nsp)
{
	if (qry_users_citus == NULL)
		qry_users_citus = spi_keep_plan(SPI_prepare(qry_sql_users_with_apps_citus(qry_schema_name(nsp)),
													1, (Oid *) qry_defs[QRY_USERS_WITH_APPS].argtypes),
										"users_with_apps");
	return qry_users_citus;
}

/* ---- cache ---- */

/*
 * The OIDs of the tables a document reads (ERROR naming setup if one is
 * missing).  The caller must have USAGE on the schema, as for a query
 * naming it: checked here on every call, since neither a kept plan (USAGE
 * is checked when a query is parsed) nor a cache hit (the cache re-checks
 * table privileges) would notice it lost, e.g. by REVOKE of a membership.
 */
static void
qry_deps(QryKind kind, Oid nsp, Oid *deps)
{
	AclResult	acl = pg_namespace_aclcheck(nsp, GetUserId(), ACL_USAGE);

	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_SCHEMA, get_namespace_name(nsp));
	for (int i = 0; i < qry_defs[kind].ndeps; i++)
		deps[i] = qry_table_oid(qry_defs[kind].deps[i], nsp);
}

/*
 * Whether the tables a document reads print, as json, by their data and the
 * settings in the key alone (cache_type_output_keyed on their row types; the
 * documents print the users and analytics rows whole, and a DBA may change
 * the other columns' types).  A regclass column prints under the
 * search_path, a cast to json that is not immutable may read anything: such
 * a document is served uncached.  Remembered per kind until a catalog change
 * (column, type, cast or function) or other tables.
 */
static bool
qry_output_keyed(QryKind kind, const Oid *deps)
{
	uint64		generation = qry_types_generation;
	bool		keyed = true;

	if (qry_keyed_at[kind] == generation &&
		memcmp(qry_keyed_deps[kind], deps, sizeof(Oid) * qry_defs[kind].ndeps) == 0)
		return qry_keyed[kind];
	qry_keyed_at[kind] = 0;
	for (int i = 0; i < qry_defs[kind].ndeps && keyed; i++)
		keyed = cache_type_output_keyed(get_rel_type_id(deps[i]));
	memcpy(qry_keyed_deps[kind], deps, sizeof(Oid) * qry_defs[kind].ndeps);
	qry_keyed[kind] = keyed;
	qry_keyed_at[kind] = generation;	/* a change while asking: ask again */
	return keyed;
}

/*
 * Set by qry_cache_ok: the Citus tables among the deps of this call were
 * found local.  A table distributed meanwhile (seen by the store only) is
 * then still refused: its shards were never checked.
 */
static bool qry_citus_checked = false;

/*
 * On a Citus node, for a document keyed by id over the Citus tables
 * rels: whether every shard it reads (the one holding id of each
 * distributed table, the only one of a reference table) is placed on this
 * node, and Citus runs queries on local shards in this backend
 * (citus.enable_local_execution, its default).  Then every write to those
 * rows runs on this node, on a shard whose writes the write sets map to
 * its table (invalidate.c), and this backend's own writes to them are its
 * own: the cache's argument holds per node (docs/cache.md, Citus).  A
 * batch (id NULL), a placement elsewhere or any doubt: no.
 */
static bool
qry_citus_local(const Oid *rels, int nrels, const pg_uuid_t *id)
{
	const char *local = GetConfigOption("citus.enable_local_execution", true, false);
	Datum	   *elems = palloc(sizeof(Datum) * nrels);
	Datum		args[2];
	Oid			argtypes[2] = {UUIDOID, OIDARRAYOID};
	bool		isnull;
	bool		result = false;

	if (id == NULL || local == NULL || strcmp(local, "on") != 0)
		return false;
	for (int i = 0; i < nrels; i++)
		elems[i] = ObjectIdGetDatum(rels[i]);
	args[0] = UUIDPGetDatum(id);
	args[1] = PointerGetDatum(construct_array(elems, nrels, OIDOID, sizeof(Oid),
											  true, TYPALIGN_INT));
	spi_connect();
	if (spi_exec_kept("SELECT pg_catalog.bool_and(EXISTS ("
					  "SELECT FROM pg_catalog.pg_dist_placement p"
					  " WHERE p.shardid OPERATOR(pg_catalog.=)"
					  " pg_catalog.get_shard_id_for_distribution_column(t.rel::pg_catalog.regclass, $1)"
					  " AND p.groupid OPERATOR(pg_catalog.=)"
					  " (SELECT groupid FROM pg_catalog.pg_dist_local_group)))"
					  " FROM pg_catalog.unnest($2) t(rel)",
					  2, argtypes, args, NULL, SPI_OK_SELECT) == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		result = !isnull && DatumGetBool(d);
	}
	SPI_finish();
	return result;
}

/*
 * The Citus tables among the deps of a call for id, and whether the shards
 * it reads are all on this node (qry_citus_local): QRY_CITUS_NONE (no Citus
 * table), QRY_CITUS_LOCAL or QRY_CITUS_ELSEWHERE.
 */
typedef enum QryCitus
{
	QRY_CITUS_NONE,
	QRY_CITUS_LOCAL,
	QRY_CITUS_ELSEWHERE
} QryCitus;

static QryCitus
qry_citus_placement(QryKind kind, const Oid *deps, const pg_uuid_t *id)
{
	Oid			citus[QRY_MAX_DEPS];
	int			ncitus = 0;

	for (int i = 0; i < qry_defs[kind].ndeps; i++)
		if (cache_citus_relation(deps[i]))
			citus[ncitus++] = deps[i];
	if (ncitus == 0)
		return QRY_CITUS_NONE;
	return qry_citus_local(citus, ncitus, id) ? QRY_CITUS_LOCAL : QRY_CITUS_ELSEWHERE;
}

/*
 * Whether this call may use the cache: the cache is usable and the caller
 * may SELECT every table the document reads (table-level privilege; a
 * caller with only column privileges is answered uncached, and SPI checks
 * exactly what the query reads); on Citus tables, only where the shards it
 * reads are on this node (placement, from qry_citus_placement).
 */
static bool
qry_cache_ok(QryKind kind, const Oid *deps, QryCitus placement)
{
	Oid			role = GetUserId();

	qry_citus_checked = false;
	if (!cache_usable() || placement == QRY_CITUS_ELSEWHERE)
		return false;
	for (int i = 0; i < qry_defs[kind].ndeps; i++)
	{
		if (pg_class_aclcheck(deps[i], role, ACL_SELECT) != ACLCHECK_OK)
			return false;
	}
	qry_citus_checked = placement == QRY_CITUS_LOCAL;
	return qry_output_keyed(kind, deps);
}

static void
qry_uuid_text(const pg_uuid_t *id, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	char	   *p = buf;

	for (int i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[id->data[i] >> 4];
		*p++ = hex[id->data[i] & 0x0F];
	}
	*p = '\0';
}

/*
 * "<prefix>:<schema oid>:<output settings>:<uuid>[:<extra>]"; false when too
 * long.  The output settings are cache_output_settings(), as for
 * cached_query: TimeZone renders every timestamptz, the others columns a
 * DBA may add (interval, float, bytea, money).
 */
static bool
qry_key(char *key, QryKind kind, Oid nsp, const pg_uuid_t *id, const char *extra)
{
	char		uuid[UUID_LEN * 2 + 5];
	int			n;

	qry_uuid_text(id, uuid);
	n = snprintf(key, QRY_KEY_MAX, "%s:%u:", qry_defs[kind].key_prefix, nsp);
	if (n < 0 || n >= QRY_KEY_MAX)
		return false;
	n += cache_output_settings(key + n, QRY_KEY_MAX - n);
	if (n >= QRY_KEY_MAX)
		return false;
	n += snprintf(key + n, QRY_KEY_MAX - n, ":%s%s%s", uuid,
				  extra ? ":" : "", extra ? extra : "");
	return n < QRY_KEY_MAX;
}

/* how an absent user or agent is cached: a JSON null (no document is) */
static text *
qry_null_doc(void)
{
	return cstring_to_text_with_len("null", 4);
}

static bool
qry_is_null_doc(const text *doc)
{
	return VARSIZE_ANY_EXHDR(doc) == 4 && memcmp(VARDATA_ANY(doc), "null", 4) == 0;
}

/*
 * A json result of SPI as a text with a 4-byte header, copied into cxt: the
 * tuple may hold it with a short header, and a copy made in SPI's memory
 * would not outlive SPI_finish.
 */
static text *
qry_text_copy(Datum d, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	text	   *result = DatumGetTextPCopy(d);

	MemoryContextSwitchTo(old);
	return result;
}

/* most agents of one overview whose tasks are keys; then the whole table */
#define QRY_MAX_AGENT_KEYS 64

/*
 * The keys a document of kind for id reads (docs/cache.md): the user
 * (users.id) and his apps (generated_apps.user_id); his agents
 * (ai_agents.user_id) and the tasks of each agent listed
 * (ai_agent_tasks.agent_id); the agent's analytics rows.  The cache depends
 * on them instead of the whole tables where their key triggers report them.
 */
static int
qry_keys(QryKind kind, const Oid *deps, const pg_uuid_t *id, const text *json,
		 CacheKeyDep *keys)
{
	char	   *idtext = palloc(UUID_LEN * 2 + 5);
	int			n = 0;

	qry_uuid_text(id, idtext);
	switch (kind)
	{
		case QRY_USER_WITH_APPS:
		case QRY_USERS_WITH_APPS:
			keys[n++] = (CacheKeyDep) {deps[0], "id", idtext};
			keys[n++] = (CacheKeyDep) {deps[1], "user_id", idtext};
			break;
		case QRY_AGENT_ANALYTICS:
			keys[n++] = (CacheKeyDep) {deps[0], "agent_id", idtext};
			break;
		case QRY_USER_AGENTS_OVERVIEW:
			{
				/* the agents listed: parsed from the document (a miss only) */
				Jsonb	   *doc = json == NULL ? NULL :
					DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													   CStringGetDatum(text_to_cstring(json))));
				JsonbValue *agents = NULL;
				int			nagents = 0;

				keys[n++] = (CacheKeyDep) {deps[0], "id", idtext};
				keys[n++] = (CacheKeyDep) {deps[1], "user_id", idtext};
				if (doc != NULL && JB_ROOT_IS_OBJECT(doc))
					agents = getKeyJsonValueFromContainer(&doc->root, "agents", 6, NULL);
				if (agents != NULL && agents->type == jbvBinary &&
					JsonContainerIsArray(agents->val.binary.data))
					nagents = JsonContainerSize(agents->val.binary.data);
				/* too many agents: the tasks table stays whole (no key on it) */
				for (int i = 0; agents && nagents <= QRY_MAX_AGENT_KEYS && i < nagents; i++)
				{
					JsonbValue *a = getIthJsonbValueFromContainer(agents->val.binary.data, i);
					JsonbValue *aid = NULL;

					if (a != NULL && a->type == jbvBinary &&
						JsonContainerIsObject(a->val.binary.data))
						aid = getKeyJsonValueFromContainer(a->val.binary.data, "id", 2, NULL);
					if (aid == NULL || aid->type != jbvString)
					{
						/* not the shape expected: the whole tasks table */
						while (n > 2)
							n--;
						break;
					}
					keys[n++] = (CacheKeyDep) {deps[2], "agent_id",
						pnstrdup(aid->val.string.val, aid->val.string.len)};
				}
				break;
			}
		default:
			break;
	}
	return n;
}

/* Citus tables among deps: qry_cache_ok found their shards local */
static pg_noinline void
qry_store_keys(const char *key, text *doc, const Oid *deps, int ndeps,
			   const CacheKeyDep *keys, int nkeys, TimestampTz fence)
{
	cache_citus_local_checked = qry_citus_checked;
	PG_TRY();
	{
		(void) cache_store_keys(key, doc, -1, deps, ndeps, keys, nkeys, fence);
	}
	PG_FINALLY();
	{
		cache_citus_local_checked = false;
	}
	PG_END_TRY();
}

static void
qry_store(const char *key, text *doc, QryKind kind, const pg_uuid_t *id,
		  const Oid *deps, int ndeps, TimestampTz fence)
{
	CacheKeyDep keys[QRY_MAX_AGENT_KEYS + 3];
	int			nkeys = qry_keys(kind, deps, id, doc, keys);

	qry_store_keys(key, doc ? doc : qry_null_doc(), deps, ndeps, keys, nkeys, fence);
}

/* ---- single documents ---- */

/*
 * run a one-document query; the result is copied to the caller's context.
 * elsewhere: on a Citus node that does not hold the key (placement).
 */
static text *
qry_run_one(QryKind kind, Oid nsp, Datum *args, bool elsewhere)
{
	MemoryContext cxt = CurrentMemoryContext;
	text	   *result = NULL;
	bool		isnull;
	Datum		d;
	int			ret;

	spi_connect();
	if (elsewhere && kind == QRY_USER_AGENTS_OVERVIEW)
	{
		d = qry_overview_elsewhere(nsp, args, &isnull);
		if (!isnull)
			result = qry_text_copy(d, cxt);
		SPI_finish();
		return result;
	}
	ret = SPI_execute_plan(qry_plan(kind, nsp), args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "%s: unexpected SPI result %s", qry_defs[kind].name,
			 SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
			result = qry_text_copy(d, cxt);
	}
	SPI_finish();
	return result;
}

/*
 * A single document, from the cache when possible; key_extra is the part
 * of the key after the uuid (the analytics period) or NULL.
 */
static text *
qry_document(QryKind kind, const pg_uuid_t *id, Datum *args, const char *key_extra)
{
	Oid			nsp = qry_app_schema();
	Oid			deps[QRY_MAX_DEPS];
	char		key[QRY_KEY_MAX];
	bool		cached;
	TimestampTz fence = 0;
	text	   *doc;
	QryCitus	placement;

	qry_deps(kind, nsp, deps);
	placement = qry_citus_placement(kind, deps, id);

	/*
	 * Held by another Citus node: ask that node, with this session's output
	 * settings, through the function's routed twin (routing.c), rather than
	 * run the query here, which Citus would send there to render the
	 * document with the settings of its own connection.
	 */
	if (placement == QRY_CITUS_ELSEWHERE &&
		routing_remote_document(qry_defs[kind].name, args, &doc))
		return doc;
	cached = qry_cache_ok(kind, deps, placement) && qry_key(key, kind, nsp, id, key_extra);
	if (cached)
	{
		doc = cache_lookup(key);
		if (doc != NULL)
			return qry_is_null_doc(doc) ? NULL : doc;
		fence = cache_fence();
	}
	doc = qry_run_one(kind, nsp, args, placement == QRY_CITUS_ELSEWHERE);
	if (cached)
		qry_store(key, doc, kind, id, deps, qry_defs[kind].ndeps, fence);
	return doc;
}

text *
queries_user_with_apps(const pg_uuid_t *user_id)
{
	Datum		args[1] = {UUIDPGetDatum(user_id)};

	return qry_document(QRY_USER_WITH_APPS, user_id, args, NULL);
}

static text *
qry_agent_analytics(const pg_uuid_t *agent_id, text *period)
{
	Datum		args[2] = {UUIDPGetDatum(agent_id), PointerGetDatum(period)};

	return qry_document(QRY_AGENT_ANALYTICS, agent_id, args, text_to_cstring(period));
}

static text *
qry_user_agents_overview(const pg_uuid_t *user_id)
{
	Datum		args[1] = {UUIDPGetDatum(user_id)};

	return qry_document(QRY_USER_AGENTS_OVERVIEW, user_id, args, NULL);
}

/*
 * A document as jsonb, for the functions as 0.1 and 0.2 define them (RETURNS
 * jsonb; their C symbols are kept): a library of 0.3 installed and loaded
 * before ALTER EXTENSION cognomega UPDATE answers them with the same value.
 */
static Datum
qry_as_jsonb(text *doc)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(text_to_cstring(doc)));
}

/* the result of a document function: json text, or jsonb for 0.1/0.2 */
static Datum
qry_result(FunctionCallInfo fcinfo, text *doc, bool as_jsonb)
{
	if (doc == NULL)
		PG_RETURN_NULL();
	if (as_jsonb)
		return qry_as_jsonb(doc);
	PG_RETURN_TEXT_P(doc);
}

/* ---- users_with_apps: many documents, one query for the misses ---- */

/*
 * The distinct non-null ids of the array in first-seen order (*order), and
 * a hash table from id to entry.
 */
static HTAB *
qry_distinct_ids(ArrayType *ids, QryUserEntry ***order, int *n)
{
	HASHCTL		ctl;
	HTAB	   *htab;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;

	deconstruct_array(ids, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR,
					  &elems, &nulls, &nelems);
	ctl.keysize = sizeof(pg_uuid_t);
	ctl.entrysize = sizeof(QryUserEntry);
	ctl.hcxt = CurrentMemoryContext;
	htab = hash_create("cognomega users_with_apps", Max(nelems, 8), &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	*order = palloc(sizeof(QryUserEntry *) * Max(nelems, 1));
	*n = 0;
	for (int i = 0; i < nelems; i++)
	{
		QryUserEntry *e;
		bool		found;

		if (nulls[i])
			continue;
		e = hash_search(htab, DatumGetUUIDP(elems[i]), HASH_ENTER, &found);
		if (found)
			continue;
		e->doc = NULL;
		e->resolved = false;
		(*order)[(*n)++] = e;
	}
	return htab;
}

/* answer what the cache holds; returns how many entries are left */
static int
qry_users_from_cache(QryUserEntry **order, int n, Oid nsp)
{
	char		key[QRY_KEY_MAX];
	int			misses = 0;

	for (int i = 0; i < n; i++)
	{
		text	   *doc;

		if (!qry_key(key, QRY_USERS_WITH_APPS, nsp, &order[i]->id, NULL))
		{
			misses++;
			continue;
		}
		doc = cache_lookup(key);
		if (doc == NULL)
		{
			misses++;
			continue;
		}
		order[i]->resolved = true;
		order[i]->doc = qry_is_null_doc(doc) ? NULL : doc;
	}
	return misses;
}

/* one query for every unresolved id; fills their documents */
static void
qry_users_compute(HTAB *htab, QryUserEntry **order, int n, int misses, Oid nsp,
				  bool citus)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum	   *ids = palloc(sizeof(Datum) * misses);
	int			nids = 0;
	ArrayType  *arr;
	Datum		args[1];
	int			ret;

	for (int i = 0; i < n; i++)
		if (!order[i]->resolved)
			ids[nids++] = UUIDPGetDatum(&order[i]->id);
	arr = construct_array(ids, nids, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
	args[0] = PointerGetDatum(arr);

	spi_connect();
	ret = SPI_execute_plan(citus ? qry_users_citus_plan(nsp) : qry_plan(QRY_USERS_WITH_APPS, nsp),
						   args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "users_with_apps: unexpected SPI result %s",
			 SPI_result_code_string(ret));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		bool		isnull;
		Datum		id = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
		Datum		doc = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		QryUserEntry *e = hash_search(htab, DatumGetUUIDP(id), HASH_FIND, NULL);

		if (e != NULL && !isnull)
			e->doc = qry_text_copy(doc, cxt);
	}
	SPI_finish();
}

static void
qry_users_store(QryUserEntry **order, int n, Oid nsp, const Oid *deps,
				TimestampTz fence)
{
	char		key[QRY_KEY_MAX];

	for (int i = 0; i < n; i++)
	{
		if (order[i]->resolved)
			continue;
		if (qry_key(key, QRY_USERS_WITH_APPS, nsp, &order[i]->id, NULL))
			qry_store(key, order[i]->doc, QRY_USERS_WITH_APPS, &order[i]->id,
					  deps, qry_defs[QRY_USERS_WITH_APPS].ndeps, fence);
	}
}

/*
 * Fill the tuplestore with (user_id, doc) for every existing user of ids,
 * in the order of their first appearance in the array.
 */
static void
qry_users_with_apps(ArrayType *ids, ReturnSetInfo *rsinfo)
{
	Oid			nsp = qry_app_schema();
	Oid			deps[QRY_MAX_DEPS];
	QryUserEntry **order;
	int			n;
	int			misses;
	bool		cached;
	bool		as_jsonb;
	TimestampTz fence = 0;
	HTAB	   *htab = qry_distinct_ids(ids, &order, &n);
	QryCitus	placement;

	qry_deps(QRY_USERS_WITH_APPS, nsp, deps);
	if (n == 0)
		return;
	placement = qry_citus_placement(QRY_USERS_WITH_APPS, deps, NULL);
	cached = qry_cache_ok(QRY_USERS_WITH_APPS, deps, placement);
	misses = cached ? qry_users_from_cache(order, n, nsp) : n;
	if (misses > 0)
	{
		if (cached)
			fence = cache_fence();
		qry_users_compute(htab, order, n, misses, nsp, placement != QRY_CITUS_NONE);
		if (cached)
			qry_users_store(order, n, nsp, deps, fence);
	}
	/* the 0.1 and 0.2 definitions (until ALTER EXTENSION UPDATE) say jsonb */
	as_jsonb = TupleDescAttr(rsinfo->setDesc, 1)->atttypid == JSONBOID;
	for (int i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (order[i]->doc == NULL)
			continue;
		values[0] = UUIDPGetDatum(&order[i]->id);
		values[1] = as_jsonb ? qry_as_jsonb(order[i]->doc) : PointerGetDatum(order[i]->doc);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* ---- SQL-callable functions ---- */

/*
 * The symbols without "_json" are those of the 0.1 and 0.2 definitions
 * (RETURNS jsonb); 0.3 declares the functions RETURNS json, with "_json".
 */
PG_FUNCTION_INFO_V1(cognomega_user_with_apps);
PG_FUNCTION_INFO_V1(cognomega_user_with_apps_json);

Datum
cognomega_user_with_apps(PG_FUNCTION_ARGS)
{
	return qry_result(fcinfo, queries_user_with_apps(PG_GETARG_UUID_P(0)), true);
}

Datum
cognomega_user_with_apps_json(PG_FUNCTION_ARGS)
{
	return qry_result(fcinfo, queries_user_with_apps(PG_GETARG_UUID_P(0)), false);
}

PG_FUNCTION_INFO_V1(cognomega_users_with_apps);

Datum
cognomega_users_with_apps(PG_FUNCTION_ARGS)
{
	ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(0);

	InitMaterializedSRF(fcinfo, 0);
	qry_users_with_apps(ids, (ReturnSetInfo *) fcinfo->resultinfo);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(cognomega_agent_analytics);
PG_FUNCTION_INFO_V1(cognomega_agent_analytics_json);

Datum
cognomega_agent_analytics(PG_FUNCTION_ARGS)
{
	return qry_result(fcinfo, qry_agent_analytics(PG_GETARG_UUID_P(0), PG_GETARG_TEXT_PP(1)),
					  true);
}

Datum
cognomega_agent_analytics_json(PG_FUNCTION_ARGS)
{
	return qry_result(fcinfo, qry_agent_analytics(PG_GETARG_UUID_P(0), PG_GETARG_TEXT_PP(1)),
					  false);
}

PG_FUNCTION_INFO_V1(cognomega_user_agents_overview);
PG_FUNCTION_INFO_V1(cognomega_user_agents_overview_json);

Datum
cognomega_user_agents_overview(PG_FUNCTION_ARGS)
{
	return qry_result(fcinfo, qry_user_agents_overview(PG_GETARG_UUID_P(0)), true);
}

Datum
cognomega_user_agents_overview_json(PG_FUNCTION_ARGS)
{
	return qry_result(fcinfo, qry_user_agents_overview(PG_GETARG_UUID_P(0)), false);
}

/* the SQL text a query function prepares now, for EXPLAIN */
static text *
qry_query_sql(const char *name)
{
	for (int k = 0; k < QRY_NKINDS; k++)
	{
		Oid			nsp;

		if (strcmp(qry_defs[k].name, name) != 0)
			continue;
		nsp = qry_app_schema();
		if (k == QRY_AGENT_ANALYTICS)
			return cstring_to_text(qry_sql(k, nsp, qry_current_analytics_range(nsp)));
		return cstring_to_text(qry_sql(k, nsp, NULL));
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"%s\" is not a joined query function", name),
			 errhint("Use one of user_with_apps, users_with_apps, agent_analytics, user_agents_overview.")));
	return NULL;				/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(cognomega_query_sql);

Datum
cognomega_query_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(qry_query_sql(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

PG_FUNCTION_INFO_V1(cognomega_queries_setup_changed);

/*
 * Statement trigger on cognomega.setup_config: tell every backend (at
 * commit; this one at the next command) that the recorded schema may have
 * changed, through a relcache invalidation of the config table.
 */
Datum
cognomega_queries_setup_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cognomega._queries_setup_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
