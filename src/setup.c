/*-------------------------------------------------------------------------
 *
 * setup.c
 *		The platform's data model and its recommended compound indexes:
 *		cognomega.setup(), cognomega.app_schema() and setup_app_schema().
 *
 * setup() runs as an ordinary SECURITY INVOKER function, after CREATE
 * EXTENSION, so the tables it creates belong to its caller and are not
 * members of the extension: DROP EXTENSION never drops them.  Everything it
 * does goes through SPI as SQL, so PostgreSQL's own permission checks, event
 * triggers and hooks apply; one function call is one transaction, so an
 * error leaves nothing half created.  Existing tables are only checked and
 * completed (missing indexes, partitioning of an empty parent), never
 * rewritten or dropped.
 *
 * The list of recommended indexes, the test "an equivalent index exists"
 * and the DDL text live in SQL (sql/src/10_setup.sql), shared with the
 * index_status view and missing_index_ddl(); this file orchestrates.
 *
 * Locking contract: setup() takes SHARE ROW EXCLUSIVE on
 * cognomega.setup_config for the rest of its transaction, so concurrent
 * setup() calls run one after the other (the second sees what the first
 * created and does nothing); readers of setup_config are not blocked.  DDL
 * takes the locks PostgreSQL takes for it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "cognomega.h"
#include "cache.h"
#include "setup.h"
#include "partman.h"
#include "routing.h"
#include "spi_util.h"

/* A column every platform table of that name must have, with its type. */
typedef struct SetupColumn
{
	const char *table;
	const char *column;
	Oid			type;
} SetupColumn;

/* A platform table and its CREATE TABLE; %1$s is the quoted schema. */
typedef struct SetupTable
{
	const char *name;
	const char *ddl;
} SetupTable;

/* Where setup() is writing its result lines. */
typedef struct SetupOut
{
	Tuplestorestate *store;
	TupleDesc	desc;
} SetupOut;

#define SETUP_ANALYTICS "ai_agent_analytics"
#define SETUP_CREATE_PARENT \
	"cognomega.create_parent(regclass,text,interval,integer,timestamp with time zone,interval,boolean)"

static const SetupColumn setup_columns[] = {
	{"users", "id", UUIDOID},
	{"users", "email", TEXTOID},
	{"users", "subscription_tier", TEXTOID},
	{"users", "subscription_status", TEXTOID},
	{"users", "is_active", BOOLOID},
	{"users", "created_at", TIMESTAMPTZOID},
	{"generated_apps", "id", UUIDOID},
	{"generated_apps", "user_id", UUIDOID},
	{"generated_apps", "title", TEXTOID},
	{"generated_apps", "status", TEXTOID},
	{"generated_apps", "created_at", TIMESTAMPTZOID},
	{"payments", "id", UUIDOID},
	{"payments", "user_id", UUIDOID},
	{"payments", "amount", NUMERICOID},
	{"payments", "currency", TEXTOID},
	{"payments", "status", TEXTOID},
	{"payments", "created_at", TIMESTAMPTZOID},
	{"voice_commands", "id", UUIDOID},
	{"voice_commands", "user_id", UUIDOID},
	{"voice_commands", "language", TEXTOID},
	{"voice_commands", "transcript", TEXTOID},
	{"voice_commands", "created_at", TIMESTAMPTZOID},
	{"ai_agents", "id", UUIDOID},
	{"ai_agents", "user_id", UUIDOID},
	{"ai_agents", "name", TEXTOID},
	{"ai_agents", "type", TEXTOID},
	{"ai_agents", "status", TEXTOID},
	{"ai_agents", "created_at", TIMESTAMPTZOID},
	{"ai_agent_tasks", "id", UUIDOID},
	{"ai_agent_tasks", "agent_id", UUIDOID},
	{"ai_agent_tasks", "priority", INT4OID},
	{"ai_agent_tasks", "status", TEXTOID},
	{"ai_agent_tasks", "payload", JSONBOID},
	{"ai_agent_tasks", "created_at", TIMESTAMPTZOID},
	{"ai_agent_analytics", "agent_id", UUIDOID},
	{"ai_agent_analytics", "period", TEXTOID},
	{"ai_agent_analytics", "total_interactions", INT8OID},
	{"ai_agent_analytics", "success_rate", NUMERICOID},
	{"ai_agent_analytics", "cost_per_interaction", NUMERICOID},
	{"ai_agent_analytics", "created_at", TIMESTAMPTZOID},
};

