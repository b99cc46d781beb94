# System monitoring (docs/workers.md): the memory and CPU readers against a
# fake /proc and /sys/fs/cgroup (cognomega.debug_sys_root): cgroup limits,
# no limit, missing files, malformed lines, counters going backwards; what
# the stats job records and stats_rates makes of it; HIGH_MEMORY_USAGE,
# HIGH_CPU_USAGE and JOB_FAILING with their severity; NOTIFY
# cognomega_alerts on raise and resolve, delivered at commit; resolved
# alerts past cognomega.alert_retention deleted; job_history, written by
# run_job and by the worker, with the SQLSTATE of a failed run; the
# workers' application_name.
use strict;
use warnings;
use Cwd ();
use File::Path qw(make_path remove_tree);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $node = CognomegaNode::preloaded('monitoring');
$node->safe_psql('postgres', 'CREATE EXTENSION cognomega');

# absolute: the server resolves it from its data directory (on some
# versions the TAP base directory is relative)
my $root = Cwd::abs_path($node->basedir) . '/fakesys';

sub put
{
	my ($path, $text) = @_;
	my $full = "$root$path";
	(my $dir = $full) =~ s{/[^/]*$}{};
	make_path($dir);
	open my $fh, '>', $full or die "$full: $!";
	print $fh $text;
	close $fh;
}

sub fresh_root
{
	remove_tree($root);
	make_path($root);
}

# system_stats() under the fake root, as one line
sub sys
{
	return $node->safe_psql('postgres', qq{
		SET cognomega.debug_sys_root = '$root';
		SELECT concat_ws(' ', coalesce(memory_used::text, '-'), coalesce(memory_total::text, '-'),
		                 coalesce(memory_source, '-'), coalesce(cpu_seconds::text, '-'),
		                 coalesce(cpu_count::text, '-'), coalesce(cpu_source, '-'),
		                 coalesce(load_1m::text, '-'))
		  FROM cognomega.system_stats()});
}

my $meminfo = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n";
my $stat = "cpu  100 0 50 1000 7 0 0 0 0 0\ncpu0 50 0 25 500 3 0 0 0 0 0\ncpu1 50 0 25 500 4 0 0 0 0 0\nintr 1\n";

# --- the readers --------------------------------------------------------------
fresh_root();
is(sys(), '- - - - - - -', 'nothing readable: every figure NULL, no error');

put('/proc/meminfo', $meminfo);
put('/proc/stat', $stat);
put('/proc/loadavg', "0.42 0.30 0.20 1/100 4242\n");
my $hz = `getconf CLK_TCK`;
chomp $hz;
is(sys(), join(' ', 750 * 1024, 1000 * 1024, 'meminfo', 150 / $hz, 2, 'stat', 0.42),
	'no cgroup: /proc/meminfo (total - available) and /proc/stat busy time, 2 CPUs');

