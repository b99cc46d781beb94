/*-------------------------------------------------------------------------
 *
 * spi_util.h
 *		The one way cognomega runs SQL from C: connecting to SPI, running a
 *		statement and checking its result, kept plans, running as a table's
 *		owner, and running a function in a subtransaction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_SPI_UTIL_H
#define COGNOMEGA_SPI_UTIL_H

#include "postgres.h"

#include "executor/spi.h"

/* an expected result of spi_exec*() that accepts any successful one */
#define SPI_OK_ANY	0

/* SPI_connect(); an error if it fails */
extern void spi_connect(void);

/*
 * Run one statement (SPI_execute, SPI_execute_with_args); any result other
 * than expect (SPI_OK_ANY: any success) is an error, a bug of ours.
 * Returns SPI_processed.
 */
extern uint64 spi_exec(const char *sql, bool read_only, int expect);
extern uint64 spi_exec_args(const char *sql, int nargs, Oid *types, Datum *values,
							const char *nulls, bool read_only, int expect);

/*
 * The same through a plan kept for the life of the backend, keyed by the
 * statement's text: for the few fixed statements a worker runs every
 * interval.  The plan cache replans them when the objects they use change.
 */
extern uint64 spi_exec_kept(const char *sql, int nargs, Oid *types, Datum *values,
							const char *nulls, int expect);

/* SPI_keepplan(plan) of a plan just prepared; what names it in errors */
extern SPIPlanPtr spi_keep_plan(SPIPlanPtr plan, const char *what);

/* owner of the extension's table cognomega.relname (42P01 if missing) */
extern Oid	spi_ext_table_owner(const char *relname);

/*
 * spi_exec_args() as role (SECURITY_LOCAL_USERID_CHANGE), for the
 * extension's own tables written as their owner after the caller's checks.
 */
extern uint64 spi_exec_as(Oid role, const char *sql, int nargs, Oid *types, Datum *values,
						  const char *nulls, int expect);

/*
 * fn(arg) in a subtransaction.  Returns NULL when it succeeded (its changes
 * and locks are kept), else the error, copied into the caller's memory
 * context, the subtransaction rolled back.  A query cancel or
 * statement_timeout (57014) is re-thrown, never returned: it stops the
 * whole statement, as in plpgsql.
 */
typedef void (*SpiSubxactFn) (void *arg);
extern ErrorData *spi_in_subxact(SpiSubxactFn fn, void *arg);

#endif							/* COGNOMEGA_SPI_UTIL_H */
