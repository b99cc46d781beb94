# Partition management on a distributed partitioned table (ai_agent_analytics
# after cognomega.distribute()): create ahead and retention work as on one
# node (Citus distributes the new partitions and drops the shards of the
# old); the default-partition rescue refuses clearly (WARNING, last_error,
# 0A000 from partition_data) and the by-hand move is tested.  Maintenance
# of a Citus parent runs on the coordinator only.
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
my ($rc, $mout, $merr) = $coord->psql('postgres', q{SELECT action, partition FROM cognomega.run_maintenance('ai_agent_analytics')});
note "rc=$rc out=$mout err=$merr";
my $left = $coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics_default});
# the rows are in the default's shards: maintenance sees them (it used to
# probe the coordinator's empty local table and report nothing) and
# refuses to move them, clearly
like($merr, qr/WARNING:  partition maintenance of ai_agent_analytics: rows not moved out of the default partition: table "ai_agent_analytics" is distributed by Citus/,
	'the rescue says why the rows stay (WARNING)');
is($left, '50', 'the rows stay in the default');
like($coord->safe_psql('postgres', q{SELECT last_error FROM cognomega.part_config WHERE parent = 'ai_agent_analytics'::regclass}),
	qr/distributed by Citus/, 'last_error says why');
my ($prc, $pout, $perr) = $coord->psql('postgres', "\\set VERBOSITY verbose\nSELECT cognomega.partition_data('ai_agent_analytics')");
like($perr, qr/ERROR:  0A000: rows not moved out of the default partition: table "ai_agent_analytics" is distributed by Citus/,
	'partition_data: 0A000, not 0 rows');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics WHERE created_at >= '2031-06-15'}), '50',
	'no row lost');

# the documented workaround (docs/scale-out.md): move them by hand
$coord->safe_psql('postgres', q{
BEGIN;
SET LOCAL citus.multi_shard_modify_mode = 'sequential';
CREATE TEMP TABLE rescue AS SELECT * FROM ai_agent_analytics_default
	WHERE created_at >= '2031-06-01' AND created_at < '2031-07-01';
DELETE FROM ai_agent_analytics_default WHERE created_at >= '2031-06-01' AND created_at < '2031-07-01';
CREATE TABLE ai_agent_analytics_p20310601 PARTITION OF ai_agent_analytics
	FOR VALUES FROM ('2031-06-01') TO ('2031-07-01');
INSERT INTO ai_agent_analytics SELECT * FROM rescue;
COMMIT;
});
is($coord->safe_psql('postgres', q{SELECT rows_in_default FROM cognomega.partition_status WHERE parent = 'ai_agent_analytics'::regclass}),
	'0', 'by hand: the default is empty');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics_p20310601}), '50',
	'by hand: the rows are in their partition');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'ai_agent_analytics_p20310601'::regclass}),
	'1', 'by hand: the new partition is distributed');


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
}
else
{
	pass('worker: create_parent refused, nothing to maintain there');
}

done_testing();
