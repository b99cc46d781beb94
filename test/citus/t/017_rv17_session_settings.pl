# rv17 (adversarial review, issue 17): a routed call answers as the caller's
# session would: TimeZone (and DateStyle) set in the coordinator session
# must render the document's timestamps as a local, not-routed call does.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17z');
my $u = '00000000-0000-0000-0000-000000000007';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) VALUES ('$u', 'u7\@x');
INSERT INTO generated_apps (user_id, title, created_at) VALUES ('$u', 'first', '2026-01-01 00:00:00+00');
SELECT count(*) FROM cognomega.distribute(4);
});
my $ts = qq{cognomega.user_with_apps('$u')::json -> 'apps' -> 0 ->> 'created_at'};
my $local = $coord->safe_psql('postgres', qq{SET TimeZone = 'Asia/Tokyo'; BEGIN; SELECT $ts; COMMIT;});
like($local, qr/\+09:00$/, "not routed (inside BEGIN): rendered in the session's zone ($local)");
my $routed = $coord->safe_psql('postgres', qq{SET TimeZone = 'Asia/Tokyo'; SELECT $ts;});
is($routed, $local, 'routed to the holder: the same answer as the session asked for');
# and the same on a worker with metadata
my $w = $workers[0]->safe_psql('postgres', qq{SET TimeZone = 'Asia/Tokyo'; SELECT $ts;});
is($w, $local, 'called on a worker (routed where needed): the same answer');
my $shard = $coord->safe_psql('postgres', qq{SELECT get_shard_id_for_distribution_column('users', '$u'::uuid)});
my $holder_port = $coord->safe_psql('postgres', qq{
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE p.shardid = $shard});
my ($a) = grep { $_->port == $holder_port } @workers;
my $h = $a->safe_psql('postgres', qq{SET TimeZone = 'Asia/Tokyo'; SELECT $ts;});
note "holder: $h, coordinator: $routed";
is($routed, $h, 'the coordinator answers as the holder does for the same session settings');
done_testing();
