/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Differences between PostgreSQL major versions, gathered in one place.
 *
 * PostgreSQL 15 is the oldest supported major and the names the code uses
 * are 15's; for 16, 17 and 18 this header maps them onto what those majors
 * renamed or replaced, so the rest of the code carries no #if
 * PG_VERSION_NUM blocks of its own.  Where the behaviour (not only a name)
 * differs, the helper below handles it and says so.
 *
 * Included by cognomega.h, so every source file sees it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_COMPAT_H
#define COGNOMEGA_COMPAT_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "nodes/plannodes.h"
#include "utils/acl.h"
#include "utils/wait_event.h"

#if PG_VERSION_NUM < 150000
#error "cognomega requires PostgreSQL 15 or later"
#endif

/* ---- 16: object_aclcheck / object_ownercheck ----
 *
 * 16 replaced the per-catalog pg_<kind>_aclcheck and pg_<kind>_ownercheck
 * functions with object_aclcheck(classid, ...) and object_ownercheck(classid,
 * ...); same checks, same results.  pg_class_aclcheck and
 * pg_attribute_aclcheck* stay on 16+.
 */
#if PG_VERSION_NUM >= 160000
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"

#define pg_class_ownercheck(relid, roleid) \
	object_ownercheck(RelationRelationId, (relid), (roleid))
#define pg_namespace_aclcheck(nspid, roleid, mode) \
	object_aclcheck(NamespaceRelationId, (nspid), (roleid), (mode))
#define pg_proc_aclcheck(procid, roleid, mode) \
	object_aclcheck(ProcedureRelationId, (procid), (roleid), (mode))
#endif

/*
 * Whether roleid holds any of mask's privileges on an object of classid
 * (schema, function or type), as a mask: 0 when none.  Before 16 the
 * per-catalog pg_<kind>_aclmask; 16 keeps object_aclmask static, but
 * object_aclcheck answers "any of" the same way (ACLMASK_ANY).
 */
#if PG_VERSION_NUM >= 160000
#define cognomega_aclmask_any(classid, oid, roleid, mask) \
	(object_aclcheck((classid), (oid), (roleid), (mask)) == ACLCHECK_OK ? (mask) : 0)
#else
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "utils/acl.h"

static inline AclMode
cognomega_aclmask_any(Oid classid, Oid oid, Oid roleid, AclMode mask)
{
	switch (classid)
	{
		case NamespaceRelationId:
			return pg_namespace_aclmask(oid, roleid, mask, ACLMASK_ANY);
		case ProcedureRelationId:
			return pg_proc_aclmask(oid, roleid, mask, ACLMASK_ANY);
		default:
			return pg_type_aclmask(oid, roleid, mask, ACLMASK_ANY);
	}
}
#endif

/* ---- 16: RTEPermissionInfo ----
 *
 * 16 moved the permission bits of range table entries (requiredPerms,
 * checkAsUser, selectedCols ...) to a separate list, PlannedStmt.permInfos,
 * one RTEPermissionInfo per relation the statement checks.  This is a
 * behaviour change for the cache, not only a rename: a view the statement
 * names is no longer an RTE_RELATION in the planned range table (16 turns
 * it into an RTE_SUBQUERY that keeps the view's relid), so a walk of the
 * range table for RTE_RELATION entries misses views on 16+.  The
 * permission list still has one entry per view and per table, so on 16+
 * the walk goes over permInfos instead.  (PlannedStmt.relationOids, which
 * the cache keys and depends on, still lists views on 16+.)
 */

/* the executor's permission check over a plan's relations */
#if PG_VERSION_NUM >= 160000
#define COGNOMEGA_CHECK_PLAN_PERMS(stmt) \
	ExecCheckPermissions((stmt)->rtable, (stmt)->permInfos, true)
#else
#define COGNOMEGA_CHECK_PLAN_PERMS(stmt) \
	ExecCheckRTPerms((stmt)->rtable, true)
#endif

/*
 * The list whose items say which relations a plan checks and as whom:
 * iterate it with foreach and pass each item to cognomega_perm_user_relid.
 */
