# A cached document and shard moves (docs/cache.md, Citus, step 5): after
# the shard group of a user moves away from the node that cached its
# document, that node neither serves nor stores it; after it moves back,
# the entry from before is not valid again (the old placement's drop was a
# write to the table there).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('mv');
my $u = '00000000-0000-0000-0000-000000000007';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) VALUES ('$u', 'u7\@x');
INSERT INTO generated_apps (user_id, title) VALUES ('$u', 'first');
SELECT count(*) FROM cognomega.distribute(4);
});
my $shard = $coord->safe_psql('postgres', qq{SELECT get_shard_id_for_distribution_column('users', '$u'::uuid)});
my $holder_port = $coord->safe_psql('postgres', qq{
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE p.shardid = $shard});
my ($a) = grep { $_->port == $holder_port } @workers;
my ($b) = grep { $_->port != $holder_port } @workers;

# the tier as node n answers it, run there (not delegated: inside BEGIN)
my $tier = sub {
	my ($n) = @_;
	return $n->safe_psql('postgres', qq{BEGIN; SELECT cognomega.user_with_apps('$u')::jsonb #>> '{user,subscription_tier}'; COMMIT;});
};
my $stats = sub { $_[0]->safe_psql('postgres', q{SELECT stores || ' ' || hits FROM cognomega.cache_stats}) };
my $move = sub {
	my ($from, $to) = @_;
	$coord->safe_psql('postgres', sprintf(q{
SELECT citus_move_shard_placement(%s, '%s', %d, '%s', %d, shard_transfer_mode => 'block_writes');
CALL citus_cleanup_orphaned_resources();}, $shard, $from->host, $from->port, $to->host, $to->port));
};

is($tier->($a), 'free', 'A caches the document');
is($tier->($a), 'free', 'A: a hit');
is($stats->($a), '1 1', 'A stored once, served once');

$move->($a, $b);
$coord->safe_psql('postgres', qq{UPDATE users SET subscription_tier = 'moved' WHERE id = '$u'});
is($tier->($a), 'moved', 'after the move away, A answers fresh');
is($stats->($a), '1 1', 'A neither served nor stored it (the shards are elsewhere)');
is($tier->($b), 'moved', 'B answers fresh');
is($tier->($b), 'moved', 'B: again');

$move->($b, $a);
is($tier->($a), 'moved', 'after the move back, the entry from before is not served');
is($tier->($a), 'moved', 'A: again (cached anew)');
$coord->safe_psql('postgres', qq{UPDATE users SET subscription_tier = 'back' WHERE id = '$u'});
is($tier->($a), 'back', 'A: a write after the move back invalidates');

done_testing();
