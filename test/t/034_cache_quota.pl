# A role's share of the cache under concurrent load (issue 21.4): four
# sessions of one role put 8000 values of 3 kB (24 MB) into an 8 MB cache at
# once; every put succeeds, another role's entries all survive, and the
# role's share never ends above cognomega.cache_role_quota (reservations are
# taken before the check, so concurrent puts cannot overshoot together).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cache_quota');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = ''
cognomega.cache_size = '8MB'
max_connections = 30
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION cognomega;
CREATE ROLE cognomega_victim LOGIN;
CREATE ROLE cognomega_hog LOGIN;
});

is($node->safe_psql('postgres', q{
SET ROLE cognomega_victim;
SELECT count(*) FILTER (WHERE cognomega.cache_put('v' || i, to_jsonb(repeat('v', 1000)), '0'))
FROM generate_series(1, 100) i;
}), '100', 'the victim stored 100 entries');

$node->pgbench(
	"--no-vacuum --client=4 --jobs=2 --transactions=2000 --username=cognomega_hog",
	0,
	[qr{processed: 8000/8000}],
	[qr{^$}],
	'every put of the hog succeeds',
	{
		'034_hog' => q{
\set r random(1, 1000000000)
SELECT cognomega.cache_put('h' || :client_id || '.' || :r,
                           to_jsonb(repeat('h', 3000)), '0')::int AS ok \gset
\if :ok = 0
SELECT put_refused_for_space();
\endif
},
	});

is($node->safe_psql('postgres', q{
SET ROLE cognomega_victim;
SELECT count(*) FILTER (WHERE cognomega.cache_get('v' || i) IS NOT NULL)
FROM generate_series(1, 100) i;
}), '100', 'no entry of the victim was evicted by the hog');

my $share = $node->safe_psql('postgres', q{
SELECT r.entries > 0,
       r.bytes <= s.bytes_total / 2,
       r.bytes > s.bytes_total / 3
FROM cognomega.cache_role_stats r, cognomega.cache_stats s
WHERE r.role = 'cognomega_hog'
});
is($share, 't|t|t', 'the hog holds its share of the cache, not more');

# accounting agrees with the entries: after a clear, no share is left
$node->safe_psql('postgres', 'SELECT cognomega.cache_clear()');
is($node->safe_psql('postgres',
	'SELECT count(*) FROM cognomega.cache_role_stats'),
	'0', 'every share is given back when the entries go');

$node->stop;
done_testing();
