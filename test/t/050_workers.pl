# Background workers: the launcher starts a worker per listed database, the
# jobs run and job_status shows them, stats_history grows, SIGHUP changes an
# interval, killed workers (and the launcher) come back, also after a
# crash-restart, a failing job does not stop the others and its error is
# visible, alerts open once and resolve, a database that is missing or lacks
# the extension is LOGged once, and shutdown is clean.
#
# Every wait is bounded (poll_query_until); no sleep decides pass or fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('workers');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = 'postgres, nodb, noext'
cognomega.cache_sweep_interval = 1
cognomega.stats_interval = 1
cognomega.maintenance_interval = 1
max_worker_processes = 16
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cognomega');
$node->safe_psql('postgres', 'CREATE DATABASE noext');

# a job's column in job_status for database postgres
sub job
{
	my ($job, $col) = @_;
	return $node->safe_psql('postgres',
		"SELECT $col FROM cognomega.job_status WHERE database = 'postgres' AND job = '$job'");
}

sub wait_for
{
	my ($query, $what) = @_;
	ok($node->poll_query_until('postgres', $query), $what);
}

# --- the jobs run and job_status shows them ---------------------------------
wait_for(q{SELECT count(*) = 3 FROM cognomega.job_status
			WHERE database = 'postgres' AND runs >= 2 AND last_status = 'ok'
			  AND next_run IS NOT NULL AND worker_pid IS NOT NULL},
	'all three jobs ran in postgres and are scheduled');

is( $node->safe_psql('postgres',
		q{SELECT string_agg(backend_type, ',' ORDER BY backend_type)
			FROM pg_stat_activity WHERE backend_type LIKE 'cognomega%'}),
	'cognomega launcher,cognomega worker',
	'pg_stat_activity shows the launcher and one worker');

my $n0 = $node->safe_psql('postgres', 'SELECT count(*) FROM cognomega.stats_history');
wait_for("SELECT count(*) >= $n0 + 3 FROM cognomega.stats_history", 'stats_history grows');
is($node->safe_psql('postgres',
		q{SELECT retention = interval '30 days' FROM cognomega.part_config
		   WHERE parent = 'cognomega.stats_history'::regclass}),
	't', 'stats_history is a managed table with 30 days retention');

# --- a database missing or without the extension: one LOG line each --------
my $runs = job('stats', 'runs');
# the launcher retries every 10 s; wait until it has had the chance twice
wait_for("SELECT runs >= $runs + 25 FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'",
	'jobs keep running while other databases are unusable');
my $log = slurp_file($node->logfile);
my @missing = ($log =~ /database "nodb" listed in cognomega.databases does not exist/g);
my @noext = ($log =~ /extension "cognomega" is not installed in database "noext"/g);
is(scalar @missing, 1, 'a missing database is LOGged once');
is(scalar @noext, 1, 'a database without the extension is LOGged once');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM cognomega.job_status WHERE database <> 'postgres'}),
	'0', 'no jobs in the unusable databases');

# ... and once the extension is there, it gets its worker
$node->safe_psql('noext', 'CREATE EXTENSION cognomega');
wait_for(q{SELECT count(*) = 3 FROM cognomega.job_status
			WHERE database = 'noext' AND runs >= 1},
	'the database gets its jobs once the extension is created');

# --- SIGHUP changes an interval ---------------------------------------------
$node->safe_psql('postgres', q{ALTER SYSTEM SET cognomega.stats_interval = '1h'; SELECT pg_reload_conf()});
wait_for(q{SELECT next_run > now() + interval '50 minutes' FROM cognomega.job_status
			WHERE database = 'postgres' AND job = 'stats'},
	'SIGHUP: a longer stats interval is obeyed');
$runs = job('stats', 'runs');
my $sweeps = job('cache_sweep', 'runs');
wait_for("SELECT runs >= $sweeps + 3 FROM cognomega.job_status WHERE database = 'postgres' AND job = 'cache_sweep'",
	'the other jobs keep their interval');
is(job('stats', 'runs'), $runs, 'stats did not run meanwhile');
$node->safe_psql('postgres', q{ALTER SYSTEM SET cognomega.stats_interval = 1; SELECT pg_reload_conf()});
wait_for("SELECT runs >= $runs + 2 FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'",
	'SIGHUP: a shorter stats interval is obeyed');

