# A restore into a database the worker serves comes back whole (issue 22):
# while pg_restore is connected the worker neither registers stats_history
# (whose part_config row the restore's COPY would conflict with) nor
# maintains a parent (whose indexes post-data has not built yet); a
# registration made before the restore does not make its COPY fail; a
# configuration row never comes back naming another table; every way a
# managed parent is dropped forgets it, also in replica mode.
#
# The restore is held in its data section by an advisory lock the test
# holds (a CHECK constraint waits for it) until the worker has had a run in
# the target: no timing decides pass or fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('restore');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = 'postgres, dst'
cognomega.stats_interval = 1
cognomega.maintenance_interval = 1
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cognomega');
$node->safe_psql('postgres', 'CREATE DATABASE src');

# the source: a managed parent with retention, stats_history registered,
# and a gate table whose data the restore loads before cognomega's
$node->safe_psql('src', q{
	CREATE EXTENSION cognomega;
	SELECT cognomega.run_job('stats');
	CREATE TABLE t (id int, ts timestamptz NOT NULL, PRIMARY KEY (id, ts))
		PARTITION BY RANGE (ts);
	CREATE INDEX t_ts ON t (ts);
	SELECT cognomega.create_parent('t', 'ts', '1 day', retention => '30 days');
	INSERT INTO t VALUES (1, now());
	CREATE SCHEMA a_gate;
	CREATE FUNCTION a_gate.wait() RETURNS bool LANGUAGE sql
		AS 'SELECT pg_catalog.pg_advisory_lock_shared(4242) IS NOT NULL';
	CREATE TABLE a_gate.gate (x int CHECK (a_gate.wait()));
	INSERT INTO a_gate.gate VALUES (1);
});
my $dump = "${PostgreSQL::Test::Utils::tmp_check}/src.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump ], 'pg_dump');

# the application's parents (the extension's own history tables are not
# dumped: the first job run after a restore registers them again)
my $config = q{SELECT string_agg(format('%s %s %s %s', parent, part_interval, premake,
					retention), ', ' ORDER BY parent::text) FROM cognomega.part_config
				WHERE parent::text NOT LIKE 'cognomega.%'};
my $src_config = $node->safe_psql('src', $config);

# restore into dst ($db), held at the gate until the worker ran there
sub held_restore
{
	my ($db, @args) = @_;
	my ($in, $out) = ('', '');
	my $holder = IPC::Run::start(
		[ 'psql', '-X', '-q', '-d', $node->connstr($db), '-f', '-' ],
		'<', \$in, '>', \$out, '2>', \$out);
	$in .= "SELECT pg_advisory_lock(4242);\n\\echo held\n";
	$holder->pump until $out =~ /held/;

	# pg_restore's own application_name, as outside the test harness
	delete local $ENV{PGAPPNAME};
	my ($rout, $rerr) = ('', '');
	my $restore = IPC::Run::start(
		[ 'pg_restore', @args, '-d', $node->connstr($db), $dump ],
		'>', \$rout, '2>', \$rerr);
	$node->poll_query_until($db, q{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE application_name = 'pg_restore' AND wait_event = 'advisory'})
	  or die "the restore does not wait at the gate: $rerr";

	# two more runs of each job in the target while the restore waits
	my $runs = $node->safe_psql('postgres', qq{
		SELECT coalesce(min(runs), 0) FROM cognomega.job_status
		 WHERE database = '$db' AND job IN ('stats', 'partition_maintenance')});
	$node->poll_query_until('postgres', qq{
		SELECT count(*) = 2 FROM cognomega.job_status
		 WHERE database = '$db' AND job IN ('stats', 'partition_maintenance')
		   AND runs >= $runs + 2})
	  or die 'the worker does not run in the target';

	my $during = $node->safe_psql('postgres', qq{
		SELECT string_agg(job || ': ' || last_result, ', ' ORDER BY job)
		  FROM cognomega.job_status
		 WHERE database = '$db' AND job IN ('stats', 'partition_maintenance')});

	$in .= "SELECT pg_advisory_unlock(4242);\n\\q\n";
	$holder->finish;
	$restore->finish;
	return ($? >> 8, $rerr, $during);
}

# --- 1. the worker runs in dst while the restore loads its data -----------
$node->safe_psql('postgres', 'CREATE DATABASE dst');
my ($rc, $err, $during) = held_restore('dst');
is($during, 'partition_maintenance: skipped: restore in progress, stats: skipped: restore in progress',
	'the jobs skip a database pg_restore is connected to');
is($rc, 0, 'pg_restore into a database the worker serves succeeds') or diag($err);
is($node->safe_psql('dst', $config), $src_config,
	'every parent comes back managed, with its settings');
is($node->safe_psql('dst', q{
		SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		 WHERE NOT i.indisvalid AND c.relname LIKE 't%'}),
	'0', 'no index of the restored parent is left invalid');
$node->poll_query_until('postgres', q{
	SELECT last_status = 'ok' FROM cognomega.job_status
	 WHERE database = 'dst' AND job = 'stats'})
  or die 'the stats job does not run after the restore';

# --- 2. registered before the restore: the dumped rows win ----------------
$node->safe_psql('postgres', 'CREATE DATABASE dst2');
$node->safe_psql('dst2', q{
	CREATE EXTENSION cognomega;
	CREATE TABLE t (id int, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('t', 'ts', '7 days', premake => 2);
	CREATE TABLE other (id int, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('other', 'ts', '1 day');
	SELECT cognomega.run_job('stats');
});
my ($out2, $err2) = ('', '');
IPC::Run::run([ 'pg_restore', '--data-only', '-t', 'part_config', '-n', 'cognomega',
				'-d', $node->connstr('dst2'), $dump ], '>', \$out2, '2>', \$err2);
is($? >> 8, 0, "a data-only restore of part_config over a registered stats_history succeeds")
  or diag($err2);
is($node->safe_psql('dst2', $config), 'other 1 day 4 , t 1 day 4 30 days',
	'the dumped rows replaced those registered first');

# --- 3. a dropped parent is forgotten on every path, and never dumped ------
$node->safe_psql('src', q{
	CREATE TYPE ty AS (id int, ts timestamptz);
	CREATE TABLE typed OF ty PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('typed', 'ts', '1 day');
	DROP TYPE ty CASCADE;
	CREATE TABLE repl (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('repl', 'ts', '1 day');
	SET session_replication_role = replica;
	DROP TABLE repl;
});
is($node->safe_psql('src', $config), $src_config,
	'DROP TYPE CASCADE and DROP TABLE in replica mode forget the parent');

$node->safe_psql('src', q{
	CREATE TABLE gone (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('gone', 'ts', '1 day', retention => '2 days');
	ALTER EVENT TRIGGER cognomega_forget_dropped_parents DISABLE;
	DROP TABLE gone;
	ALTER EVENT TRIGGER cognomega_forget_dropped_parents ENABLE ALWAYS;
});
my $plain = "${PostgreSQL::Test::Utils::tmp_check}/src.sql";
$node->command_ok([ 'pg_dump', '-d', $node->connstr('src'), '-f', $plain ], 'plain pg_dump');
my $text = slurp_file($plain);
my ($rows) = $text =~ /^COPY cognomega\.part_config .*?\n(.*?)^\\\.$/ms;
unlike($rows, qr/^\d+\t/m, 'no part_config row is dumped with a bare OID');
is(scalar(() = $rows =~ /\n/g), 1, 'the rows of existing parents are dumped (not the history tables\' own)');

$node->stop;
done_testing();