# under a cgroup v2 with a memory limit: the limit and the working set
put('/proc/self/cgroup', "0::/system.slice/pg.service\n");
my $cg = '/sys/fs/cgroup/system.slice/pg.service';
put("$cg/memory.max", "4000\n");
put("$cg/memory.current", "3000\n");
put("$cg/memory.stat", "anon 100\nfile 900\ninactive_file 1000\nactive_file 10\n");
put("$cg/cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
put("$cg/cpu.max", "50000 100000\n");
is(sys(), join(' ', 2000, 4000, 'cgroup', 2.5, 1, 'cgroup', 0.42),
	'cgroup v2: memory.max and memory.current less inactive_file, cpu.stat, cpu.max quota');

put("$cg/memory.max", "max\n");
put("$cg/cpu.max", "max 100000\n");
is(sys(), join(' ', 750 * 1024, 1000 * 1024, 'meminfo', 2.5, 2, 'cgroup', 0.42),
	'cgroup without a memory limit: meminfo; without a CPU quota: the CPUs online');

put("$cg/cpu.stat", "usage_usec lots\n");
put('/proc/meminfo', "MemTotal: many kB\nMemAvailable: 1 kB\n");
put('/proc/loadavg', "garbage\n");
is(sys(), join(' ', '-', '-', '-', 150 / $hz, 2, 'stat', '-'),
	'malformed lines: those figures NULL, the rest read on');

put('/proc/self/cgroup', "0::/../../etc\n");
put('/proc/meminfo', $meminfo);
like(sys(), qr/meminfo/, 'a cgroup path with .. is not followed');

# huge and negative numbers: unknown, never a wrapped or negative figure
fresh_root();
put('/proc/meminfo', "MemTotal: 9223372036854775807 kB\nMemAvailable: 1 kB\n");
put('/proc/stat', "cpu  -100 0 50 1000 7 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\n");
put('/proc/loadavg', "0.5");
is(sys(), '- - - - - - 0.5', 'MemTotal too large for bytes, a negative /proc/stat field: NULL');
put('/proc/stat', "cpu  18446744073709551615 18446744073709551615 50 1000 7 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\n");
like(sys(), qr/^- - - \d\.\d+e\+1[5-7] 1 stat 0\.5$/, '/proc/stat fields near 2^64 do not wrap around');
put('/proc/stat', "cpu  99999999999999999999999 0 50 1000 7 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\n");
like(sys(), qr/^- - - - - - 0.5$/, 'a /proc/stat field past 2^64: NULL');
# cgroup: a CPU quota of 2^63-1 per period, a memory.max below memory.current
# (the kernel is reclaiming), files without a newline
put('/proc/stat', $stat);
put('/proc/self/cgroup', "0::/pg");
put('/sys/fs/cgroup/pg/cpu.stat', "usage_usec 1000000");
put('/sys/fs/cgroup/pg/cpu.max', "9223372036854775807 1");
put('/sys/fs/cgroup/pg/memory.max', "1000");
put('/sys/fs/cgroup/pg/memory.current', "5000");
is(sys(), '1000 1000 cgroup 1 2 cgroup 0.5',
	'a huge CPU quota leaves the CPUs online; usage above memory.max counts as the limit');

my ($rc, $out, $err) = $node->psql('postgres',
	"SET ROLE pg_monitor; SET cognomega.debug_sys_root = '/tmp'");
like($err, qr/permission denied to set parameter/, 'debug_sys_root is for superusers');

# --- the stats job records them; stats_rates ---------------------------------
fresh_root();
put('/proc/meminfo', $meminfo);
put('/proc/stat', $stat);
put('/proc/loadavg', "0.42 0.30 0.20 1/100 4242\n");
$node->safe_psql('postgres', qq{
	ALTER SYSTEM SET cognomega.debug_sys_root = '$root';
	SELECT pg_reload_conf()});
$node->poll_query_until('postgres', "SELECT current_setting('cognomega.debug_sys_root') = '$root'");

$node->safe_psql('postgres', q{LISTEN cognomega_alerts; SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT concat_ws(' ', memory_used, memory_total, memory_source, cpu_count, load_1m,
	                 blks_hit IS NOT NULL, blks_read IS NOT NULL, deadlocks,
	                 statements_calls IS NULL, statements_exec_ms IS NULL)
	  FROM cognomega.stats_history ORDER BY recorded_at DESC LIMIT 1}),
	join(' ', 750 * 1024, 1000 * 1024, 'meminfo', 2, 0.42, 't t 0 t t'),
	'stats_history records memory, CPUs, load and the database counters; statements NULL without pg_stat_statements');

# 75 % memory: no alert at 85
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM cognomega.alerts WHERE kind LIKE 'HIGH_%'}),
	'0', 'below the thresholds: no HIGH_ alert');

# --- HIGH_MEMORY_USAGE: raised CRITICAL from 95 %, notified, resolved -------------
put('/proc/meminfo', "MemTotal: 1000 kB\nMemAvailable: 30 kB\n");
# psql prints the notifications this session receives after each statement
my $notes = $node->safe_psql('postgres',
	q{LISTEN cognomega_alerts; SELECT cognomega.run_job('stats') IS NOT NULL; SELECT 1});
like($notes, qr/Asynchronous notification "cognomega_alerts" with payload "(.*"kind" : "HIGH_MEMORY_USAGE".*)" received/,
	'a raise sends NOTIFY cognomega_alerts');
my ($payload) = $notes =~ /payload "(\{[^\n]*"HIGH_MEMORY_USAGE"[^\n]*\})" received/;
like($payload, qr/"severity" : "CRITICAL"/, 'the payload carries the severity');
like($payload, qr/"state" : "raised"/, 'and the state raised');
like($payload, qr/"value" : 97/, 'and the value (97 %)');
like($payload, qr/"threshold" : 85/, 'and the threshold');
like($payload, qr/"id" : \d+/, 'and the alert id');
is($node->safe_psql('postgres', q{
	SELECT concat_ws(' ', kind, subject, round(value), threshold, severity)
	  FROM cognomega.alerts WHERE kind = 'HIGH_MEMORY_USAGE' AND resolved_at IS NULL}),
	'HIGH_MEMORY_USAGE memory 97 85 CRITICAL', 'HIGH_MEMORY_USAGE open, CRITICAL at 97 %');

