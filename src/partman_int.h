/*-------------------------------------------------------------------------
 *
 * partman_int.h
 *		Partition management's internal header: the types and functions the
 *		phases of partman share (partman_bounds.c, partman_parent.c,
 *		partman_create.c, partman_maint.c and partman.c, the SQL entry
 *		points).  Other capabilities use partman.h only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_PARTMAN_INT_H
#define COGNOMEGA_PARTMAN_INT_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "storage/lockdefs.h"
#include "utils/relcache.h"

#include "partman.h"


/* rows moved per statement when rescuing rows from a default partition */
#define PM_RESCUE_BATCH 10000
/* safety bound on the partitions one parent gets in one call */
#define PM_MAX_NEW_PARTITIONS 100000

/*
 * Every operator in the SQL below is schema-qualified: part_config is
 * written as its owner and maintenance often runs as a superuser (worker,
 * pg_cron), so an operator planted on the search_path (there is no
 * pg_catalog "=" of exactly regclass, regclass) must never be picked.
 */
#define PM_EQ_PARENT "OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"

#define PM_RAW_MIN PG_INT64_MIN
#define PM_RAW_MAX PG_INT64_MAX

typedef enum PmUnit
{
	PM_MONTHS,					/* step counts months */
	PM_DAYS,					/* step counts days */
	PM_USECS					/* step counts microseconds */
} PmUnit;

/* one row of cognomega.part_config */
typedef struct PmConfig
{
	Oid			parent;
	char	   *control;
	Interval	interval;
	int			premake;
	bool		has_retention;
	Interval	retention;
	bool		keep_table;
	char	   *zone;
	bool		has_last;
	TimestampTz last_maintenance;
	char	   *last_error;
} PmConfig;

/* a partition's range, raw, [lo, hi) */
typedef struct PmRange
{
	Oid			relid;
	int64		lo;
	int64		hi;
} PmRange;

/* a locked parent and what its catalogs say */
typedef struct PmParent
{
	Oid			relid;
	Oid			owner;
	char	   *nspname;
	char	   *relname;
	Oid			tablespace;
	Oid			keytype;
	char	   *keycol;
	int32		keytypmod;		/* precision of a timestamp key, -1 if none */
	PmUnit		unit;
	int64		step;
	Datum		zone;			/* text datum of the fixed zone */
	int			nparts;
	PmRange    *parts;			/* in bound order */
	Oid			defpart;		/* InvalidOid if none */
	char		defkind;		/* its relkind */
	bool		default_busy;	/* default holds rows: check before CREATE */
	List	   *actions;		/* PmAction, in order taken */
	int			ncreated;
	int64		nmoved;
} PmParent;

typedef struct PmAction
{
	char	   *action;
	char	   *partition;
} PmAction;

/*
 * The identity pm_become_owner saved, restored by pm_restore_user
 */
typedef struct PmSavedUser
{
	Oid			uid;
	int			sec;
	int			nest;			/* GUC nest level of the owner's code */
} PmSavedUser;

/* what pm_run did: one row per action */
typedef struct PmRunResult
{
	List	   *rows;			/* PmAction with partition, and parent */
	List	   *row_parents;	/* Oid per row */
} PmRunResult;

/* partman_bounds.c: bounds and names */
extern void	pm_classify_interval(const Interval *iv, Oid keytype, PmUnit *unit, int64 *step);
extern int64	pm_raw_from_datum(Oid keytype, Datum d);
extern Datum	pm_datum_from_raw(Oid keytype, int64 raw);
/* retention's limit: now - retention stays inside timestamp's range (4714 BC) */
#define PM_MAX_RETENTION_DAYS	(5000.0 * 365.25 + 1)

/* an interval's length in days, months counted as 30.4375 days */
static inline double
pm_interval_days(const Interval *iv)
{
	return iv->month * 30.4375 + iv->day + (double) iv->time / USECS_PER_DAY;
}

extern Timestamp	pm_to_local(const PmParent *pp, int64 raw);
extern Timestamp pm_zone_local(const PmParent *pp, TimestampTz t);
extern TimestampTz pm_zone_utc(const PmParent *pp, Timestamp t);
extern int64	pm_to_raw(const PmParent *pp, Timestamp local);
extern TimestampTz	pm_raw_to_tstz(const PmParent *pp, int64 raw);
extern Timestamp	pm_slot_start(const PmParent *pp, Timestamp local, int64 n);
extern char *pm_qualified(const char *nsp, const char *rel);
extern char *pm_literal(const PmParent *pp, int64 raw);
extern char *pm_name_suffix(const PmParent *pp, int64 lo_raw);
extern char *pm_unique_name(const PmParent *pp, const char *suffix);
extern char *pm_column_list(const PmParent *pp);

/* partman_parent.c: the parent and its config */
extern void	pm_check_control(Relation rel, const PmParent *pp, const char *control);
extern void	pm_check_not_temp(Relation rel);
extern void	pm_read_partitions(PmParent *pp);
extern void pm_lock_relation(Oid relid, LOCKMODE mode);
extern void pm_lock_parent(Oid relid);
extern bool	pm_open_parent(Oid relid, LOCKMODE lockmode, const char *zone, bool missing_ok, PmParent *pp);
extern int	pm_try_open_parent(Oid relid, const char *zone, PmParent *pp);
extern void	pm_become_owner(Oid owner, PmSavedUser *save);
extern void	pm_restore_user(const PmSavedUser *save);
extern void	pm_not_managed(Oid parent);
extern void	pm_add_action(PmParent *pp, const char *action, Oid relid);
extern List *pm_load_configs(Oid parent);
extern PmConfig *pm_load_config(Oid parent);
extern bool	pm_may_maintain(Oid relid);

/* partman_create.c: creating partitions, rescuing the default */
extern bool	pm_default_has_rows(const PmParent *pp);
extern char *pm_odd_default(const PmParent *pp);
extern bool	pm_default_has_placeable(const PmParent *pp, int64 cutoff);
extern char *pm_move_refusal(const PmParent *pp);
extern int	pm_first_ending_after(const PmParent *pp, int64 p);
extern void	pm_fill(PmParent *pp, int64 lo, int64 hi, bool rescue, int batch);
extern void	pm_rescue_default(PmParent *pp, int64 cutoff, int batch, StringInfo errors);
extern void	pm_lock_for_changes(const PmParent *pp);
extern void pm_lock_referencing(Oid relid, LOCKMODE mode);

/* partman_maint.c: retention and the maintenance loop */
extern bool	pm_past_retention(const PmRange *r, int64 cutoff);
extern Timestamp	pm_now_local(const PmParent *pp);
extern int64	pm_premake_end(const PmParent *pp, int premake, Timestamp from_local);
extern int64	pm_retention_cutoff(const PmParent *pp, const PmConfig *cfg);
extern void	pm_run(List *configs, PmRunResult *res);
extern List *pm_configs_to_maintain(Oid parent);

/* partman_maint.c: ERROR unless this node may change a Citus parent */
extern void pm_check_citus_coordinator(const PmParent *pp);

#endif							/* COGNOMEGA_PARTMAN_INT_H */
