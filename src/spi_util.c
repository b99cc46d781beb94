/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *		The SPI and subtransaction toolkit every capability uses: one way to
 *		connect, run a statement and check its result, keep a plan, act as
 *		the owner of the extension's tables, and run a function in a
 *		subtransaction.
 *
 * A failed SPI call here is a bug of ours, not the user's: it is raised
 * with elog (XX000) and names the statement.  Errors of the statement
 * itself (a constraint, a lock timeout, a privilege) are raised by
 * PostgreSQL with their own codes and pass through untouched.
 *
 * Subtransactions.  spi_in_subxact runs a function as plpgsql runs an
 * EXCEPTION block: an error rolls back the subtransaction (its changes and
 * the locks it took) and is returned to the caller, who decides what to
 * make of it; a query cancel or statement_timeout (57014) is re-thrown,
 * because it is meant to stop the whole statement, not one step of it.
 *
 * Locking contract.  None of its own: the statements run here take the
 * locks PostgreSQL takes for them.  The kept plans are backend-local.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "spi_util.h"

void
spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static uint64
spi_check(int rc, int expect, const char *sql)
{
	if (rc < 0 || (expect != SPI_OK_ANY && rc != expect))
		elog(ERROR, "SPI_execute failed: %s (%s)", SPI_result_code_string(rc), sql);
	return SPI_processed;
}

uint64
spi_exec(const char *sql, bool read_only, int expect)
{
	return spi_check(SPI_execute(sql, read_only, 0), expect, sql);
}

uint64
spi_exec_args(const char *sql, int nargs, Oid *types, Datum *values,
			  const char *nulls, bool read_only, int expect)
{
	return spi_check(SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, 0),
					 expect, sql);
}

SPIPlanPtr
spi_keep_plan(SPIPlanPtr plan, const char *what)
{
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for %s: %s", what,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed for %s", what);
	return plan;
}

/*
 * The kept plans of spi_exec_kept, keyed by their text.  The statements are
 * few and fixed; one past the table's size is prepared every time.
 */
#define SPI_MAX_KEPT 32

typedef struct SpiKept
{
	char	   *sql;
	SPIPlanPtr	plan;
} SpiKept;

static SpiKept spi_kept[SPI_MAX_KEPT];

static SPIPlanPtr
spi_kept_plan(const char *sql, int nargs, Oid *types)
{
	int			i;
	SPIPlanPtr	plan;

	for (i = 0; i < SPI_MAX_KEPT && spi_kept[i].sql != NULL; i++)
		if (strcmp(spi_kept[i].sql, sql) == 0)
			return spi_kept[i].plan;
	plan = SPI_prepare(sql, nargs, types);
	if (i == SPI_MAX_KEPT)
	{
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for %s: %s", sql,
				 SPI_result_code_string(SPI_result));
		return plan;			/* not kept: freed with the SPI context */
	}
	spi_kept[i].plan = spi_keep_plan(plan, sql);
	spi_kept[i].sql = MemoryContextStrdup(TopMemoryContext, sql);
	return plan;
}

uint64
spi_exec_kept(const char *sql, int nargs, Oid *types, Datum *values,
			  const char *nulls, int expect)
{
	return spi_check(SPI_execute_plan(spi_kept_plan(sql, nargs, types), values, nulls,
									  false, 0),
					 expect, sql);
}

Oid
spi_ext_table_owner(const char *relname)
{
	Oid			nsp = get_namespace_oid("cognomega", false);
	Oid			relid = get_relname_relid(relname, nsp);
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table cognomega.%s does not exist", relname),
				 errhint("Run CREATE EXTENSION cognomega; first.")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for cognomega.%s", relname);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

uint64
spi_exec_as(Oid role, const char *sql, int nargs, Oid *types, Datum *values,
			const char *nulls, int expect)
{
	Oid			save_uid;
	int			save_sec;
	uint64		n;

	GetUserIdAndSecContext(&save_uid, &save_sec);
	SetUserIdAndSecContext(role, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	n = spi_exec_args(sql, nargs, types, values, nulls, false, expect);
	SetUserIdAndSecContext(save_uid, save_sec);
	return n;
}

ErrorData *
spi_in_subxact(SpiSubxactFn fn, void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	if (edata != NULL && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		ReThrowError(edata);
	return edata;
}
