/*-------------------------------------------------------------------------
 *
 * sysinfo.c
 *		The machine's figures the stats job records: memory, CPU time and
 *		load, read from Linux's /proc and cgroup v2 files.
 *
 * Memory: when the server runs in a cgroup v2 whose memory.max is a limit
 * (a container, a systemd unit with MemoryMax), the limit is the total and
 * the cgroup's working set the use: memory.current less the inactive file
 * cache of memory.stat, as container runtimes count it, since a database
 * fills its page cache without being short of memory.  Otherwise
 * /proc/meminfo: MemTotal, and MemTotal - MemAvailable used.  Inside a
 * container /proc/meminfo shows the host, which is why the cgroup wins.
 *
 * CPU: cumulative seconds of CPU time.  Of the server's cgroup when its
 * cpu.stat can be read (usage_usec), with the CPUs it may use (cpu.max's
 * quota / period, rounded up, else the CPUs online); otherwise of the
 * whole machine from /proc/stat's first line (busy time: all but idle and
 * iowait), with the machine's CPUs.  cpu_percent over a window is the
 * difference of two readings over (seconds x cpu_count).
 *
 * Anything missing or malformed leaves its figure unknown (NULL in SQL),
 * never an error: the readers return false and the stats row goes on.
 * Not on Linux, nothing is known.
 *
 * cognomega.debug_sys_root (developer option, superuser) prefixes every
 * path read here, so tests point the readers at a fake /proc and
 * /sys/fs/cgroup: limits, missing files, malformed lines.
 *
 * Locking contract: none; it reads files.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <unistd.h>

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "sysinfo.h"

char	   *cognomega_debug_sys_root = NULL;

/* a whole small file (at most 64 kB), or NULL when it cannot be read */
static char *
sys_read_file(const char *path)
{
	char		full[MAXPGPATH];
	FILE	   *f;
	char	   *buf;
	size_t		n;

	snprintf(full, sizeof(full), "%s%s",
			 cognomega_debug_sys_root ? cognomega_debug_sys_root : "", path);
	f = fopen(full, "r");
	if (f == NULL)
		return NULL;
	buf = palloc(65536);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* the value after "key" at the start of a line (e.g. "MemTotal:"), parsed as int64 */
static bool
sys_keyed_int64(const char *text, const char *key, int64 *out)
{
	size_t		klen = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0')
	{
		if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t'))
		{
			char	   *end;
			long long	v;

			errno = 0;
			v = strtoll(p + klen, &end, 10);
			if (errno != 0 || end == p + klen || v < 0)
				return false;
			*out = (int64) v;
			return true;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

/*
 * The next whitespace-separated field at *p as a non-negative int64 (no
 * sign, no overflow); *p moves past it.
 */
static bool
sys_parse_int64(char **p, int64 *out)
{
	char	   *end;
	long long	v;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!isdigit((unsigned char) **p))
		return false;
	errno = 0;
	v = strtoll(*p, &end, 10);
	if (errno != 0)
		return false;
	*out = (int64) v;
	*p = end;
	return true;
}

/* a file holding one non-negative integer (memory.current) */
static bool
sys_file_int64(const char *path, int64 *out)
{
	char	   *text = sys_read_file(path);
	char	   *end;
	long long	v;

	if (text == NULL)
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || v < 0 || (*end != '\0' && *end != '\n'))
		return false;
	*out = (int64) v;
	return true;
}

/*
 * The server's cgroup v2 directory under /sys/fs/cgroup ("" for the root
 * of a cgroup namespace), or NULL when the server is in no v2 hierarchy.
 */
static char *
sys_cgroup_dir(void)
{
	char	   *text = sys_read_file("/proc/self/cgroup");
	char	   *line;
	char	   *nl;

	if (text == NULL)
		return NULL;
	for (line = text; line != NULL && *line != '\0'; line = nl ? nl + 1 : NULL)
	{
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (strncmp(line, "0::/", 4) == 0)
		{
			char	   *rel = line + 3;

			if (strstr(rel, "..") != NULL)
				return NULL;
			return psprintf("/sys/fs/cgroup%s", strcmp(rel, "/") == 0 ? "" : rel);
		}
	}
	return NULL;
}

static bool
sys_memory_cgroup(const char *cg, SysInfo *si)
{
	int64		limit,
				current,
				inactive = 0;
	char	   *stat;

	if (cg == NULL ||
		!sys_file_int64(psprintf("%s/memory.max", cg), &limit) ||	/* "max": no limit */
		!sys_file_int64(psprintf("%s/memory.current", cg), &current) ||
		limit <= 0)
		return false;
	stat = sys_read_file(psprintf("%s/memory.stat", cg));
	if (stat != NULL)
		(void) sys_keyed_int64(stat, "inactive_file", &inactive);
	si->memory_total = limit;
	/* above the limit only while the kernel reclaims after memory.max was lowered */
	si->memory_used = Min(Max(current - inactive, 0), limit);
	si->memory_source = "cgroup";
	return true;
}

static bool
sys_memory_meminfo(SysInfo *si)
{
	char	   *text = sys_read_file("/proc/meminfo");
	int64		total_kb,
				avail_kb;

	if (text == NULL ||
		!sys_keyed_int64(text, "MemTotal:", &total_kb) ||
		!sys_keyed_int64(text, "MemAvailable:", &avail_kb) ||
		total_kb <= 0 || avail_kb > total_kb || total_kb > PG_INT64_MAX / 1024)
		return false;
	si->memory_total = total_kb * 1024;
	si->memory_used = (total_kb - avail_kb) * 1024;
	si->memory_source = "meminfo";
	return true;
}

/* the machine's CPUs: cpuN lines of /proc/stat */
static int
sys_stat_cpus(const char *stat)
{
	int			n = 0;
	const char *p;

	for (p = stat; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, "cpu", 3) == 0 && isdigit((unsigned char) p[3]))
			n++;
	return n;
}

static int
sys_cpus_online(void)
{
	char	   *stat = sys_read_file("/proc/stat");
	int			n = stat ? sys_stat_cpus(stat) : 0;

	return n > 0 ? n : 0;
}

static bool
sys_cpu_cgroup(const char *cg, SysInfo *si)
{
	char	   *stat;
	char	   *max;
	int64		usec;
	int			cpus = sys_cpus_online();

	if (cg == NULL || (stat = sys_read_file(psprintf("%s/cpu.stat", cg))) == NULL ||
		!sys_keyed_int64(stat, "usage_usec", &usec) || cpus <= 0)
		return false;
	max = sys_read_file(psprintf("%s/cpu.max", cg));
	if (max != NULL && strncmp(max, "max", 3) != 0)
	{
		int64		quota,
					period;
		char	   *p = max;

		if (sys_parse_int64(&p, &quota) && sys_parse_int64(&p, &period) &&
			quota > 0 && period > 0 && quota / period < cpus)
			cpus = (int) (quota / period + (quota % period != 0));
	}
	si->cpu_seconds = (double) usec / 1000000.0;
	si->cpu_count = cpus;
	si->cpu_source = "cgroup";
	return true;
}

static bool
sys_cpu_stat(SysInfo *si)
{
	char	   *stat = sys_read_file("/proc/stat");
	double		f[8];
	long		hz = sysconf(_SC_CLK_TCK);
	int			cpus;
	int			i;
	char	   *p;

	if (stat == NULL || hz <= 0 || strncmp(stat, "cpu ", 4) != 0 ||
		(cpus = sys_stat_cpus(stat)) <= 0)
		return false;
	/* unsigned 64-bit counters: summed as doubles, so that nothing wraps */
	p = stat + 4;
	for (i = 0; i < 8; i++)
	{
		unsigned long long v;
		char	   *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char) *p))
			return false;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno != 0)
			return false;
		f[i] = (double) v;
		p = end;
	}
	/* user nice system [idle iowait] irq softirq steal */
	si->cpu_seconds = (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / (double) hz;
	si->cpu_count = cpus;
	si->cpu_source = "stat";
	return true;
}

