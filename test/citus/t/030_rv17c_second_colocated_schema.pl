# rv17c (adversarial review, issue 17): on a worker, where setup() never
# ran, the query functions find the platform's schema with
# cognomega._citus_app_schema(): a schema whose users table is
# hash-distributed with its generated_apps colocated, preferring the one
# the distributed user_with_apps is colocated with, then by name.  Citus
# colocates every table of the same shard count and distribution column
# type in one group by default (colocate_with => 'default'), so a second
# schema's users/generated_apps (an archive, a staging copy) distributed
# the ordinary way lands in the very colocation group of the platform's:
# the tie-break is the name, and a schema sorting before the platform's
# ("archive" < "public") wins.  Then the workers read archive.* while the
# coordinator reads public.*: every routed call (from any node) fails
# (42703 here, archive.generated_apps has no status column) or, with the
# same columns, answers another table's rows.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17c_sch');
my $u = '00000000-0000-0000-0000-000000000030';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email, created_at) VALUES ('$u', 'u30\@x', '2026-01-01 00:00:00+00');
INSERT INTO generated_apps (user_id, title, created_at) VALUES ('$u', 'first', '2026-01-01 00:00:00+00');
SELECT count(*) FROM cognomega.distribute(4);
});
my $before = $coord->safe_psql('postgres', "SELECT cognomega.user_with_apps('$u') #>> '{apps,0,title}'");
is($before, 'first', 'before: the routed call answers');

# another application's tables, distributed as Citus documents it
$coord->safe_psql('postgres', q{
CREATE SCHEMA archive;
CREATE TABLE archive.users (id uuid PRIMARY KEY, email text);
CREATE TABLE archive.generated_apps (id uuid, user_id uuid, title text);
SELECT create_distributed_table('archive.users', 'id', shard_count => 4);
SELECT create_distributed_table('archive.generated_apps', 'user_id', colocate_with => 'archive.users');
});

for my $n ($coord, @workers)
{
	is($n->safe_psql('postgres', 'SELECT cognomega._citus_app_schema()'), 'public',
		$n->name . ': the schema found in the Citus metadata is still the one distribute() used')
	  if $n != $coord;
	my ($rc, $out, $err) = $n->psql('postgres', qq{
\\set VERBOSITY verbose
SELECT cognomega.user_with_apps('$u') #>> '{apps,0,title}'});
	note $err if $err;
	is($out, 'first', $n->name . ': user_with_apps still answers from the platform\'s tables');
}
done_testing();