/*
 * In dependency order.  Foreign keys get a plain index on their column when
 * no recommended index leads with it unconditionally (cascading deletes and
 * "all apps of a user" need one); statuses and tiers are free text so the
 * application can add states without a migration.
 */
static const SetupTable setup_tables[] = {
	{"users",
		"CREATE TABLE %1$s.users ("
		" id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),"
		" email text NOT NULL UNIQUE CHECK (email <> ''),"
		" subscription_tier text NOT NULL DEFAULT 'free',"
		" subscription_status text NOT NULL DEFAULT 'active',"
		" is_active boolean NOT NULL DEFAULT true,"
		" created_at timestamptz NOT NULL DEFAULT pg_catalog.now())"},
	{"generated_apps",
		"CREATE TABLE %1$s.generated_apps ("
		" id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),"
		" user_id uuid NOT NULL REFERENCES %1$s.users (id) ON DELETE CASCADE,"
		" title text,"
		" status text NOT NULL DEFAULT 'generating',"
		" created_at timestamptz NOT NULL DEFAULT pg_catalog.now());"
		"CREATE INDEX generated_apps_user_id_idx ON %1$s.generated_apps (user_id)"},
	{"payments",
		"CREATE TABLE %1$s.payments ("
		" id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),"
		" user_id uuid NOT NULL REFERENCES %1$s.users (id),"
		" amount numeric NOT NULL CHECK (amount >= 0),"
		" currency text NOT NULL DEFAULT 'USD' CHECK (pg_catalog.char_length(currency) = 3),"
		" status text NOT NULL DEFAULT 'pending',"
		" created_at timestamptz NOT NULL DEFAULT pg_catalog.now());"
		"CREATE INDEX payments_user_id_idx ON %1$s.payments (user_id)"},
	{"voice_commands",
		"CREATE TABLE %1$s.voice_commands ("
		" id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),"
		" user_id uuid NOT NULL REFERENCES %1$s.users (id) ON DELETE CASCADE,"
		" language text NOT NULL DEFAULT 'en',"
		" transcript text,"
		" created_at timestamptz NOT NULL DEFAULT pg_catalog.now())"},
	{"ai_agents",
		"CREATE TABLE %1$s.ai_agents ("
		" id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),"
		" user_id uuid NOT NULL REFERENCES %1$s.users (id) ON DELETE CASCADE,"
		" name text,"
		" type text,"
		" status text NOT NULL DEFAULT 'active',"
		" created_at timestamptz NOT NULL DEFAULT pg_catalog.now());"
		"CREATE INDEX ai_agents_user_id_idx ON %1$s.ai_agents (user_id)"},
	{"ai_agent_tasks",
		"CREATE TABLE %1$s.ai_agent_tasks ("
		" id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),"
		" agent_id uuid NOT NULL REFERENCES %1$s.ai_agents (id) ON DELETE CASCADE,"
		" priority integer NOT NULL DEFAULT 0,"
		" status text NOT NULL DEFAULT 'pending',"
		" payload jsonb NOT NULL DEFAULT '{}',"
		" created_at timestamptz NOT NULL DEFAULT pg_catalog.now());"
		"CREATE INDEX ai_agent_tasks_agent_id_status_idx ON %1$s.ai_agent_tasks (agent_id, status)"},
	{"ai_agent_analytics",
		"CREATE TABLE %1$s.ai_agent_analytics ("
		" agent_id uuid NOT NULL,"
		" period text NOT NULL,"
		" total_interactions bigint NOT NULL DEFAULT 0 CHECK (total_interactions >= 0),"
		" success_rate numeric CHECK (success_rate BETWEEN 0 AND 1),"
		" cost_per_interaction numeric CHECK (cost_per_interaction >= 0),"
		" created_at timestamptz NOT NULL DEFAULT pg_catalog.now())"
		" PARTITION BY RANGE (created_at)"},
};

