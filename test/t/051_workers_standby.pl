# On a hot standby the workers run but no job writes: stats and
# partition_maintenance are skipped (last_status 'skipped'), cache_sweep runs;
# run_job of a writing job says so instead of failing.  After promotion the
# jobs write, partition maintenance within seconds even with an hour between
# its runs (issue 22).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = 'postgres'
cognomega.cache_sweep_interval = 1
cognomega.stats_interval = 1
cognomega.maintenance_interval = 1
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION cognomega');
ok($primary->poll_query_until('postgres',
		q{SELECT count(*) >= 2 FROM cognomega.stats_history}),
	'the primary records statistics');

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
# an hour between maintenance runs: after promotion it must not wait that long
$standby->append_conf('postgresql.conf', "cognomega.maintenance_interval = 3600\n");
$standby->start;

ok($standby->poll_query_until('postgres',
		q{SELECT count(*) = 2 FROM cognomega.job_status
		   WHERE job IN ('stats', 'partition_maintenance')
			 AND last_status = 'skipped' AND runs >= 2}),
	'on the standby the writing jobs are skipped');
ok($standby->poll_query_until('postgres',
		q{SELECT last_status = 'ok' AND runs >= 2 FROM cognomega.job_status WHERE job = 'cache_sweep'}),
	'cache_sweep runs on the standby');
is($standby->safe_psql('postgres', q{SELECT cognomega.run_job('stats')}),
	'stats: skipped: recovery', 'run_job on a standby does not write');
is($standby->safe_psql('postgres',
		q{SELECT count(*) FROM cognomega.job_status WHERE last_error IS NOT NULL}),
	'0', 'no job failed on the standby');
is($standby->safe_psql('postgres',
		q{SELECT next_run <= last_start + interval '1 minute' FROM cognomega.job_status
		   WHERE job = 'partition_maintenance'}),
	't', 'a run skipped in recovery is retried soon, not an interval later');

$primary->stop;
$standby->promote;
my $n = $standby->safe_psql('postgres', 'SELECT count(*) FROM cognomega.stats_history');
ok($standby->poll_query_until('postgres',
		"SELECT count(*) > $n FROM cognomega.stats_history"),
	'after promotion the stats job writes');
ok($standby->poll_query_until('postgres',
		q{SELECT last_status = 'ok' FROM cognomega.job_status
		   WHERE job = 'partition_maintenance'}),
	'after promotion partition maintenance runs soon, not an interval later');

$standby->stop;
done_testing();
