# rv17b (adversarial review, issue 17): the planner hook (src/routing.c)
# freezes the session's output settings into the plan as a constant.  A
# PL/pgSQL function's expression `RETURN cognomega.user_with_apps(k)` is
# planned once per session (a generic plan, kept by plpgsql): after the
# session changes TimeZone, the function still renders the document in the
# zone of its first call, while the direct call in the same session answers
# in the new zone.  On one node (and before the hook) both follow the SET.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17b_plpgsql');
my $u = '00000000-0000-0000-0000-000000000021';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) VALUES ('$u', 'u21\@x');
INSERT INTO generated_apps (user_id, title, created_at) VALUES ('$u', 'first', '2026-01-01 00:00:00+00');
SELECT count(*) FROM cognomega.distribute(4);
CREATE FUNCTION public.doc_of(k uuid) RETURNS json LANGUAGE plpgsql AS
\$\$ BEGIN RETURN cognomega.user_with_apps(k); END \$\$;
});
for my $n ($coord, @workers)
{
	# Citus propagates the function; create it where it did not
	$n->safe_psql('postgres', q{DO $$ BEGIN IF to_regprocedure('public.doc_of(uuid)') IS NULL THEN
CREATE FUNCTION public.doc_of(k uuid) RETURNS json LANGUAGE plpgsql AS
'BEGIN RETURN cognomega.user_with_apps(k); END'; END IF; END $$});
}

my $ts = q{-> 'apps' -> 0 ->> 'created_at'};
for my $n ($coord, @workers)
{
	my @out = split /\n/, $n->safe_psql('postgres', qq{
SET TimeZone = 'UTC';
SELECT public.doc_of('$u') $ts;
SET TimeZone = 'Asia/Tokyo';
SELECT public.doc_of('$u') $ts;
SELECT cognomega.user_with_apps('$u') $ts;});
	note $n->name . ': ' . join(' | ', @out);
	like($out[0], qr/\+00:00$/, $n->name . ': first call through PL/pgSQL in UTC');
	like($out[2], qr/\+09:00$/, $n->name . ': the direct call follows SET TimeZone');
	is($out[1], $out[2], $n->name . ': the PL/pgSQL call after SET TimeZone answers as the direct call');
}
done_testing();
