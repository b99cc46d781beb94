# Concurrent torture, bounded in time: writers commit increasing values;
# readers first read the committed value, then the cached one (through
# cached_query, and through cache_get with a cache_put fill in its own
# transaction).  A cached value older than the committed one read before it
# is a stale read: the reader raises an error and pgbench fails.  The cache
# must also have served hits.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cache_torture');
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
CREATE TABLE tort (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO tort VALUES (1, 0);
CREATE TABLE tort_p (id int, v int NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE tort_p1 PARTITION OF tort_p FOR VALUES FROM (0) TO (10);
INSERT INTO tort_p VALUES (1, 0);
});

my $seconds = $ENV{COGNOMEGA_TORTURE_SECONDS} || 15;

$node->pgbench(
	"--no-vacuum --client=6 --jobs=2 --time=$seconds",
	0,
	[qr{processed: [1-9]}],
	[qr{^$}],
	'no stale value under concurrent commits',
	{
		'031_writer@1' => q{
UPDATE tort SET v = v + 1 WHERE id = 1;
},
		'031_writer_partition@1' => q{
UPDATE tort_p1 SET v = v + 1 WHERE id = 1;
},
		'031_reader_query@4' => q{
SELECT v AS committed FROM tort WHERE id = 1 \gset
SELECT (cognomega.cached_query('SELECT v FROM tort WHERE id = 1') -> 0 ->> 'v')::int AS cached \gset
\if :cached < :committed
SELECT stale_read_in_cached_query(:committed, :cached);
\endif
},
		'031_reader_partition@4' => q{
SELECT v AS committed FROM tort_p WHERE id = 1 \gset
SELECT (cognomega.cached_query('SELECT v FROM tort_p WHERE id = 1') -> 0 ->> 'v')::int AS cached \gset
\if :cached < :committed
SELECT stale_read_through_partition(:committed, :cached);
\endif
},
		'031_reader_kv@4' => q{
SELECT v AS committed FROM tort WHERE id = 1 \gset
SELECT coalesce(cognomega.cache_get('tort')::text::int, -1) AS cached \gset
\if :cached = -1
BEGIN;
SELECT v AS fresh FROM tort WHERE id = 1 \gset
SELECT cognomega.cache_put('tort', to_jsonb(:fresh), NULL, '{tort}');
COMMIT;
\elif :cached < :committed
SELECT stale_read_in_cache_get(:committed, :cached);
\endif
},
	});

# Key-level invalidation (issue 12): writers on many keys at once (one app
# per statement, several users' apps per INSERT ... SELECT, COPY-free
# updates of other columns) while readers compare each user's committed app
# count with the cached document's.  Per user the count only grows.
$node->safe_psql('postgres', q{
CREATE SCHEMA kt;
SELECT count(*) FROM cognomega.setup('kt');
INSERT INTO kt.users (id, email)
  SELECT format('00000000-0000-0000-0000-%s', lpad(i::text, 12, '0'))::uuid, 'u' || i || '@example.com'
    FROM generate_series(1, 20) i;
CREATE FUNCTION kt.uid(i int) RETURNS uuid IMMUTABLE LANGUAGE sql
  AS $$SELECT format('00000000-0000-0000-0000-%s', lpad(i::text, 12, '0'))::uuid$$;
});

$node->pgbench(
	"--no-vacuum --client=6 --jobs=2 --time=$seconds",
	0,
	[qr{processed: [1-9]}],
	[qr{^$}],
	'no stale document under writers on many keys',
	{
		'031_key_writer@2' => q{
\set u random(1, 20)
INSERT INTO kt.generated_apps (user_id, title) VALUES (kt.uid(:u), 'one');
},
		'031_key_writer_multi@1' => q{
\set u random(1, 18)
INSERT INTO kt.generated_apps (user_id, title)
  SELECT kt.uid(i), 'multi' FROM generate_series(:u, :u + 2) i;
},
		'031_key_writer_other@1' => q{
\set u random(1, 20)
UPDATE kt.generated_apps SET status = 'completed' WHERE user_id = kt.uid(:u) AND status <> 'completed';
},
		'031_key_reader@6' => q{
\set u random(1, 20)
SELECT count(*) AS committed FROM kt.generated_apps WHERE user_id = kt.uid(:u) \gset
SELECT json_array_length(cognomega.user_with_apps(kt.uid(:u)) -> 'apps') AS cached \gset
\if :cached < :committed
SELECT stale_document_at_key_level(:committed, :cached);
\endif
},
	});

my $stats = $node->safe_psql('postgres',
	'SELECT hits, misses, stores, invalidations FROM cognomega.cache_stats');
my ($hits, $misses, $stores, $inval) = split /\|/, $stats;
note("torture: hits=$hits misses=$misses stores=$stores invalidations=$inval");
diag("torture: hits=$hits misses=$misses stores=$stores invalidations=$inval");
cmp_ok($hits, '>', 0, 'the cache served hits during the torture');
my $v = $node->safe_psql('postgres', 'SELECT v FROM tort');
cmp_ok($v, '>', 0, 'writers committed');

$node->stop;
done_testing();
