# rv17b (adversarial review, issue 17): docs/scale-out.md promises that a
# statement prepared with the key as a parameter ($1, what drivers send)
# follows the session's settings at each execution.  Under
# plan_cache_mode = force_generic_plan (or whenever the plan cache settles
# on the generic plan) the planner hook's rewrite puts the settings of the
# planning moment into the generic plan as a constant: after SET TimeZone
# the prepared statement keeps answering in the old zone, on every node.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17b_generic');
my $u = '00000000-0000-0000-0000-000000000022';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) VALUES ('$u', 'u22\@x');
INSERT INTO generated_apps (user_id, title, created_at) VALUES ('$u', 'first', '2026-01-01 00:00:00+00');
SELECT count(*) FROM cognomega.distribute(4);
});

for my $n ($coord, @workers)
{
	my @out = split /\n/, $n->safe_psql('postgres', qq{
SET plan_cache_mode = force_generic_plan;
SET TimeZone = 'UTC';
PREPARE p(uuid) AS SELECT cognomega.user_with_apps(\$1);
EXECUTE p('$u');
SET TimeZone = 'Asia/Tokyo';
EXECUTE p('$u');
SELECT cognomega.user_with_apps('$u');});
	# the first timestamp of each document (the user's created_at)
	@out = map { /"created_at"\s*:\s*"([^"]*)"/ ? $1 : $_ } @out;
	note $n->name . ': ' . join(' | ', @out);
	like($out[0], qr/\+00:00$/, $n->name . ': first execution in UTC');
	like($out[2], qr/\+09:00$/, $n->name . ': the direct call follows SET TimeZone');
	is($out[1], $out[2], $n->name . ': the prepared statement after SET TimeZone answers as the direct call');
}
done_testing();
