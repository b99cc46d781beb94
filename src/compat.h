/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Differences between PostgreSQL major versions, gathered in one place.
 *
 * PostgreSQL 15 is the target; 16 and 17 moved a few things.  Code elsewhere
 * uses the macros below instead of its own #if PG_VERSION_NUM blocks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_COMPAT_H
#define COGNOMEGA_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "cognomega requires PostgreSQL 15 or later"
#endif

#if PG_VERSION_NUM >= 160000
/* 16 moved the permission bits of range table entries to RTEPermissionInfo */
#define COGNOMEGA_HAVE_RTEPERMINFO 1
#endif

/* the executor's permission check over a plan's range table */
#if PG_VERSION_NUM >= 160000
#define COGNOMEGA_CHECK_PLAN_PERMS(stmt) \
	ExecCheckPermissions((stmt)->rtable, (stmt)->permInfos, true)
#else
#define COGNOMEGA_CHECK_PLAN_PERMS(stmt) \
	ExecCheckRTPerms((stmt)->rtable, true)
#endif

/*
 * Is rte a relation the statement names itself (checked as the current user),
 * rather than one reached through a view (checked as the view's owner)?
 */
#if PG_VERSION_NUM >= 160000
#define COGNOMEGA_RTE_NAMED_BY_USER(stmt, rte) \
	((rte)->rtekind == RTE_RELATION && (rte)->perminfoindex != 0 && \
	 !OidIsValid(getRTEPermissionInfo((stmt)->permInfos, (rte))->checkAsUser))
#else
#define COGNOMEGA_RTE_NAMED_BY_USER(stmt, rte) \
	((rte)->rtekind == RTE_RELATION && (rte)->requiredPerms != 0 && \
	 !OidIsValid((rte)->checkAsUser))
#endif

/* rte's privileges are checked (it is no RTE added for the planner only) */
#if PG_VERSION_NUM >= 160000
#define COGNOMEGA_RTE_CHECKED(rte) ((rte)->perminfoindex != 0)
#else
#define COGNOMEGA_RTE_CHECKED(rte) ((rte)->requiredPerms != 0)
#endif

#endif							/* COGNOMEGA_COMPAT_H */
