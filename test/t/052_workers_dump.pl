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
				 (SELECT count(*) FROM cognomega.alerts WHERE resolved_at IS NULL
						 AND kind = 'ROWS_IN_DEFAULT_PARTITION' AND subject = 'public.t'),
				 (SELECT retention FROM cognomega.part_config
				   WHERE parent = 'cognomega.stats_history'::regclass)};
is($node->safe_psql('dst', $q), $node->safe_psql('src', $q),
	'stats_history, alerts and its registration come back');

$node->safe_psql('dst', q{SELECT cognomega.run_job('stats')});
is($node->safe_psql('dst', q{
		SELECT count(*), count(*) FILTER (WHERE resolved_at IS NULL)
		  FROM cognomega.alerts WHERE kind = 'ROWS_IN_DEFAULT_PARTITION'}),
	'1|1', 'the copy keeps one open alert per condition');
is($node->safe_psql('dst', q{SELECT count(*) FROM cognomega.stats_history}),
	'4', 'the stats job writes on in the copy');

$node->stop;
done_testing();
