# rv17c (adversarial review, issue 17): users_with_apps over Citus tables
# (qry_sql_users_with_apps_citus) brings each app column back as
# array_agg(column) and rebuilds the apps with unnest().  That is not the
# identity for a column whose type is itself an array (a DBA may change the
# apps' column types; the documents print them with to_json, and on one
# node, or through user_with_apps, an array title prints as a JSON array):
# - a NULL array among the apps: array_agg fails, 22004 "cannot accumulate
#   null arrays", while user_with_apps answers;
# - arrays of one length: array_agg builds a 2-D array and unnest() walks
#   its elements, so the apps are split and misaligned (a wrong document,
#   no error).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17c_arr');
my ($u1, $u2) = ('00000000-0000-0000-0000-000000000311', '00000000-0000-0000-0000-000000000312');
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email, created_at) VALUES ('$u1', 'u1\@x', '2026-01-01 00:00:00+00'), ('$u2', 'u2\@x', '2026-01-01 00:00:00+00');
SELECT count(*) FROM cognomega.distribute(4);
ALTER TABLE generated_apps ALTER COLUMN title DROP NOT NULL;
ALTER TABLE generated_apps ALTER COLUMN title TYPE text[] USING ARRAY[title];
INSERT INTO generated_apps (id, user_id, title, created_at) VALUES
	('a0000000-0000-0000-0000-000000000001', '$u1', ARRAY['a', 'b'], '2026-01-02 00:00:00+00'),
	('a0000000-0000-0000-0000-000000000002', '$u1', NULL, '2026-01-01 00:00:00+00'),
	('a0000000-0000-0000-0000-000000000003', '$u2', ARRAY['a', 'b'], '2026-01-02 00:00:00+00'),
	('a0000000-0000-0000-0000-000000000004', '$u2', ARRAY['c', 'd'], '2026-01-01 00:00:00+00');
});

for my $n ($coord, @workers)
{
	for my $u ($u1, $u2)
	{
		my $one = $n->safe_psql('postgres', "SELECT cognomega.user_with_apps('$u')");
		like($one, qr/"title":\["a","b"\]/, $n->name . ": user_with_apps('$u') prints the array title");
		my ($rc, $batch, $err) = $n->psql('postgres', qq{
\\set VERBOSITY verbose
SELECT doc FROM cognomega.users_with_apps(ARRAY['$u'::uuid])});
		note $err if $err;
		is($batch, $one, $n->name . ": users_with_apps answers the same document for $u");
	}
}
done_testing();