/* The foreign keys of the platform tables, as their CREATE TABLE makes them. */
typedef struct SetupForeignKey
{
	const char *table;
	const char *column;
	const char *reftable;
	const char *action;			/* " ON DELETE CASCADE" or "" */
} SetupForeignKey;

static const SetupForeignKey setup_foreign_keys[] = {
	{"generated_apps", "user_id", "users", " ON DELETE CASCADE"},
	{"payments", "user_id", "users", ""},
	{"voice_commands", "user_id", "users", " ON DELETE CASCADE"},
	{"ai_agents", "user_id", "users", " ON DELETE CASCADE"},
	{"ai_agent_tasks", "agent_id", "ai_agents", " ON DELETE CASCADE"},
};

static void setup_internal(const char *schema, SetupOut *out);
static Oid	setup_check_schema(const char *schema);
static void setup_check_table(Oid nsp, const char *schema, const char *table);
static void setup_check_column(Oid relid, const char *schema,
							   const SetupColumn *col);
static void setup_record_schema(const char *schema, SetupOut *out);
static void setup_create_tables(Oid nsp, const char *schema, SetupOut *out);
static void setup_restore_foreign_key(Oid nsp, const char *schema,
									  const SetupForeignKey *fk, SetupOut *out);
static void setup_partitioning(Oid nsp, const char *schema, SetupOut *out);
static bool setup_is_range_on_created_at(Oid relid);
static void setup_manage(Oid relid, const char *qualified, SetupOut *out);
static void setup_default_partition(Oid relid, Oid nsp, const char *qualified,
									SetupOut *out);
static void setup_create_indexes(SetupOut *out);
static void setup_declare_keys(Oid nsp, const char *schema, SetupOut *out);
static char *setup_recorded_schema(bool fresh);
static Oid	setup_config_relid(void);
static Oid	setup_citus_schema_function(void);
static bool setup_spi_bool(const char *sql);
static void setup_emit(SetupOut *out, const char *fmt,...) pg_attribute_printf(2, 3);

PG_FUNCTION_INFO_V1(cognomega_setup);

/*
 * cognomega.setup(app_schema name) RETURNS SETOF text
 */
Datum
cognomega_setup(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SetupOut	out;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	out.store = rsinfo->setResult;
	out.desc = rsinfo->setDesc;
	setup_internal(NameStr(*PG_GETARG_NAME(0)), &out);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(cognomega_app_schema);

/*
 * cognomega.app_schema() RETURNS name: the recorded schema, or 55000.
 */
Datum
cognomega_app_schema(PG_FUNCTION_ARGS)
{
	Oid			nsp = setup_app_schema(false);

	PG_RETURN_DATUM(DirectFunctionCall1(namein,
										CStringGetDatum(get_namespace_name(nsp))));
}

Oid
setup_app_schema(bool missing_ok)
{
	char	   *schema = setup_recorded_schema(false);
	Oid			nsp;

	if (schema == NULL)
	{
		if (missing_ok)
			return InvalidOid;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cognomega.setup() has not been run in this database"),
				 errhint("Run cognomega.setup() to create the platform tables.")));
	}
	nsp = get_namespace_oid(schema, true);
	if (!OidIsValid(nsp) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" recorded by cognomega.setup() does not exist",
						schema),
				 errhint("Run cognomega.setup() again with the schema of the platform tables.")));
	return nsp;
}

