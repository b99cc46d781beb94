# rv17 (adversarial review, issue 17): agent_analytics over the distributed
# partitioned ai_agent_analytics: the holder's cached answer equals the
# non-holder's (uncached) one after writes through a worker, to a partition
# by name, after maintenance and a DETACH propagated by Citus.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17a');
my $g = '10000000-0000-0000-0000-000000000007';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO ai_agent_analytics (agent_id, period, total_interactions, success_rate, created_at)
	SELECT '$g', 'day', i, 0.5, now() - i * interval '1 hour' FROM generate_series(1, 3) i;
SELECT count(*) FROM cognomega.distribute(4);
});
my $shard = $coord->safe_psql('postgres', qq{SELECT get_shard_id_for_distribution_column('ai_agent_analytics', '$g'::uuid)});
my $holder_port = $coord->safe_psql('postgres', qq{
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE p.shardid = $shard});
my ($a) = grep { $_->port == $holder_port } @workers;
my ($b) = grep { $_->port != $holder_port } @workers;
my $doc = sub { $_[0]->safe_psql('postgres', qq{BEGIN; SELECT cognomega.agent_analytics('$g', 'day')::text; COMMIT;}) };
my $hits = sub { $_[0]->safe_psql('postgres', q{SELECT hits FROM cognomega.cache_stats}) };

$doc->($a); $doc->($a);
ok($hits->($a) >= 1, 'A caches agent_analytics');
my $part;
for my $l (split /\n/, $coord->safe_psql('postgres', q{SELECT relid::regclass FROM pg_partition_tree('ai_agent_analytics') WHERE isleaf}))
{
	$part = $l if $coord->safe_psql('postgres', qq{SELECT count(*) FROM $l}) > 0;
}
note "partition $part";

$b->safe_psql('postgres', qq{UPDATE ai_agent_analytics SET total_interactions = total_interactions + 100 WHERE agent_id = '$g'});
is($doc->($a), $doc->($b), 'an UPDATE through a worker: A equals B');
$doc->($a);
$b->safe_psql('postgres', qq{UPDATE $part SET total_interactions = 7 WHERE agent_id = '$g'});
is($doc->($a), $doc->($b), 'an UPDATE of a partition by name through a worker: A equals B');
$doc->($a);
$coord->safe_psql('postgres', qq{DELETE FROM $part WHERE agent_id = '$g' AND total_interactions = 7});
is($doc->($a), $doc->($b), 'a DELETE of a partition by name through the coordinator: A equals B');
$doc->($a);
$coord->safe_psql('postgres', qq{TRUNCATE $part});
is($doc->($a), $doc->($b), 'TRUNCATE of a partition: A equals B');
$doc->($a);
$coord->safe_psql('postgres', qq{INSERT INTO ai_agent_analytics (agent_id, period, total_interactions, success_rate, created_at)
	VALUES ('$g', 'day', 42, 0.9, now())});
is($doc->($a), $doc->($b), 'INSERT: A equals B');
$doc->($a);
$coord->safe_psql('postgres', qq{ALTER TABLE ai_agent_analytics DETACH PARTITION $part});
is($doc->($a), $doc->($b), 'DETACH PARTITION: A equals B');
$doc->($a);
$coord->safe_psql('postgres', qq{ALTER TABLE ai_agent_analytics ATTACH PARTITION $part FOR VALUES FROM (MINVALUE) TO ('2000-01-01')}) if 0;
ok($hits->($a) >= 4, 'A kept serving from its cache between the writes (' . $hits->($a) . ' hits)');
done_testing();