put('/proc/meminfo', "MemTotal: 1000 kB\nMemAvailable: 100 kB\n");
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT concat_ws(' ', count(*), max(severity), max(round(value)))
	  FROM cognomega.alerts WHERE kind = 'HIGH_MEMORY_USAGE' AND resolved_at IS NULL}),
	'1 WARNING 90', 'the condition persists: one open alert, its severity and value follow');

put('/proc/meminfo', $meminfo);
$notes = $node->safe_psql('postgres',
	q{LISTEN cognomega_alerts; SELECT cognomega.run_job('stats') IS NOT NULL; SELECT 1});
like($notes, qr/"kind" : "HIGH_MEMORY_USAGE".*"state" : "resolved"/, 'a resolve sends NOTIFY too');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM cognomega.alerts WHERE kind = 'HIGH_MEMORY_USAGE' AND resolved_at IS NULL}),
	'0', 'HIGH_MEMORY_USAGE resolved');

# a rolled-back stats run notifies nobody
put('/proc/meminfo', "MemTotal: 1000 kB\nMemAvailable: 30 kB\n");
$notes = $node->safe_psql('postgres', q{
	LISTEN cognomega_alerts;
	BEGIN; SELECT cognomega.run_job('stats') IS NOT NULL; ROLLBACK;
	SELECT 1});
unlike($notes, qr/Asynchronous notification/, 'notifications are sent at commit, not on rollback');
put('/proc/meminfo', $meminfo);

# --- HIGH_CPU_USAGE over the window ----------------------------------------------
# the window is since the previous run: make the CPU counter jump by far
# more than two CPUs can do in any wall-clock window, then stand still
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
put('/proc/stat', "cpu  100000000 0 50 1000 7 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0 0 0 0\n");
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT concat_ws(' ', kind, subject, severity, value >= 95, threshold)
	  FROM cognomega.alerts WHERE kind = 'HIGH_CPU_USAGE' AND resolved_at IS NULL}),
	'HIGH_CPU_USAGE cpu CRITICAL t 90', 'HIGH_CPU_USAGE raised over the window, CRITICAL');
ok($node->safe_psql('postgres', q{
	SELECT cpu_percent >= 95 FROM cognomega.stats_rates ORDER BY recorded_at DESC LIMIT 1}) eq 't',
	'stats_rates shows the window\'s cpu_percent');
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM cognomega.alerts WHERE kind = 'HIGH_CPU_USAGE' AND resolved_at IS NULL}),
	'0', 'the counter stood still: resolved');

# counters going backwards (a reset): no rate, no alert, no error
put('/proc/stat', $stat);
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT coalesce(cpu_percent::text, 'null') FROM cognomega.stats_rates
	 ORDER BY recorded_at DESC LIMIT 1}),
	'null', 'a CPU counter that went backwards gives no rate');
is($node->safe_psql('postgres', q{
	SELECT round(memory_percent) FROM cognomega.stats_rates ORDER BY recorded_at DESC LIMIT 1}),
	'75', 'stats_rates memory_percent');

# --- resolved alerts past their retention go --------------------------------------
$node->safe_psql('postgres', q{
	INSERT INTO cognomega.alerts (raised_at, kind, subject, resolved_at, last_seen)
	VALUES (now() - interval '40 days', 'TEST_OLD', 'old', now() - interval '39 days', now() - interval '39 days'),
	       (now() - interval '2 days', 'TEST_RECENT', 'recent', now() - interval '1 day', now() - interval '1 day');
	SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT string_agg(kind, ',' ORDER BY kind) FROM cognomega.alerts WHERE kind LIKE 'TEST_%'}),
	'TEST_RECENT', 'a resolved alert older than alert_retention (30 days) is deleted, a recent one kept');

# --- job_history from run_job ----------------------------------------------------
is($node->safe_psql('postgres', q{
	SELECT concat_ws(' ', count(*) > 0, bool_and(status = 'ok'), bool_and(database = current_database()),
	                 bool_and(ended_at >= started_at), bool_or(by_worker))
	  FROM cognomega.job_history WHERE job = 'stats'}),
	't t t t f', 'run_job writes one job_history row per run');