static void
setup_internal(const char *schema, SetupOut *out)
{
	Oid			nsp = setup_check_schema(schema);
	const char *quoted = quote_identifier(schema);
	int			i;

	LockRelationOid(setup_config_relid(), ShareRowExclusiveLock);
	for (i = 0; i < lengthof(setup_tables); i++)
		setup_check_table(nsp, schema, setup_tables[i].name);

	spi_connect();
	setup_record_schema(schema, out);
	setup_create_tables(nsp, quoted, out);
	setup_partitioning(nsp, quoted, out);
	setup_create_indexes(out);
	setup_declare_keys(nsp, quoted, out);
	SPI_finish();
}

/*
 * The schema must exist, be an ordinary one, and the caller must be allowed
 * to create in it (checked even when everything exists, so that only those
 * who could have created the tables can point the extension at them).
 */
static Oid
setup_check_schema(const char *schema)
{
	Oid			nsp = get_namespace_oid(schema, false);
	AclResult	acl;

	if (IsCatalogNamespace(nsp) || IsToastNamespace(nsp) ||
		isAnyTempNamespace(nsp) ||
		nsp == get_namespace_oid("cognomega", false))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot create the platform tables in schema \"%s\"",
						schema),
				 errdetail("System, temporary and the extension's own schemas cannot hold user data."),
				 errhint("Create a schema for the platform tables, or use public.")));

	acl = pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_SCHEMA, schema);
	return nsp;
}

/* An existing object of a platform table's name must be a compatible table. */
static void
setup_check_table(Oid nsp, const char *schema, const char *table)
{
	Oid			relid = get_relname_relid(table, nsp);
	char		kind;
	int			i;

	if (!OidIsValid(relid))
		return;
	kind = get_rel_relkind(relid);
	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s.%s\" is not a table", schema, table),
				 errdetail("cognomega.setup() needs the name for a platform table.")));

	for (i = 0; i < lengthof(setup_columns); i++)
		if (strcmp(setup_columns[i].table, table) == 0)
			setup_check_column(relid, schema, &setup_columns[i]);
}

/*
 * The exact type is required (no domain, no varchar for text): the index
 * predicates and the query functions are written for it.
 */
static void
setup_check_column(Oid relid, const char *schema, const SetupColumn *col)
{
	AttrNumber	att = get_attnum(relid, col->column);
	Oid			type;

	if (att == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s.%s\" does not exist",
						col->column, schema, col->table),
				 errdetail("The platform table %s needs a column %s of type %s.",
						   col->table, col->column, format_type_be(col->type)),
				 errhint("Add the column, or set up the platform tables in another schema.")));

	type = get_atttype(relid, att);
	if (type != col->type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s.%s\" is of type %s, not %s",
						col->column, schema, col->table,
						format_type_be(type), format_type_be(col->type)),
				 errdetail("The platform tables need the exact types of cognomega's data model."),
				 errhint("Change the column's type, or set up the platform tables in another schema.")));
}

/*
 * Remember the schema.  The caller need not have rights on the config
 * table: the row is written as the table's owner, and only setup() does.
 */
static void
setup_record_schema(const char *schema, SetupOut *out)
{
	char	   *old = setup_recorded_schema(true);
	Oid			argtypes[1] = {NAMEOID};
	Datum		args[1];

	if (old != NULL && strcmp(old, schema) == 0)
		return;

	args[0] = DirectFunctionCall1(namein, CStringGetDatum(schema));
	spi_exec_as(spi_ext_table_owner("setup_config"),
				"INSERT INTO cognomega.setup_config (app_schema)"
				" VALUES ($1) ON CONFLICT (singleton) DO UPDATE"
				" SET app_schema = excluded.app_schema,"
				" set_up_at = excluded.set_up_at",
				1, argtypes, args, NULL, SPI_OK_INSERT);

	if (old == NULL)
		setup_emit(out, "recorded app schema %s", schema);
	else
		setup_emit(out, "app schema changed from %s to %s", old, schema);
}

