# rv17c (adversarial review, issue 17), passing probe: users_with_apps over
# Citus (qry_sql_users_with_apps_citus: typed rows brought back, to_json on
# the node called) and user_with_apps answer byte for byte what a database
# without Citus answers, on every node, under odd output settings
# (TimeZone, DateStyle, IntervalStyle sql_standard, extra_float_digits 0,
# bytea_output escape), with user columns a DBA added (bytea, interval,
# float8, numeric, jsonb, text[], money, timestamp, a composite, text with a
# tab, NULLs) and a dropped one, apps with NULL titles and created_at ties,
# ids unordered, duplicated, NULL and missing; a twin call failing on bad
# settings leaves the session's TimeZone as it was.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17c_id');
my $setup = q{
SELECT count(*) FROM cognomega.setup();
CREATE TYPE pt AS (x int, y text);
ALTER TABLE users ADD COLUMN gone int, ADD COLUMN b bytea, ADD COLUMN iv interval, ADD COLUMN f float8, ADD COLUMN n numeric, ADD COLUMN j jsonb, ADD COLUMN arr text[], ADD COLUMN m money, ADD COLUMN ts timestamp, ADD COLUMN p pt, ADD COLUMN q text;
ALTER TABLE users DROP COLUMN gone;
INSERT INTO users (id, email, created_at, b, iv, f, n, j, arr, m, ts, p, q)
SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'u' || i || '@x', '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour',
  CASE WHEN i % 3 = 0 THEN NULL ELSE '\x00ff'::bytea END, '-1 days +02:00:00'::interval * i, 0.1 + i, 1.50, '{"a":[1,2]}', ARRAY['x"y', NULL], 1.5, '2026-02-03 04:05:06', ROW(i, 'q"')::pt, E'tab\there'
  FROM generate_series(1,30) i;
INSERT INTO generated_apps (id, user_id, title, status, created_at)
SELECT md5(u.id::text || k)::uuid, u.id, CASE WHEN k = 2 THEN NULL ELSE 't' || k END, 'draft', '2026-01-01 00:00:00+00'::timestamptz - (k % 2) * interval '1 day'
  FROM users u, generate_series(1, 4) k WHERE u.email NOT LIKE 'u1_@x';
};
$coord->safe_psql('postgres', "CREATE DATABASE single");
$coord->safe_psql("single", "CREATE EXTENSION cognomega; " . $setup);
$coord->safe_psql('postgres', $setup . "SELECT count(*) FROM cognomega.distribute(4);");
sub pq { my ($n, $db, $sql) = @_; my ($rc, $o, $e) = $n->psql($db, "\\set VERBOSITY verbose\n$sql"); note $n->name . ": [$sql]\n=> " . substr($o,0,300) . "\n$e" if $e; return $o; }
my $S = "SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'SQL, DMY'; SET IntervalStyle = 'sql_standard'; SET extra_float_digits = 0; SET bytea_output = 'escape';";
my $ids = "(SELECT array_agg(('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid ORDER BY i DESC) || '{00000000-0000-0000-0000-000000000003,NULL,00000000-0000-0000-0000-000000000099}'::uuid[] FROM generate_series(1,30) i)";
my $ref = pq($coord, 'single', "$S SELECT string_agg(user_id || ' ' || doc::text, E'\\n') FROM cognomega.users_with_apps($ids)");
my $ref1 = pq($coord, 'single', "$S SELECT string_agg(u.id || ' ' || cognomega.user_with_apps(u.id)::text, E'\\n' ORDER BY u.id DESC) FROM users u");
is($ref, $ref1, 'single: users_with_apps == user_with_apps');
for my $n ($coord, @workers) {
  my $got = pq($n, 'postgres', "$S SELECT string_agg(user_id || ' ' || doc::text, E'\\n') FROM cognomega.users_with_apps($ids)");
  is($got, $ref, $n->name . ': users_with_apps byte-identical to single node');
  my @one;
  for my $i (reverse 1..30) {
    push @one, sprintf('00000000-0000-0000-0000-%012d', $i) . ' ' . pq($n, 'postgres', "$S SELECT cognomega.user_with_apps('" . sprintf('00000000-0000-0000-0000-%012d', $i) . "')::text");
  }
  is(join("\n", @one), $ref, $n->name . ': user_with_apps byte-identical to single node');
  is(pq($n, 'postgres', "$S SELECT count(*) FROM cognomega.users_with_apps(ARRAY['00000000-0000-0000-0000-000000000003'::uuid,'00000000-0000-0000-0000-000000000003'])"), '1', $n->name . ': a duplicate id answers once');
}
# settings after an error inside a routed call
for my $n ($coord, @workers) {
  my ($rc, $o, $e) = $n->psql('postgres', "SET TimeZone='Asia/Tokyo'; SELECT cognomega._user_with_apps_routed('00000000-0000-0000-0000-000000000003', ARRAY['America/New_York','ISO, MDY','postgres','1','hex','C.UTF-8']) #>> '{user,created_at}'; SELECT cognomega._user_with_apps_routed('00000000-0000-0000-0000-000000000003', ARRAY['Nowhere/Bad','ISO, MDY','postgres','1','hex','C.UTF-8']); SELECT current_setting('TimeZone'); SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000003') #>> '{user,created_at}'; BEGIN; SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000003') #>> '{user,created_at}'; SELECT current_setting('TimeZone'); COMMIT;", on_error_stop => 0);
  my @l = split /\n/, $o;
  is($l[-1], 'Asia/Tokyo', $n->name . ': TimeZone unchanged after routed calls, one failing on bad settings');
  is($l[-2], $l[-3], $n->name . ': the call in a transaction answers as the routed one');
  like($l[-2], qr/\+09:00$/, $n->name . ': in the session\'s zone');
}
done_testing();
