# A backend killed with SIGKILL during cache traffic (possibly holding a
# cache partition lock) makes the postmaster reinitialize shared memory:
# the cluster recovers, the cache comes back empty and works.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cache_crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = ''
cognomega.cache_size = '8MB'
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION cognomega;
CREATE TABLE c (id int PRIMARY KEY, v int);
INSERT INTO c SELECT g, g FROM generate_series(1, 100) g;
});

# a session that hammers the cache until it is killed
my ($stdout, $stderr) = ('', '');
my $busy = IPC::Run::start(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-c', q{
DO $$
BEGIN
  LOOP
    FOR i IN 1..100 LOOP
      PERFORM cognomega.cache_put('crash:' || i, to_jsonb(repeat('x', i * 10)));
      PERFORM cognomega.cache_get('crash:' || (i / 2));
      PERFORM cognomega.cached_query('SELECT v FROM c WHERE id = ' || i);
    END LOOP;
    UPDATE c SET v = v + 1 WHERE id = 1;
  END LOOP;
END $$;
} ],
	'>', \$stdout, '2>', \$stderr);

$node->poll_query_until('postgres',
	q{SELECT stores > 1000 FROM cognomega.cache_stats})
  or die 'no cache traffic';
my $pid = $node->safe_psql('postgres', q{
SELECT pid FROM pg_stat_activity
WHERE query LIKE '%crash:%' AND pid <> pg_backend_pid() LIMIT 1});
ok($pid =~ /^\d+$/, 'found the busy backend');
kill 'KILL', $pid;
$busy->finish;

# the postmaster reinitializes; wait until connections work again
$node->poll_query_until('postgres', 'SELECT 1', '1')
  or die 'cluster did not come back';
ok($node->log_contains('terminated by signal 9'), 'backend crash was noticed');
ok($node->log_contains('all server processes terminated; reinitializing'),
	'shared memory was reinitialized');

is($node->safe_psql('postgres',
	'SELECT entries, bytes_used, stores FROM cognomega.cache_stats'),
	'0|0|0', 'cache starts empty');
is($node->safe_psql('postgres', q{
SELECT cognomega.cache_put('after', '{"ok": true}');
SELECT cognomega.cache_get('after');
}), "t\n{\"ok\": true}", 'put and get work after the crash');
is($node->safe_psql('postgres', q{
SELECT cognomega.cached_query('SELECT v FROM c WHERE id = 2');
SELECT cognomega.cached_query('SELECT v FROM c WHERE id = 2');
SELECT hits, stores FROM cognomega.cache_stats;
}), "[{\"v\":2}]\n[{\"v\":2}]\n2|2", 'cached_query works after the crash');

$node->stop;
done_testing();