static void
setup_create_tables(Oid nsp, const char *schema, SetupOut *out)
{
	bool		created[lengthof(setup_tables)];
	int			i;

	for (i = 0; i < lengthof(setup_tables); i++)
	{
		created[i] = false;
		if (OidIsValid(get_relname_relid(setup_tables[i].name, nsp)))
			continue;
		spi_exec(psprintf(setup_tables[i].ddl, schema), false, SPI_OK_UTILITY);
		setup_emit(out, "created table %s.%s", schema,
				   quote_identifier(setup_tables[i].name));
		created[i] = true;
	}
	for (i = 0; i < lengthof(setup_foreign_keys); i++)
	{
		const SetupForeignKey *fk = &setup_foreign_keys[i];
		int			t;

		for (t = 0; t < lengthof(setup_tables); t++)
			if (strcmp(setup_tables[t].name, fk->reftable) == 0 && created[t])
				setup_restore_foreign_key(nsp, schema, fk, out);
	}
}

/*
 * A referenced table setup() has just created (again, e.g. after DROP TABLE
 * users CASCADE, which took the foreign keys of the tables referencing it
 * along): an existing referencing table without a foreign key to it gets
 * one back, NOT VALID since its rows may now refer to nothing; new rows are
 * checked.  The line says how to check the existing ones.
 */
static void
setup_restore_foreign_key(Oid nsp, const char *schema,
						  const SetupForeignKey *fk, SetupOut *out)
{
	Oid			relid = get_relname_relid(fk->table, nsp);
	Oid			refid = get_relname_relid(fk->reftable, nsp);
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		args[2];
	const char *table = quote_identifier(fk->table);
	bool		isnull;

	if (!OidIsValid(relid) || !OidIsValid(refid))
		return;
	args[0] = ObjectIdGetDatum(relid);
	args[1] = ObjectIdGetDatum(refid);

	spi_exec_args("SELECT pg_catalog.pg_has_role(c.relowner, 'USAGE')"
				  "  FROM pg_catalog.pg_class c"
				  " WHERE c.oid OPERATOR(pg_catalog.=) $1 AND NOT EXISTS ("
				  "	SELECT FROM pg_catalog.pg_constraint"
				  "	 WHERE conrelid OPERATOR(pg_catalog.=) $1"
				  "	   AND confrelid OPERATOR(pg_catalog.=) $2"
				  "	   AND contype OPERATOR(pg_catalog.=) 'f')",
				  2, argtypes, args, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return;
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
	{
		setup_emit(out, "foreign key %s.%s (%s) -> %s is missing: only the table's owner can add it",
				   schema, table, quote_identifier(fk->column), quote_identifier(fk->reftable));
		return;
	}
	spi_exec(psprintf("ALTER TABLE %s.%s ADD FOREIGN KEY (%s) REFERENCES %s.%s (id)%s NOT VALID",
					  schema, table, quote_identifier(fk->column),
					  schema, quote_identifier(fk->reftable), fk->action),
			 false, SPI_OK_UTILITY);
	setup_emit(out, "added foreign key %s.%s (%s) -> %s NOT VALID: existing rows are not checked, "
			   "ALTER TABLE ... VALIDATE CONSTRAINT checks them",
			   schema, table, quote_identifier(fk->column), quote_identifier(fk->reftable));
}

/*
 * ai_agent_analytics becomes a managed parent (monthly, 3 ahead, no
 * retention) through partition management when it is installed; otherwise
 * it at least gets a default partition so that inserts work.  A table the
 * DBA made without RANGE (created_at) partitioning is left as it is.
 */
static void
setup_partitioning(Oid nsp, const char *schema, SetupOut *out)
{
	Oid			relid = get_relname_relid(SETUP_ANALYTICS, nsp);
	char	   *qualified = psprintf("%s.%s", schema, SETUP_ANALYTICS);

	if (!setup_is_range_on_created_at(relid))
	{
		ereport(WARNING,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table %s is not partitioned by RANGE (created_at)",
						qualified),
				 errdetail("cognomega.setup() does not rewrite existing tables, so partition management is not set up for it.")));
		return;
	}
	if (partman_is_managed(relid))
		return;
	if (setup_spi_bool("SELECT pg_catalog.to_regprocedure('" SETUP_CREATE_PARENT "') IS NOT NULL"))
		setup_manage(relid, qualified, out);
	else
		setup_default_partition(relid, nsp, qualified, out);
}

