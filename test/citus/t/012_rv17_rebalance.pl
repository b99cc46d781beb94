# rv17 (adversarial review, issue 17): shard moves in the default transfer
# mode without an explicit cleanup, a shard split, alter_distributed_table:
# the node that cached a document never serves it stale afterwards.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17m', 'max_wal_senders = 10', 'max_replication_slots = 10');
my $u = '00000000-0000-0000-0000-000000000007';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) VALUES ('$u', 'u7\@x');
INSERT INTO generated_apps (user_id, title) VALUES ('$u', 'first');
SELECT count(*) FROM cognomega.distribute(4);
});
my $holder = sub {
	my $shard = $coord->safe_psql('postgres', qq{SELECT get_shard_id_for_distribution_column('users', '$u'::uuid)});
	my $port = $coord->safe_psql('postgres', qq{
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE p.shardid = $shard});
	my ($h) = grep { $_->port == $port } @workers;
	my ($o) = grep { $_->port != $port } @workers;
	return ($shard, $h, $o);
};
my $tier = sub {
	my ($n) = @_;
	return $n->safe_psql('postgres', qq{BEGIN; SELECT cognomega.user_with_apps('$u')::jsonb #>> '{user,subscription_tier}'; COMMIT;});
};
my $set = sub { $coord->safe_psql('postgres', qq{UPDATE users SET subscription_tier = '$_[0]' WHERE id = '$u'}) };
my $hits = sub { $_[0]->safe_psql('postgres', q{SELECT hits FROM cognomega.cache_stats}) };

my ($shard, $a, $b) = $holder->();
$tier->($a); $tier->($a);
is($hits->($a), '1', 'A caches');

# default transfer mode (logical replication), no explicit cleanup
my $move = sub {
	my ($from, $to) = @_;
	$coord->safe_psql('postgres', sprintf(q{
SELECT citus_move_shard_placement(%s, '%s', %d, '%s', %d)}, $shard, $from->host, $from->port, $to->host, $to->port));
};
$move->($a, $b);
$set->('m1');
is($tier->($a), 'm1', 'moved away (auto mode): A fresh');
is($tier->($b), 'm1', 'B fresh');
$tier->($b);
$move->($b, $a);
is($tier->($a), 'm1', 'moved back (auto mode): A fresh');
$tier->($a);
is($tier->($b), 'm1', 'B after the move back');
$set->('m2');
is($tier->($a), 'm2', 'a write after the move back: A fresh');
is($tier->($b), 'm2', 'B fresh (not served from its entry of the time it held the shard)');

# a shard split kept on A, then a write
$tier->($a); $tier->($a);
my $nodeid_a = $coord->safe_psql('postgres', sprintf(q{SELECT nodeid FROM pg_dist_node WHERE nodeport = %d}, $a->port));
my $nodeid_b = $coord->safe_psql('postgres', sprintf(q{SELECT nodeid FROM pg_dist_node WHERE nodeport = %d}, $b->port));
my ($lo, $hi) = split /\|/, $coord->safe_psql('postgres', qq{SELECT shardminvalue, shardmaxvalue FROM pg_dist_shard WHERE shardid = $shard});
my $mid = int(($lo + $hi) / 2);
$coord->safe_psql('postgres', qq{SELECT citus_split_shard_by_split_points($shard, ARRAY['$mid'], ARRAY[$nodeid_a, $nodeid_a], 'block_writes')});
$set->('s1');
is($tier->($a), 's1', 'split on A: A fresh');
$tier->($a);
# split again, the user's half to B and back
($shard, my $h, my $o) = $holder->();
($lo, $hi) = split /\|/, $coord->safe_psql('postgres', qq{SELECT shardminvalue, shardmaxvalue FROM pg_dist_shard WHERE shardid = $shard});
$mid = int(($lo + $hi) / 2);
$coord->safe_psql('postgres', qq{SELECT citus_split_shard_by_split_points($shard, ARRAY['$mid'], ARRAY[$nodeid_b, $nodeid_b], 'block_writes')});
$set->('s2');
is($tier->($a), 's2', 'split to B: A fresh');
is($tier->($b), 's2', 'split to B: B fresh');
$tier->($b);

# alter_distributed_table: new tables, colocation changes
$coord->safe_psql('postgres', q{SELECT alter_distributed_table('users', shard_count := 5, cascade_to_colocated := true)});
$set->('adt');
for my $w (@workers) { is($tier->($w), 'adt', 'after alter_distributed_table: fresh on ' . $w->name); $tier->($w); }
$set->('adt2');
for my $w (@workers) { is($tier->($w), 'adt2', 'a write after alter_distributed_table: fresh on ' . $w->name); }
# routing still in place for the query function
my $routed = $coord->safe_psql('postgres', q{SELECT count(*) FROM pg_dist_object o JOIN pg_dist_partition p ON p.colocationid = o.colocationid
	WHERE o.objid = 'cognomega.user_with_apps(uuid)'::regprocedure AND p.logicalrelid = 'users'::regclass});
is($routed, '1', 'user_with_apps still colocated with users after alter_distributed_table');
done_testing();