is($node->safe_psql('postgres', q{
	SELECT part_interval = interval '1 day' AND retention = interval '30 days'
	  FROM cognomega.part_config WHERE parent = 'cognomega.job_history'::regclass}),
	't', 'job_history is a managed partitioned table with retention 30 days');

# --- JOB_FAILING and a failed run's history ----------------------------------------
# maintenance fails while CREATE TABLE is refused by an event trigger
$node->safe_psql('postgres', q{
	CREATE TABLE ev (at timestamptz NOT NULL) PARTITION BY RANGE (at);
	SELECT cognomega.create_parent('ev', 'at', '1 day', 2);
	CREATE FUNCTION no_tables() RETURNS event_trigger LANGUAGE plpgsql AS
	  $$BEGIN RAISE EXCEPTION 'no new tables today' USING ERRCODE = 'P0042'; END$$;
	CREATE EVENT TRIGGER no_tables ON ddl_command_start WHEN TAG IN ('CREATE TABLE')
	  EXECUTE FUNCTION no_tables();});
my $last = $node->safe_psql('postgres', q{
	SELECT partition FROM cognomega.show_partitions('ev') ORDER BY range_start DESC LIMIT 1});
$node->safe_psql('postgres', "ALTER EVENT TRIGGER no_tables DISABLE; DROP TABLE $last; ALTER EVENT TRIGGER no_tables ENABLE");
for my $i (1 .. 3)
{
	$node->safe_psql('postgres', q{SELECT cognomega.run_job('partition_maintenance')});
}
is($node->safe_psql('postgres', q{
	SELECT concat_ws(' ', status, message ~ 'ev.*no new tables today')
	  FROM cognomega.job_history WHERE job = 'partition_maintenance'
	 ORDER BY started_at DESC LIMIT 1}),
	'error t', 'a failed run is in job_history with its message (a parent\'s failure is a WARNING of run_maintenance: no SQLSTATE)');
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT concat_ws(' ', kind, subject, value, threshold, severity)
	  FROM cognomega.alerts WHERE kind = 'JOB_FAILING' AND resolved_at IS NULL}),
	'JOB_FAILING partition_maintenance 3 3 WARNING', 'three failures in a row: JOB_FAILING');

# a restart forgets the streak (shared memory), not the failing: until a run
# succeeds or the threshold is reached again, the open alert stays
$node->restart;
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
$node->psql('postgres', q{SELECT cognomega.run_job('partition_maintenance')});
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM cognomega.alerts WHERE kind = 'JOB_FAILING' AND resolved_at IS NULL}),
	'1', 'after a restart, a job that has not succeeded since keeps JOB_FAILING open');

$node->safe_psql('postgres', q{DROP EVENT TRIGGER no_tables});
$node->safe_psql('postgres', q{SELECT cognomega.run_job('partition_maintenance')});
$node->safe_psql('postgres', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM cognomega.alerts WHERE kind = 'JOB_FAILING' AND resolved_at IS NULL}),
	'0', 'a successful run resolves JOB_FAILING');

# --- the worker: job_history rows by_worker, application_name ----------------------
$node->append_conf('postgresql.conf', qq{
cognomega.databases = 'postgres'
cognomega.stats_interval = 1
cognomega.cache_sweep_interval = 1
});
$node->reload;
ok($node->poll_query_until('postgres', q{
	SELECT count(DISTINCT job) = 2 FROM cognomega.job_history
	 WHERE by_worker AND job IN ('stats', 'cache_sweep')}),
	'the worker writes job_history rows');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity
	 WHERE backend_type = 'cognomega worker' AND application_name LIKE 'cognomega %'}),
	'the worker sets application_name to the job it runs');

# a failing stats run of the worker: job_history has its SQLSTATE
$node->safe_psql('postgres', q{
	CREATE FUNCTION no_stats() RETURNS trigger LANGUAGE plpgsql AS
	  $$BEGIN RAISE EXCEPTION 'no stats today' USING ERRCODE = 'P0042'; END$$;
	CREATE TRIGGER no_stats BEFORE INSERT ON cognomega.stats_history
	  FOR EACH ROW EXECUTE FUNCTION no_stats();});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM cognomega.job_history
	 WHERE by_worker AND job = 'stats' AND status = 'error' AND sqlstate = 'P0042'
	   AND message ~ 'no stats today'}),
	'a failed worker run is in job_history with its SQLSTATE');
$node->safe_psql('postgres', q{DROP TRIGGER no_stats ON cognomega.stats_history});

done_testing();