static bool
setup_is_range_on_created_at(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	PartitionKey key = RelationGetPartitionKey(rel);
	bool		ok;

	ok = key != NULL && key->strategy == PARTITION_STRATEGY_RANGE &&
		key->partnatts == 1 &&
		key->partattrs[0] == get_attnum(relid, "created_at");
	table_close(rel, NoLock);
	return ok;
}

static void
setup_manage(Oid relid, const char *qualified, SetupOut *out)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	bool		isnull;
	int32		created;

	spi_exec_args("SELECT cognomega.create_parent($1::pg_catalog.regclass,"
				  " 'created_at', '1 month', 3)",
				  1, argtypes, args, NULL, false, SPI_OK_SELECT);
	created = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	setup_emit(out, "partitioned %s: managed monthly, 3 partitions ahead, %d partitions created",
			   qualified, isnull ? 0 : created);
}

static void
setup_default_partition(Oid relid, Oid nsp, const char *qualified,
						SetupOut *out)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(nsp)};
	char	   *name;

	if (OidIsValid(get_default_partition_oid(relid)))
		return;
	spi_exec_args("SELECT pg_catalog.quote_ident(cognomega._free_relname($1,"
				  " 'ai_agent_analytics_default'))",
				  1, argtypes, args, NULL, false, SPI_OK_SELECT);
	name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	spi_exec(psprintf("CREATE TABLE %s.%s PARTITION OF %s DEFAULT",
					  quote_identifier(get_namespace_name(nsp)), name, qualified),
			 false, SPI_OK_UTILITY);
	setup_emit(out, "partitioned %s: created default partition %s (partition management is not installed)",
			   qualified, name);
}

/* Create each missing recommended index (plain CREATE INDEX). */
static void
setup_create_indexes(SetupOut *out)
{
	List	   *stmts = NIL;
	List	   *lines = NIL;
	ListCell   *s,
			   *l;
	uint64		i;

	spi_exec("SELECT stmt, line FROM cognomega._setup_index_ddl()", false, SPI_OK_SELECT);
	for (i = 0; i < SPI_processed; i++)
	{
		stmts = lappend(stmts, SPI_getvalue(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 1));
		lines = lappend(lines, SPI_getvalue(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 2));
	}
	forboth(s, stmts, l, lines)
	{
		spi_exec(lfirst(s), false, SPI_OK_UTILITY);
		setup_emit(out, "%s", (char *) lfirst(l));
	}
}

/* the platform's key columns (docs/cache.md, key-level invalidation) */
static const struct
{
	const char *table;
	const char *column;
}			setup_keys[] = {
	{"users", "id"},
	{"generated_apps", "user_id"},
	{"payments", "user_id"},
	{"voice_commands", "user_id"},
	{"ai_agents", "user_id"},
	{"ai_agents", "id"},
	{"ai_agent_tasks", "agent_id"},
	{"ai_agent_analytics", "agent_id"},
};

/*
 * Declare each platform key column not declared yet, or whose key trigger
 * is not enabled ALWAYS (ENABLE TRIGGER ALL): cache_key_column recreates it,
 * where the caller owns the table; a table owned by another role is
 * reported and left to its owner.  Read with a new snapshot (read_only =
 * false): a concurrent setup() we waited for has declared them.
 */
