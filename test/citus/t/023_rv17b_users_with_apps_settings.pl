# rv17b (adversarial review, issue 17): docs/scale-out.md says
# users_with_apps "runs as one multi-shard query, its documents rendered on
# the node called", i.e. with the session's settings, and DESIGN.md 8 wants
# the query functions to answer identically on every node.  But the
# documents are built inside the multi-shard query, on the shards, by
# Citus's connections with the workers' default TimeZone: under SET
# TimeZone = 'Asia/Tokyo' the coordinator and the worker that does not hold
# the user answer +00:00, the holder (local execution) +09:00, and the
# same session's user_with_apps(k) +09:00.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17b_uwa');
my $u = '00000000-0000-0000-0000-000000000024';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email, created_at) VALUES ('$u', 'u24\@x', '2026-01-01 00:00:00+00');
INSERT INTO generated_apps (user_id, title, created_at) VALUES ('$u', 'first', '2026-01-01 00:00:00+00');
SELECT count(*) FROM cognomega.distribute(4);
});

for my $n ($coord, @workers)
{
	my ($one, $batch) = split /\n/, $n->safe_psql('postgres', qq{
SET TimeZone = 'Asia/Tokyo';
SELECT cognomega.user_with_apps('$u') #>> '{user,created_at}';
SELECT doc #>> '{user,created_at}' FROM cognomega.users_with_apps(ARRAY['$u'::uuid]);});
	note $n->name . ": user_with_apps $one, users_with_apps $batch";
	like($one, qr/\+09:00$/, $n->name . ': user_with_apps renders in the session\'s zone');
	is($batch, $one, $n->name . ': users_with_apps renders the same document');
}
done_testing();
