# Named wait events (PostgreSQL 17+): the launcher and a worker that sleep
# between rounds show CognomegaLauncherMain and CognomegaWorkerMain in
# pg_stat_activity (type Extension), and pg_wait_events lists them.  Before
# 17 the same sleeps show the generic wait event Extension.
#
# Every wait is bounded (poll_query_until); no sleep decides pass or fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('wait_events');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = 'postgres'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cognomega');

my $v = $node->safe_psql('postgres', 'SHOW server_version_num');
my ($launcher, $worker) = $v >= 170000
	? ('CognomegaLauncherMain', 'CognomegaWorkerMain')
	: ('Extension', 'Extension');

ok( $node->poll_query_until('postgres', qq{
		SELECT wait_event_type = 'Extension' AND wait_event = '$launcher'
		  FROM pg_stat_activity WHERE backend_type = 'cognomega launcher'}),
	"the sleeping launcher waits on $launcher");
ok( $node->poll_query_until('postgres', qq{
		SELECT wait_event_type = 'Extension' AND wait_event = '$worker'
		  FROM pg_stat_activity WHERE backend_type = 'cognomega worker'}),
	"the sleeping worker waits on $worker");

SKIP:
{
	skip 'pg_wait_events lists custom wait events from PostgreSQL 17 on', 1
	  if $v < 170000;
	is( $node->safe_psql('postgres', q{
			SELECT string_agg(name, ',' ORDER BY name) FROM pg_wait_events
			 WHERE type = 'Extension' AND name LIKE 'Cognomega%'}),
		'CognomegaLauncherMain,CognomegaWorkerMain',
		'pg_wait_events lists the wait events used so far');
}

$node->stop('fast');
done_testing();
