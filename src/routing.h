/*-------------------------------------------------------------------------
 *
 * routing.h
 *		Routed calls of the query functions on Citus carry the caller's
 *		output settings (routing.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_ROUTING_H
#define COGNOMEGA_ROUTING_H

#include "postgres.h"

#include "fmgr.h"

/* OID of function nsp.name(argtypes), InvalidOid when there is none */
extern Oid	routing_function_oid(Oid nsp, const char *name, int nargs, const Oid *argtypes);

/* install the planner hook (preloaded only) */
extern void routing_init(void);

/*
 * A document another Citus node holds, asked of it with this session's
 * output settings; false: not possible here, run the query locally.
 */
extern bool routing_remote_document(const char *name, Datum *args, text **doc);

/* the public query functions' code (queries.c), run by their routed twins */
extern Datum cognomega_user_with_apps_json(PG_FUNCTION_ARGS);
extern Datum cognomega_user_agents_overview_json(PG_FUNCTION_ARGS);
extern Datum cognomega_agent_analytics_json(PG_FUNCTION_ARGS);

#endif							/* COGNOMEGA_ROUTING_H */
