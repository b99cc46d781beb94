/*-------------------------------------------------------------------------
 *
 * sysinfo.h
 *		Memory, CPU and load of the machine or the server's cgroup
 *		(sysinfo.c), recorded by the stats job.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_SYSINFO_H
#define COGNOMEGA_SYSINFO_H

typedef struct SysInfo
{
	bool		have_memory;
	int64		memory_used;	/* bytes */
	int64		memory_total;	/* bytes */
	const char *memory_source;	/* "cgroup" or "meminfo" */
	bool		have_cpu;
	double		cpu_seconds;	/* cumulative */
	int			cpu_count;
	const char *cpu_source;		/* "cgroup" or "stat" */
	bool		have_load;
	double		load_1m;
} SysInfo;

extern char *cognomega_debug_sys_root;

extern void sysinfo_read(SysInfo *si);
extern void sysinfo_init(void);

#endif							/* COGNOMEGA_SYSINFO_H */