static bool
sys_load(SysInfo *si)
{
	char	   *text = sys_read_file("/proc/loadavg");
	char	   *end;
	double		v;

	if (text == NULL)
		return false;
	errno = 0;
	v = strtod(text, &end);
	if (errno != 0 || end == text || !(v >= 0) || isinf(v))
		return false;
	si->load_1m = v;
	return true;
}

void
sysinfo_read(SysInfo *si)
{
	memset(si, 0, sizeof(*si));
#ifdef __linux__
	{
		char	   *cg = sys_cgroup_dir();

		si->have_memory = sys_memory_cgroup(cg, si) || sys_memory_meminfo(si);
		si->have_cpu = sys_cpu_cgroup(cg, si) || sys_cpu_stat(si);
		si->have_load = sys_load(si);
	}
#endif
}

void
sysinfo_init(void)
{
	DefineCustomStringVariable("cognomega.debug_sys_root",
							   "Developer option: directory prefixed to the /proc and /sys/fs/cgroup paths the stats job reads.",
							   "Lets tests point the memory and CPU readers at fake files.",
							   &cognomega_debug_sys_root,
							   "",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
}

/*
 * cognomega.system_stats(): what the stats job would record now, for
 * monitoring and for tests of the readers.
 */
PG_FUNCTION_INFO_V1(cognomega_system_stats);

Datum
cognomega_system_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8];
	SysInfo		si;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	sysinfo_read(&si);
	memset(nulls, true, sizeof(nulls));
	if (si.have_memory)
	{
		values[0] = Int64GetDatum(si.memory_used);
		values[1] = Int64GetDatum(si.memory_total);
		values[2] = CStringGetTextDatum(si.memory_source);
		nulls[0] = nulls[1] = nulls[2] = false;
	}
	if (si.have_cpu)
	{
		values[3] = Float8GetDatum(si.cpu_seconds);
		values[4] = Int32GetDatum(si.cpu_count);
		values[5] = CStringGetTextDatum(si.cpu_source);
		nulls[3] = nulls[4] = nulls[5] = false;
	}
	if (si.have_load)
	{
		values[6] = Float8GetDatum(si.load_1m);
		nulls[6] = false;
	}
	values[7] = TimestampTzGetDatum(GetCurrentTimestamp());
	nulls[7] = false;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
