/*-------------------------------------------------------------------------
 *
 * queries.h
 *		Joined query functions (docs/queries.md): one call answers a
 *		screen that the platform used to assemble with N+1 queries.
 *
 * The SQL-callable functions are cognomega_user_with_apps,
 * cognomega_users_with_apps, cognomega_agent_analytics,
 * cognomega_user_agents_overview and cognomega_query_sql (the text a
 * function prepares, for EXPLAIN).  Nothing else is exported: the plans are
 * private to each backend.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_QUERIES_H
#define COGNOMEGA_QUERIES_H

#include "postgres.h"

#include "utils/uuid.h"

/*
 * The document of one user with its apps, as json text (a text varlena with
 * a 4-byte header); NULL when the user does not exist.
 */
extern text *queries_user_with_apps(const pg_uuid_t *user_id);

#endif							/* COGNOMEGA_QUERIES_H */
