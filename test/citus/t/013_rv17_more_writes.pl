# rv17 (adversarial review, issue 17): MERGE, COPY, a cascading DELETE, a
# write over a connection to itself, a 2PC started on a worker, and the
# coordinator holding the user's shards: fresh answers on the holder.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17x');
my $u = '00000000-0000-0000-0000-000000000007';
my $v = '00000000-0000-0000-0000-000000000001';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'u' || i || '\@x'
	FROM generate_series(1, 16) i;
INSERT INTO generated_apps (user_id, title) VALUES ('$u', 'first');
SELECT count(*) FROM cognomega.distribute(4);
});
my $shard = $coord->safe_psql('postgres', qq{SELECT get_shard_id_for_distribution_column('users', '$u'::uuid)});
my $holder_port = $coord->safe_psql('postgres', qq{
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE p.shardid = $shard});
my ($a) = grep { $_->port == $holder_port } @workers;
my ($b) = grep { $_->port != $holder_port } @workers;
# a second user on the other worker (for a 2PC across both)
my $w = $coord->safe_psql('postgres', qq{
SELECT u.id FROM (SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid AS id FROM generate_series(1, 16) i) u, LATERAL (SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
  WHERE p.shardid = get_shard_id_for_distribution_column('users', u.id)) x WHERE x.nodeport = @{[$b->port]} LIMIT 1});

my $tier = sub {
	my ($n) = @_;
	return $n->safe_psql('postgres', qq{BEGIN; SELECT coalesce(cognomega.user_with_apps('$u')::jsonb #>> '{user,subscription_tier}', '<none>'); COMMIT;});
};
my $napps = sub { $_[0]->safe_psql('postgres', qq{BEGIN; SELECT jsonb_array_length(cognomega.user_with_apps('$u')::jsonb -> 'apps'); COMMIT;}) };
my $hits = sub { $_[0]->safe_psql('postgres', q{SELECT hits FROM cognomega.cache_stats}) };

$tier->($a); $tier->($a);
is($hits->($a), '1', 'A caches');

# MERGE through the coordinator and through the other worker
$coord->safe_psql('postgres', qq{MERGE INTO users t USING users s ON t.id = s.id AND s.id = '$u'
	WHEN MATCHED THEN UPDATE SET subscription_tier = 'merge_c'});
is($tier->($a), 'merge_c', 'MERGE through the coordinator: fresh');
$tier->($a);
$b->safe_psql('postgres', qq{MERGE INTO users t USING users s ON t.id = s.id AND s.id = '$u'
	WHEN MATCHED THEN UPDATE SET subscription_tier = 'merge_b'});
is($tier->($a), 'merge_b', 'MERGE through a worker: fresh');
$tier->($a);
# MERGE with a source not colocated (repartitioned)
$coord->safe_psql('postgres', qq{MERGE INTO users t USING (SELECT user_id AS id, 'merge_r' AS tier FROM generated_apps) s ON t.id = s.id
	WHEN MATCHED THEN UPDATE SET subscription_tier = s.tier});
is($tier->($a), 'merge_r', 'MERGE with a subquery source: fresh');

# COPY through the other worker
$napps->($a); $napps->($a);
$b->safe_psql('postgres', qq{COPY generated_apps (user_id, title) FROM STDIN;
$u\tcopied
\\.
});
is($napps->($a), '2', 'COPY through a worker: fresh');
$napps->($a);
$coord->safe_psql('postgres', qq{COPY generated_apps (user_id, title) FROM STDIN;
$u\tcopied2
\\.
});
is($napps->($a), '3', 'COPY through the coordinator: fresh');

# a write on the holder over a connection to itself
$tier->($a);
$a->safe_psql('postgres', qq{SET citus.enable_local_execution = off; UPDATE users SET subscription_tier = 'self' WHERE id = '$u'});
is($tier->($a), 'self', 'a write over a connection to itself: fresh');
$tier->($a);

# a 2PC started on a worker, across both workers
$b->safe_psql('postgres', qq{BEGIN;
UPDATE users SET subscription_tier = '2pc_b' WHERE id = '$u';
UPDATE users SET subscription_tier = '2pc_b' WHERE id = '$w';
COMMIT;});
is($tier->($a), '2pc_b', 'a 2PC started on a worker: fresh');
$tier->($a);
$a->safe_psql('postgres', qq{BEGIN;
UPDATE users SET subscription_tier = '2pc_a' WHERE id = '$w';
UPDATE users SET subscription_tier = '2pc_a' WHERE id = '$u';
COMMIT;});
is($tier->($a), '2pc_a', 'a 2PC started on the holder: fresh');
$tier->($a);

# a cascading DELETE of the user through the other worker
$b->safe_psql('postgres', qq{DELETE FROM users WHERE id = '$u'});
is($tier->($a), '<none>', 'a DELETE through a worker: fresh');
$coord->safe_psql('postgres', qq{INSERT INTO users (id, email, subscription_tier) VALUES ('$u', 'u7\@x', 'back')});
is($tier->($a), 'back', 're-inserted: fresh');

# the coordinator holding the user's shard group
$coord->safe_psql('postgres', sprintf(q{SELECT citus_set_node_property('%s', %d, 'shouldhaveshards', true)}, $coord->host, $coord->port));
$coord->safe_psql('postgres', sprintf(q{SELECT citus_move_shard_placement(%s, '%s', %d, '%s', %d, shard_transfer_mode => 'block_writes')},
	$shard, $a->host, $a->port, $coord->host, $coord->port));
$tier->($coord); $tier->($coord);
ok($hits->($coord) >= 1, 'the coordinator holding the shards caches');
$b->safe_psql('postgres', qq{UPDATE users SET subscription_tier = 'on_coord' WHERE id = '$u'});
is($tier->($coord), 'on_coord', 'the coordinator holding the shards: fresh after a write through a worker');
$tier->($coord);
$coord->safe_psql('postgres', qq{UPDATE users SET subscription_tier = 'on_coord2'});
is($tier->($coord), 'on_coord2', 'the coordinator holding the shards: fresh after a multi-shard write');
is($tier->($a), 'on_coord2', 'A fresh');
is($tier->($b), 'on_coord2', 'B fresh');
done_testing();
