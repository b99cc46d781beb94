/*-------------------------------------------------------------------------
 *
 * partman_bounds.c
 *		Bounds and names for partition management: partition intervals
 *		and key types, raw bounds, time zones and calendar slots, and the
 *		names and SQL text of partitions.
 *
 * Bounds.  A key value is handled as a "raw" int64 in the key type's own
 * unit (microseconds for timestamp/timestamptz, days for date).  Partition
 * slots are computed on the parent's "local" time: for timestamptz the wall
 * clock of part_config.time_zone (UTC unless configured), never the
 * session's TimeZone, so bounds do not drift with the caller and a daily or
 * monthly slot stays at local midnight across DST changes.  Slots align on
 * the calendar: months on January of year 0 (so 3 months gives quarters),
 * days on Monday 2000-01-03 (so 7 days gives ISO weeks), sub-day intervals
 * on 2000-01-01 00:00.  A slot that overlaps a partition made by hand is
 * clipped to the gap, never refused.
 *
 * Names.  A partition is named after its parent and the start of its slot
 * in local time; a name already taken gets a numeric suffix.
 *
 * Locking contract.  None: everything here is arithmetic on what the
 * caller has read under its own locks (partman_parent.c), or a catalog
 * lookup of a name.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "compat.h"
#include "partman_int.h"

/* ---- Intervals, keys and slots ---- */

static void
pm_interval_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid partition interval"),
			 errdetail("%s", detail)));
}

/*
 * Classify a partition interval: a whole number of months, of days, or (for
 * timestamp keys) a fixed time.  Raises 22023 for anything else.
 */
void
pm_classify_interval(const Interval *iv, Oid keytype, PmUnit *unit, int64 *step)
{
	if (iv->month < 0 || iv->day < 0 || iv->time < 0 ||
		(iv->month == 0 && iv->day == 0 && iv->time == 0))
		pm_interval_error("The partition interval must be greater than zero.");
	if (iv->month > 0)
	{
		if (iv->day != 0 || iv->time != 0)
			pm_interval_error("An interval of months must be a whole number of months, without days or hours.");
		*unit = PM_MONTHS;
		*step = iv->month;
		return;
	}
	if (iv->time == 0 || (keytype == DATEOID && iv->time % USECS_PER_DAY == 0))
	{
		/* on a date key, hours making whole days ('48 hours') are days */
		*unit = PM_DAYS;
		*step = iv->day + iv->time / USECS_PER_DAY;
		return;
	}
	if (keytype == DATEOID)
		pm_interval_error("A date partition key needs a whole number of days or months.");
	if (iv->time % USECS_PER_SEC != 0 && iv->day == 0 && iv->time < USECS_PER_SEC)
		pm_interval_error("The partition interval must be at least one second.");
	*unit = PM_USECS;
	*step = (int64) iv->day * USECS_PER_DAY + iv->time;
}

int64
pm_raw_from_datum(Oid keytype, Datum d)
{
	if (keytype == DATEOID)
		return (int64) DatumGetDateADT(d);
	return DatumGetInt64(d);
}

Datum
pm_datum_from_raw(Oid keytype, int64 raw)
{
	if (keytype == DATEOID)
		return DateADTGetDatum((DateADT) raw);
	return Int64GetDatum(raw);
}

static bool
pm_raw_is_finite(const PmParent *pp, int64 raw)
{
	if (raw == PM_RAW_MIN || raw == PM_RAW_MAX)
		return false;
	if (pp->keytype == DATEOID)
		return !DATE_NOT_FINITE((DateADT) raw);
	return !TIMESTAMP_NOT_FINITE(raw);
}

/* raw key value -> wall clock of the parent's fixed zone */
Timestamp
pm_to_local(const PmParent *pp, int64 raw)
{
	if (pp->keytype == DATEOID)
	{
		if (raw < MIN_TIMESTAMP / USECS_PER_DAY || raw >= END_TIMESTAMP / USECS_PER_DAY)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("date out of range for partitioning"),
					 errdetail("Partition bounds of a date key must lie in the range of timestamp.")));
		return raw * USECS_PER_DAY;
	}
	if (pp->keytype == TIMESTAMPOID)
		return raw;
	return pm_zone_local(pp, raw);
}

