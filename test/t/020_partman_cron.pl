# Partition maintenance scheduled by the real pg_cron: the job
# CALL cognomega.run_maintenance_proc() creates the partitions that are
# missing.  Polls with a bounded wait; never a fixed sleep.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('partman_cron');
$node->init;
my $host = $node->host;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega,pg_cron'
cognomega.databases = ''
cron.database_name = 'postgres'
cron.host = '$host'
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION cognomega;
	CREATE EXTENSION pg_cron;
	CREATE TABLE metrics (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
	CREATE TABLE other (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('metrics', 'ts', '1 day', 1);
	SELECT cognomega.create_parent('other', 'ts', '1 hour', 1);
	-- ask for more ahead, and leave a row in the default partition
	UPDATE cognomega.part_config SET premake = 5;
	INSERT INTO metrics VALUES ('2001-02-03 04:05+00', 1);
});
is($node->safe_psql('postgres',
	"SELECT count(*) FROM cognomega.show_partitions('metrics')"), '2',
	'two partitions before the job');

# pg_cron 1.4 may or may not take the seconds syntax; fall back to every minute
my ($rc, $out, $err) = $node->psql('postgres',
	"SELECT cron.schedule('partman', '1 seconds', 'CALL cognomega.run_maintenance_proc()')");
my $schedule = '1 seconds';
if ($rc != 0)
{
	$schedule = '* * * * *';
	$node->safe_psql('postgres',
		"SELECT cron.schedule('partman', '* * * * *', 'CALL cognomega.run_maintenance_proc()')");
}
note "scheduled with '$schedule'";

# bounded wait: up to 150 s for a minute schedule, 30 s for seconds
my $limit = $schedule eq '1 seconds' ? 30 : 150;
my $done = 0;
for (my $i = 0; $i < $limit * 10; $i++)
{
	my $n = $node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM cognomega.show_partitions('metrics') WHERE range_start > now()) >= 5
		   AND (SELECT count(*) FROM ONLY metrics_default) = 0
		   AND (SELECT count(*) FROM cognomega.show_partitions('other') WHERE range_start > now()) >= 5});
	if ($n eq 't') { $done = 1; last; }
	usleep(100_000);
}
ok($done, 'the pg_cron job created the partitions and emptied the default');

is($node->safe_psql('postgres',
	"SELECT tableoid::regclass FROM metrics WHERE v = 1"), 'metrics_p20010203',
	'the row from the default partition is in its own partition');
like($node->safe_psql('postgres',
	"SELECT status FROM cron.job_run_details ORDER BY runid DESC LIMIT 1"),
	qr/succeeded|running/, 'pg_cron recorded the run');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM cognomega.part_config WHERE last_error IS NOT NULL"), '0',
	'no parent failed');

$node->safe_psql('postgres', "SELECT cron.unschedule('partman')");
$node->stop;
done_testing();