# --- a failing job does not stop the others ---------------------------------
$node->safe_psql('postgres', q{
	CREATE TABLE doomed (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('doomed', 'ts', '1 day');
	CREATE TABLE kept (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('kept', 'ts', '1 day');
});
my $doomed = $node->safe_psql('postgres', q{SELECT 'doomed'::regclass::oid});
# behind our back: without the event trigger that forgets dropped parents
$node->safe_psql('postgres', q{
	ALTER EVENT TRIGGER cognomega_forget_dropped_parents DISABLE;
	DROP TABLE doomed;
	ALTER EVENT TRIGGER cognomega_forget_dropped_parents ENABLE ALWAYS;
});
wait_for(q{SELECT last_status = 'error' AND last_error LIKE '%does not exist%'
			 FROM cognomega.job_status WHERE database = 'postgres' AND job = 'partition_maintenance'},
	'a parent dropped behind our back: its error is in job_status');
$runs = job('stats', 'runs');
wait_for("SELECT runs >= $runs + 2 AND last_status = 'ok' FROM cognomega.job_status
		   WHERE database = 'postgres' AND job = 'stats'",
	'the stats job keeps running');
ok($node->safe_psql('postgres',
		q{SELECT last_maintenance > now() - interval '1 minute' FROM cognomega.part_config
		   WHERE parent = 'kept'::regclass}) eq 't',
	'the other parents are still maintained');
$node->safe_psql('postgres', "SELECT cognomega.undo_parent($doomed)");
wait_for(q{SELECT last_status = 'ok' FROM cognomega.job_status
			WHERE database = 'postgres' AND job = 'partition_maintenance'},
	'the job recovers once the cause is gone');

# --- alerts open once and resolve -------------------------------------------
# kept's own interval keeps the maintenance job from rescuing the row meanwhile
$node->safe_psql('postgres', q{
	UPDATE cognomega.part_config SET maintenance_interval = '1 day', last_maintenance = now()
	 WHERE parent = 'kept'::regclass;
	INSERT INTO kept VALUES (now() - interval '1 year')});
wait_for(q{SELECT count(*) = 1 FROM cognomega.alerts
			WHERE kind = 'ROWS_IN_DEFAULT_PARTITION' AND subject = 'public.kept' AND resolved_at IS NULL},
	'ROWS_IN_DEFAULT_PARTITION is raised');
$runs = job('stats', 'runs');
wait_for("SELECT runs >= $runs + 3 FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'",
	'stats runs on');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM cognomega.alerts WHERE kind = 'ROWS_IN_DEFAULT_PARTITION' AND subject = 'public.kept'}),
	'1', 'a persisting condition keeps exactly one alert');
$node->safe_psql('postgres', q{DELETE FROM kept});
wait_for(q{SELECT resolved_at IS NOT NULL FROM cognomega.alerts
			WHERE kind = 'ROWS_IN_DEFAULT_PARTITION' AND subject = 'public.kept'},
	'the alert is resolved when the condition clears');

# --- a parent nearly due is maintained by the run that finds it ------------
# last_maintenance is stamped a little after its run started, so one
# interval later the next run finds it a few ms short of due; it must not
# wait a whole interval more (maintenance would run every other interval,
# MISSING_FUTURE_PARTITIONS would call it overdue).  Due within a tenth of
# its interval counts as due: kept, maintained 55 minutes ago and due
# hourly, is maintained now, not in 5 minutes.
$node->safe_psql('postgres', q{
	UPDATE cognomega.part_config
	   SET maintenance_interval = '1 hour', last_maintenance = now() - interval '55 minutes'
	 WHERE parent = 'kept'::regclass});
wait_for(q{SELECT last_maintenance > now() - interval '1 minute' FROM cognomega.part_config
			WHERE parent = 'kept'::regclass},
	'a parent within a tenth of its interval of being due is maintained');

