# pg_dump round trip of the workers' tables: stats_history (an extension
# member partitioned by the stats job) and alerts come back with their rows,
# the restore runs without a single error, and the jobs go on in the copy.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $node = CognomegaNode::preloaded('dump');
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->safe_psql('src', q{
	CREATE EXTENSION cognomega;
	SELECT cognomega.run_job('stats');
	SELECT cognomega.run_job('stats');
	CREATE TABLE t (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('t', 'ts', '1 day');
	INSERT INTO t VALUES (now() - interval '1 year');
	SELECT cognomega.run_job('stats');
});

my $dump = "${PostgreSQL::Test::Utils::tmp_check}/src.sql";
$node->command_ok(['pg_dump', '-d', $node->connstr('src'), '-f', $dump], 'pg_dump');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction',
	  '-d', $node->connstr('dst'), '-f', $dump ],
	'the dump restores without an error');

my $q = q{SELECT (SELECT count(*) FROM cognomega.stats_history),
				 (SELECT count(*) FROM cognomega.job_history),
				 (SELECT count(*) FROM cognomega.alerts WHERE resolved_at IS NULL
						 AND kind = 'ROWS_IN_DEFAULT_PARTITION' AND subject = 'public.t'),
				 (SELECT retention FROM cognomega.part_config WHERE parent = 't'::regclass)};
is($node->safe_psql('dst', $q), $node->safe_psql('src', $q),
	'stats_history, job_history, alerts and part_config come back');

$node->safe_psql('dst', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('dst', q{
		SELECT string_agg(parent::text || ' ' || retention, ', ' ORDER BY parent::text)
		  FROM cognomega.part_config WHERE parent::text LIKE 'cognomega.%'}),
	'cognomega.job_history 720:00:00, cognomega.stats_history 720:00:00',
	'the history tables are registered again by the first run in the copy');
is($node->safe_psql('dst', q{
		SELECT count(*), count(*) FILTER (WHERE resolved_at IS NULL)
		  FROM cognomega.alerts WHERE kind = 'ROWS_IN_DEFAULT_PARTITION'}),
	'1|1', 'the copy keeps one open alert per condition');
is($node->safe_psql('dst', q{SELECT count(*) FROM cognomega.stats_history}),
	'4', 'the stats job writes on in the copy');

# a restore that is not one transaction, with a worker's run in the middle
# (the database in cognomega.databases): the run registers the history
# tables and writes a row in each; the dump's part_config rows and history
# rows must still restore without an error, and all come back
$node->safe_psql('postgres', 'CREATE DATABASE dst2');
my $fc = "${PostgreSQL::Test::Utils::tmp_check}/src.dump";
$node->command_ok(['pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $fc], 'pg_dump -Fc');
$node->command_ok(['pg_restore', '--exit-on-error', '--section=pre-data',
		'-d', $node->connstr('dst2'), $fc], 'pg_restore: pre-data');
$node->safe_psql('dst2', q{SELECT cognomega.run_job('stats')});
$node->command_ok(['pg_restore', '--exit-on-error', '--section=data', '--section=post-data',
		'-d', $node->connstr('dst2'), $fc],
	'pg_restore: data and post-data after a job ran in between');
my $whole = q{SELECT (SELECT count(*) FROM cognomega.stats_history),
					 (SELECT count(*) FROM cognomega.job_history),
					 (SELECT count(*) FROM cognomega.part_config)};
my ($sh, $jh, $pc) = split /\|/, $node->safe_psql('src', $whole);
is($node->safe_psql('dst2', $whole), join('|', $sh + 1, $jh + 1, $pc),
	'the restore comes back whole, with the run in between');

$node->stop;
done_testing();