/*
 * The parent's zone as a zone, never as an abbreviation: the SQL operator
 * AT TIME ZONE looks a name up in the session's timezone_abbreviations
 * first, and 'EST' or 'CET' are both (EST is -05 or, under the Australia
 * set, +10; the abbreviation CET has no summer time).  create_parent
 * refuses a name that is only an abbreviation.
 */
static pg_tz *
pm_zone(const PmParent *pp)
{
	char	   *name = TextDatumGetCString(pp->zone);
	pg_tz	   *tz = pg_tzset(name);

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", name)));
	return tz;
}

static void
pm_zone_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("timestamp out of range")));
}

/* t AT TIME ZONE the parent's zone: the wall clock there */
Timestamp
pm_zone_local(const PmParent *pp, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	Timestamp	result;

	if (TIMESTAMP_NOT_FINITE(t))
		return t;
	if (timestamp2tm(t, &tz, &tm, &fsec, NULL, pm_zone(pp)) != 0 ||
		tm2timestamp(&tm, fsec, NULL, &result) != 0 || !IS_VALID_TIMESTAMP(result))
		pm_zone_out_of_range();
	return result;
}

/* the wall clock t of the parent's zone as a timestamptz */
TimestampTz
pm_zone_utc(const PmParent *pp, Timestamp t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	TimestampTz result;

	if (TIMESTAMP_NOT_FINITE(t))
		return t;
	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		pm_zone_out_of_range();
	tz = DetermineTimeZoneOffset(&tm, pm_zone(pp));
	if (tm2timestamp(&tm, fsec, &tz, &result) != 0 || !IS_VALID_TIMESTAMP(result))
		pm_zone_out_of_range();
	return result;
}

/* wall clock of the parent's fixed zone -> raw key value */
int64
pm_to_raw(const PmParent *pp, Timestamp local)
{
	if (pp->keytype == DATEOID)
	{
		int64		days = local / USECS_PER_DAY;

		if (local < 0 && local % USECS_PER_DAY != 0)
			days--;
		return days;
	}
	if (pp->keytype == TIMESTAMPOID)
		return local;
	return pm_zone_utc(pp, local);
}

/* raw key value -> timestamptz for display (timestamp/date in the fixed zone) */
TimestampTz
pm_raw_to_tstz(const PmParent *pp, int64 raw)
{
	if (raw == PM_RAW_MIN)
		return DT_NOBEGIN;
	if (raw == PM_RAW_MAX)
		return DT_NOEND;
	if (pp->keytype == TIMESTAMPTZOID)
		return raw;
	if (!pm_raw_is_finite(pp, raw))
		return raw < 0 ? DT_NOBEGIN : DT_NOEND;
	/* a date bound beyond timestamp's range shows as -infinity / infinity */
	if (pp->keytype == DATEOID && raw < MIN_TIMESTAMP / USECS_PER_DAY + 2)
		return DT_NOBEGIN;
	if (pp->keytype == DATEOID && raw >= END_TIMESTAMP / USECS_PER_DAY - 2)
		return DT_NOEND;
	return pm_zone_utc(pp, pm_to_local(pp, raw));
}

static int64
pm_floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static Timestamp
pm_tm_to_local(struct pg_tm *tm)
{
	Timestamp	ts;

	if (tm2timestamp(tm, 0, NULL, &ts) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("partition bound out of range")));
	return ts;
}

static Timestamp
pm_month_start(int64 month_index)
{
	struct pg_tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int) pm_floor_div(month_index, 12);
	tm.tm_mon = (int) (month_index - (int64) tm.tm_year * 12) + 1;
	tm.tm_mday = 1;
	return pm_tm_to_local(&tm);
}

static int64
pm_month_index(Timestamp local)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return (int64) tm.tm_year * 12 + tm.tm_mon - 1;
}

/* 2000-01-03, the first Monday after PostgreSQL's epoch, in days */
#define PM_DAY_ORIGIN 2