# --- a parent failing every run is retried once per interval, not in a loop -
# retention of blk is blocked for good (a foreign key references its oldest
# partition); blk has its own interval of an hour.  Each run stamps
# last_maintenance, failed or not, so the job's "due again" hint is an hour
# away; before, the hint stayed in the past and the worker ran the job in a
# tight loop.  The stats job (every second) is the clock: over three of its
# runs the maintenance job may run a few times, not hundreds.
$node->safe_psql('postgres', q{
	CREATE TABLE blk (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('blk', 'ts', '1 day', 2, now() - interval '10 days',
	                               retention => '3 days');
	DO $$
	DECLARE old regclass := (SELECT partition FROM cognomega.show_partitions('blk')
	                          ORDER BY range_start LIMIT 1);
	BEGIN
	  EXECUTE format('CREATE UNIQUE INDEX ON %s (ts)', old);
	  EXECUTE format('CREATE TABLE blk_ref (ts timestamptz REFERENCES %s (ts))', old);
	END $$;
	UPDATE cognomega.part_config
	   SET maintenance_interval = '1 hour', last_maintenance = now() - interval '2 hours'
	 WHERE parent = 'blk'::regclass});
wait_for(q{SELECT last_error LIKE 'retention: %'
			 FROM cognomega.part_config WHERE parent = 'blk'::regclass},
	'a blocked retention is recorded');
is($node->safe_psql('postgres', q{SELECT last_maintenance > now() - interval '1 minute'
		FROM cognomega.part_config WHERE parent = 'blk'::regclass}),
	't', 'the failed run stamped last_maintenance');
my $pm_runs = job('partition_maintenance', 'runs');
$runs = job('stats', 'runs');
wait_for("SELECT runs >= $runs + 3 FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'",
	'stats runs on');
my $pm_more = job('partition_maintenance', 'runs') - $pm_runs;
my $stats_more = job('stats', 'runs') - $runs;
ok($pm_more <= $stats_more + 2,
	"the maintenance job is not looping ($pm_more runs while stats ran $stats_more times)");
$node->safe_psql('postgres', q{
	SELECT cognomega.undo_parent('blk');
	DROP TABLE blk_ref, blk});

# --- killed workers come back -----------------------------------------------
my $pid = job('stats', 'worker_pid');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
wait_for("SELECT worker_pid IS NOT NULL AND worker_pid <> $pid FROM cognomega.job_status
		   WHERE database = 'postgres' AND job = 'stats'",
	'a terminated worker is restarted');

my $launcher = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cognomega launcher'});
$pid = job('stats', 'worker_pid');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($launcher)");
wait_for("SELECT count(*) = 1 FROM pg_stat_activity
		   WHERE backend_type = 'cognomega launcher' AND pid <> $launcher",
	'a terminated launcher is restarted');
wait_for(q{SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'cognomega worker'},
	'after a launcher restart there is one worker per database');

$pid = job('stats', 'worker_pid');
kill 'KILL', $pid;
wait_for("SELECT worker_pid IS NOT NULL AND worker_pid <> $pid FROM cognomega.job_status
		   WHERE database = 'postgres' AND job = 'stats' AND runs >= 1",
	'after SIGKILL and the crash-restart the workers return');
wait_for(q{SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'cognomega worker'},
	'one worker per database after the crash-restart');

my $logpos = -s $node->logfile;

# --- removing a database from the list stops its worker ---------------------
# (listed twice, once in capitals: names fold like identifiers, one worker)
$node->safe_psql('postgres', q{ALTER SYSTEM SET cognomega.databases = 'postgres, Postgres'; SELECT pg_reload_conf()});
wait_for(q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'cognomega worker'},
	'SIGHUP: a database removed from the list loses its worker');

# --- worker_role: a role that cannot log in stops the jobs (LOGged once) ---
$node->safe_psql('postgres', q{ALTER SYSTEM SET cognomega.worker_role = 'wk_nosuch'; SELECT pg_reload_conf()});
wait_for(q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'cognomega worker'},
	'SIGHUP: a changed worker_role restarts the workers; an unusable one stops them');
$node->safe_psql('postgres', q{CREATE ROLE wk_runner LOGIN SUPERUSER;
	ALTER SYSTEM SET cognomega.worker_role = 'wk_runner'; SELECT pg_reload_conf()});
wait_for(q{SELECT count(*) = 1 FROM pg_stat_activity
			WHERE backend_type = 'cognomega worker' AND usename = 'wk_runner'},
	'the workers run as cognomega.worker_role');
$log = substr(slurp_file($node->logfile), $logpos);
my @badrole = ($log =~ /cognomega.worker_role "wk_nosuch" does not exist or cannot log in/g);
is(scalar @badrole, 1, 'an unusable worker_role is LOGged once');

# --- clean shutdown ---------------------------------------------------------
my $t0 = time();
$node->stop('fast');
my $elapsed = time() - $t0;
ok($elapsed < 30, "fast shutdown completes promptly (${elapsed}s)");
$log = substr(slurp_file($node->logfile), $logpos);
unlike($log, qr/cognomega.*(terminated by signal|PANIC)/, 'no worker crashed on the way');

done_testing();