#if PG_VERSION_NUM >= 160000
#define COGNOMEGA_PLAN_PERM_ITEMS(stmt) ((stmt)->permInfos)
#else
#define COGNOMEGA_PLAN_PERM_ITEMS(stmt) ((stmt)->rtable)
#endif

/* rte's privileges are checked (it is no RTE added for the planner only) */
#if PG_VERSION_NUM >= 160000
#define COGNOMEGA_RTE_CHECKED(rte) ((rte)->perminfoindex != 0)
#else
#define COGNOMEGA_RTE_CHECKED(rte) ((rte)->requiredPerms != 0)
#endif

/*
 * The relation of one item of COGNOMEGA_PLAN_PERM_ITEMS when the statement
 * names it itself (checked as the current user), InvalidOid when it is
 * reached through a view (checked as the view's owner) or is no relation.
 */
static inline Oid
cognomega_perm_user_relid(void *item)
{
#if PG_VERSION_NUM >= 160000
	RTEPermissionInfo *p = (RTEPermissionInfo *) item;

	if (p->requiredPerms != 0 && !OidIsValid(p->checkAsUser))
		return p->relid;
#else
	RangeTblEntry *rte = (RangeTblEntry *) item;

	if (rte->rtekind == RTE_RELATION && rte->requiredPerms != 0 &&
		!OidIsValid(rte->checkAsUser))
		return rte->relid;
#endif
	return InvalidOid;
}

/* ---- 17: the search-path API ----
 *
 * 17 renamed OverrideSearchPath to SearchPathMatcher (same fields: schemas,
 * addCatalog, addTemp) and OverrideSearchPathMatchesCurrent to
 * SearchPathMatchesCurrentEnvironment; CachedPlanSource.search_path is a
 * SearchPathMatcher.  Same meaning.
 */
#if PG_VERSION_NUM >= 170000
#include "catalog/namespace.h"

#define OverrideSearchPathMatchesCurrent(path) \
	SearchPathMatchesCurrentEnvironment(path)
#endif

/* ---- 17: custom wait events ----
 *
 * On 17+ an extension registers named wait events (WaitEventExtensionNew),
 * shown in pg_stat_activity.wait_event and pg_wait_events instead of the
 * generic "Extension".  Before 17 every wait is PG_WAIT_EXTENSION, as
 * before.  The ids live in shared memory, so they are looked up once per
 * process, the first time the process waits.
 */
#if PG_VERSION_NUM >= 170000
#define COGNOMEGA_DEFINE_WAIT_EVENT(fn, name) \
static inline uint32 \
fn(void) \
{ \
	static uint32 id = 0; \
	if (id == 0) \
		id = WaitEventExtensionNew(name); \
	return id; \
}
#else
#define COGNOMEGA_DEFINE_WAIT_EVENT(fn, name) \
static inline uint32 \
fn(void) \
{ \
	return PG_WAIT_EXTENSION; \
}
#endif

/* a worker sleeping until its next job is due */
COGNOMEGA_DEFINE_WAIT_EVENT(cognomega_we_worker_main, "CognomegaWorkerMain")
/* the launcher sleeping between rounds */
COGNOMEGA_DEFINE_WAIT_EVENT(cognomega_we_launcher_main, "CognomegaLauncherMain")
/* the launcher waiting for a previous launcher's workers to exit */
COGNOMEGA_DEFINE_WAIT_EVENT(cognomega_we_worker_exit, "CognomegaWorkerExit")

/* ---- 18: ExecutorStart_hook ----
 *
 * During 18's development ExecutorStart_hook returned bool (false: the
 * cached plan became invalid while locking); that change was reverted
 * before 18.0, and 18 keeps 15's void hook, which cognomega.c uses as is.
 * Checked against 18.6's executor.h.
 */

/* ---- 17: PGPROC's local transaction id ----
 *
 * 17 moved PGPROC.lxid into PGPROC.vxid (with procNumber); same meaning: the
 * backend's current local transaction, to tell one transaction from the
 * next.  Needs storage/proc.h.
 */
#if PG_VERSION_NUM >= 170000
#define COGNOMEGA_MY_LXID()	(MyProc->vxid.lxid)
#else
#define COGNOMEGA_MY_LXID()	(MyProc->lxid)
#endif

#endif							/* COGNOMEGA_COMPAT_H */