/* Start (local) of the slot that contains local + n slots */
Timestamp
pm_slot_start(const PmParent *pp, Timestamp local, int64 n)
{
	switch (pp->unit)
	{
		case PM_MONTHS:
			{
				int64		k = pm_floor_div(pm_month_index(local), pp->step);

				return pm_month_start((k + n) * pp->step);
			}
		case PM_DAYS:
			{
				int64		day = pm_floor_div(local, USECS_PER_DAY);
				int64		k = pm_floor_div(day - PM_DAY_ORIGIN, pp->step);

				return (PM_DAY_ORIGIN + (k + n) * pp->step) * USECS_PER_DAY;
			}
		case PM_USECS:
			return (pm_floor_div(local, pp->step) + n) * pp->step;
	}
	return 0;					/* keep the compiler quiet */
}

/* ---- Names and SQL text ---- */

char *
pm_qualified(const char *nsp, const char *rel)
{
	return quote_qualified_identifier(nsp, rel);
}

/* 'YYYY-MM-DD HH:MI:SS[.f]+00' etc.: a bound literal no session setting changes */
char *
pm_literal(const PmParent *pp, int64 raw)
{
	struct pg_tm tm;
	fsec_t		fsec = 0;
	char		buf[MAXDATELEN + 1];

	if (pp->keytype == DATEOID)
	{
		j2date((int) raw + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
		EncodeDateOnly(&tm, USE_ISO_DATES, buf);
	}
	else
	{
		if (timestamp2tm(raw, NULL, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("partition bound out of range")));
		tm.tm_isdst = 0;		/* else EncodeDateTime omits the "+00" */
		EncodeDateTime(&tm, fsec, pp->keytype == TIMESTAMPTZOID, 0, NULL,
					   USE_ISO_DATES, buf);
	}
	return quote_literal_cstr(buf);
}

/* suffix from the slot's local start: _pYYYYMMDD, or _pYYYYMMDD_HHMI[SS] below a day */
char *
pm_name_suffix(const PmParent *pp, int64 lo_raw)
{
	struct pg_tm tm;
	fsec_t		fsec;
	Timestamp	local = pm_to_local(pp, lo_raw);

	/*
	 * A day or month slot whose local midnight does not exist (a DST change
	 * at midnight) starts at the first instant after it: name it by its
	 * day, as its neighbours.
	 */
	if (pp->unit != PM_USECS)
	{
		Timestamp	nominal = pm_slot_start(pp, local, 0);

		if (nominal != local && pm_to_raw(pp, nominal) == lo_raw)
			local = nominal;
	}
	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("partition bound out of range")));
	if (pp->unit != PM_USECS && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0)
		return psprintf("_p%04d%02d%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
	if (tm.tm_sec == 0)
		return psprintf("_p%04d%02d%02d_%02d%02d", tm.tm_year, tm.tm_mon,
						tm.tm_mday, tm.tm_hour, tm.tm_min);
	return psprintf("_p%04d%02d%02d_%02d%02d%02d", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * base + suffix, the base clipped on a character boundary so the name fits
 * in NAMEDATALEN - 1 bytes, and made unique in the parent's schema by a
 * counter ("_2", "_3", ...) when a relation of that name already exists.
 */
char *
pm_unique_name(const PmParent *pp, const char *suffix)
{
	Oid			nspid = get_namespace_oid(pp->nspname, false);
	int			n;

	for (n = 1; n < 10000; n++)
	{
		char	   *sfx = n == 1 ? pstrdup(suffix) : psprintf("%s_%d", suffix, n);
		int			room = NAMEDATALEN - 1 - (int) strlen(sfx);
		int			len = pg_mbcliplen(pp->relname, strlen(pp->relname), room);
		char	   *name = psprintf("%.*s%s", len, pp->relname, sfx);

		/* a relation's row type takes the name in pg_type too */
		if (!OidIsValid(get_relname_relid(name, nspid)) &&
			!OidIsValid(GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum(name),
										ObjectIdGetDatum(nspid))))
			return name;
	}
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_TABLE),
			 errmsg("could not find a free name for a partition of \"%s\"", pp->relname)));
	return NULL;				/* keep the compiler quiet */
}

/* column list of the parent: every live, non-generated column, quoted */
char *
pm_column_list(const PmParent *pp)
{
	Relation	rel = relation_open(pp->relid, NoLock);
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attgenerated)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
						 quote_identifier(NameStr(att->attname)));
	}
	relation_close(rel, NoLock);
	return buf.data;
}
