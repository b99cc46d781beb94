# Partition management on a distributed partitioned table (ai_agent_analytics
# after cognomega.distribute()): create ahead, retention and the
# default-partition rescue (run_maintenance and partition_data) work as on
# one node (Citus distributes the new partitions and drops the shards of the
# old).  Maintenance of a Citus parent runs on the coordinator only.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('pm');
$coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.setup();
SELECT count(*) FROM cognomega.distribute(4);
});
my $parts = q{SELECT count(*) FROM cognomega.show_partitions('ai_agent_analytics')};
my $before = $coord->safe_psql('postgres', $parts);

# create ahead: more partitions, each distributed like its parent
$coord->safe_psql('postgres', q{UPDATE cognomega.part_config SET premake = 6 WHERE parent = 'ai_agent_analytics'::regclass});
my $out = $coord->safe_psql('postgres', q{SELECT action, partition FROM cognomega.run_maintenance('ai_agent_analytics')});
note $out;
like($out, qr/^created\|/m, 'premake: partitions created');
ok($coord->safe_psql('postgres', $parts) > $before, 'more partitions');
is($coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.show_partitions('ai_agent_analytics') s
WHERE NOT EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = s.partition)}), '0',
	'every partition is distributed');
$coord->safe_psql('postgres', q{INSERT INTO ai_agent_analytics (agent_id, period, created_at)
	VALUES (gen_random_uuid(), 'day', now() + interval '4 months')});
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics_default}), '0',
	'a row ahead lands in its premade partition');

# retention: an old partition is dropped, with its shards
$coord->safe_psql('postgres', q{
CREATE TABLE ai_agent_analytics_p20200101 PARTITION OF ai_agent_analytics
	FOR VALUES FROM ('2020-01-01') TO ('2020-02-01');
INSERT INTO ai_agent_analytics (agent_id, period, created_at) VALUES (gen_random_uuid(), 'day', '2020-01-05');
UPDATE cognomega.part_config SET retention = '1 year' WHERE parent = 'ai_agent_analytics'::regclass;
});
$out = $coord->safe_psql('postgres', q{SELECT action, partition FROM cognomega.run_maintenance('ai_agent_analytics')});
note $out;
like($out, qr/^dropped\|.*ai_agent_analytics_p20200101/m, 'retention drops the old partition');
is($coord->safe_psql('postgres', q{SELECT to_regclass('ai_agent_analytics_p20200101') IS NULL}), 't', 'gone');
is($workers[0]->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname LIKE 'ai_agent_analytics_p20200101%'}),
	'0', 'its shards are gone from the workers');

# the default-partition rescue: rows in the default of the distributed
# parent are moved into a new partition, or the run fails clearly
$coord->safe_psql('postgres', q{INSERT INTO ai_agent_analytics (agent_id, period, created_at)
	SELECT gen_random_uuid(), 'day', '2031-06-15'::timestamptz + i * interval '1 minute' FROM generate_series(1, 50) i});
is($coord->safe_psql('postgres', q{SELECT rows_in_default FROM cognomega.partition_status WHERE parent = 'ai_agent_analytics'::regclass}),
	'50', '50 rows in the default');
my $mout = $coord->safe_psql('postgres', q{SELECT action, partition FROM cognomega.run_maintenance('ai_agent_analytics')});
note $mout;
like($mout, qr/^moved 50 rows\|ai_agent_analytics_p20310601$/m, 'run_maintenance moves the 50 rows, says so');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics_default}), '0', 'the default is empty');
is($coord->safe_psql('postgres', q{SELECT rows_in_default FROM cognomega.partition_status WHERE parent = 'ai_agent_analytics'::regclass}),
	'0', 'partition_status: 0 in the default');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics_p20310601}), '50', 'the rows are in their partition');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'ai_agent_analytics_p20310601'::regclass}),
	'1', 'the new partition is distributed');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname LIKE '%rescue%'}), '0',
	'no stash table left');
is($workers[1]->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics WHERE created_at >= '2031-06-15'}), '50',
	'a worker reads the 50 rows');

# partition_data: the same, returning the count, in the caller's transaction
$coord->safe_psql('postgres', q{INSERT INTO ai_agent_analytics (agent_id, period, created_at)
	SELECT gen_random_uuid(), 'day', '2032-03-15'::timestamptz + i * interval '1 day' FROM generate_series(1, 30) i});
is($coord->safe_psql('postgres', q{BEGIN; SELECT cognomega.partition_data('ai_agent_analytics'); ROLLBACK;}), '30',
	'partition_data moves 30 rows (then rolled back)');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics_default}), '30', 'rolled back: the rows are in the default');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname LIKE 'ai_agent_analytics_p2032%'}), '0',
	'rolled back: no partition');
is($coord->safe_psql('postgres', q{SELECT cognomega.partition_data('ai_agent_analytics')}), '30', 'partition_data moves 30 rows');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics WHERE created_at >= '2032-03-01'}), '30', 'no row lost');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics_default}), '0', 'the default is empty again');
is($coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.show_partitions('ai_agent_analytics') s
WHERE NOT EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = s.partition)}), '0',
	'every partition is distributed');
my ($prc, $pout, $perr) = $workers[0]->psql('postgres', "\\set VERBOSITY verbose\nSELECT cognomega.partition_data('ai_agent_analytics')");
like($perr, qr/ERROR:  42704: table "ai_agent_analytics" is not managed by cognomega/,
	'partition_data on a worker: not managed there (42704)');

# on a worker, a Citus parent is not maintained (its DDL runs through the
# coordinator): skipped with the reason, whatever registered it there
my ($crc, $cout, $cerr) = $workers[0]->psql('postgres',
	q{SELECT cognomega.create_parent('ai_agent_analytics', 'created_at', '1 month')});
note "create_parent on a worker: rc=$crc $cout $cerr";
if ($workers[0]->safe_psql('postgres', q{SELECT count(*) FROM cognomega.part_config WHERE parent = 'ai_agent_analytics'::regclass}) eq '1')
{
	my ($wrc, $wout, $werr) = $workers[0]->psql('postgres', q{SELECT * FROM cognomega.run_maintenance('ai_agent_analytics')});
	like($werr, qr/skipped: "?ai_agent_analytics"? is a Citus table and this node is not the Citus coordinator/,
		'worker: the Citus parent is skipped, with the reason');
	my ($drc, $dout, $derr) = $workers[0]->psql('postgres', "\\set VERBOSITY verbose\nSELECT cognomega.partition_data('ai_agent_analytics')");
	like($derr, qr/ERROR:  55000: "?ai_agent_analytics"? is a Citus table and this node is not the Citus coordinator/,
		'worker: partition_data refuses (55000)');
}
else
{
	pass('worker: create_parent refused, nothing to maintain there');
}

done_testing();