static void
setup_declare_keys(Oid nsp, const char *schema, SetupOut *out)
{
	Oid			argtypes[2] = {OIDOID, NAMEOID};

	/* an extension version before 0.3 (not updated yet) has no key columns */
	if (!setup_spi_bool("SELECT pg_catalog.to_regclass('cognomega.cache_key_columns') IS NOT NULL"))
		return;
	for (int i = 0; i < lengthof(setup_keys); i++)
	{
		Oid			relid = get_relname_relid(setup_keys[i].table, nsp);
		Datum		args[2];
		bool		isnull;

		/* Citus: the rows are written on shards, without this trigger */
		if (!OidIsValid(relid) || cache_citus_relation(relid))
			continue;
		args[0] = ObjectIdGetDatum(relid);
		args[1] = DirectFunctionCall1(namein, CStringGetDatum(setup_keys[i].column));
		spi_exec_args("SELECT EXISTS (SELECT FROM cognomega.cache_key_columns"
					  " WHERE rel = $1::pg_catalog.regclass AND col = $2 AND enabled)",
					  2, argtypes, args, NULL, false, SPI_OK_SELECT);
		if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull)))
			continue;
		if (!pg_class_ownercheck(relid, GetUserId()))
		{
			setup_emit(out, "cache key %s.%s(%s) not declared: the table belongs to another role",
					   schema, quote_identifier(setup_keys[i].table),
					   quote_identifier(setup_keys[i].column));
			continue;
		}
		spi_exec_args("SELECT cognomega.cache_key_column($1::pg_catalog.regclass, $2)",
					  2, argtypes, args, NULL, false, SPI_OK_SELECT);
		setup_emit(out, "declared cache key %s.%s(%s)", schema,
				   quote_identifier(setup_keys[i].table),
				   quote_identifier(setup_keys[i].column));
	}
}

/*
 * The recorded schema name, allocated in the caller's memory context; NULL
 * when setup() has not run.  fresh: read with a new snapshot (setup(), after
 * waiting for a concurrent setup() to commit) rather than the caller's.
 */
static char *
setup_recorded_schema(bool fresh)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *result = NULL;

	spi_connect();
	if (spi_exec("SELECT app_schema FROM cognomega.setup_config", !fresh, SPI_OK_SELECT) > 0)
		result = MemoryContextStrdup(caller,
									 SPI_getvalue(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1));

	/*
	 * A Citus worker: setup() ran on the coordinator, and distribute()
	 * recorded the schema in the Citus metadata (60_citus.sql).
	 */
	else if (!fresh && GetConfigOption("citus.version", true, false) != NULL &&
			 OidIsValid(setup_citus_schema_function()) &&
			 spi_exec("SELECT cognomega._citus_app_schema()", true, SPI_OK_SELECT) > 0 &&
			 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) != NULL)
		result = MemoryContextStrdup(caller,
									 SPI_getvalue(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1));
	SPI_finish();
	return result;
}

/* cognomega._citus_app_schema(), absent before the 0.3 script ran */
static Oid
setup_citus_schema_function(void)
{
	Oid			nsp = get_namespace_oid("cognomega", true);

	return OidIsValid(nsp) ? routing_function_oid(nsp, "_citus_app_schema", 0, NULL) : InvalidOid;
}

static Oid
setup_config_relid(void)
{
	return get_relname_relid("setup_config",
							 get_namespace_oid("cognomega", false));
}

/* The value of a query returning one non-null boolean. */
static bool
setup_spi_bool(const char *sql)
{
	bool		isnull;

	spi_exec(sql, false, SPI_OK_SELECT);
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull));
}

static void
setup_emit(SetupOut *out, const char *fmt,...)
{
	StringInfoData buf;
	Datum		value;
	bool		isnull = false;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	value = CStringGetTextDatum(buf.data);
	tuplestore_putvalues(out->store, out->desc, &value, &isnull);
}
