# The result cache on hot standbys (cognomega.replica_invalidation): the
# primary logs each writing transaction's invalidation slots in WAL, the
# standby serves hits and never an answer older than its own snapshot.
use strict;
use warnings;
use Cwd qw(abs_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $rm_id = 217;
my $tmp = abs_path($PostgreSQL::Test::Utils::tmp_check);

my $primary = PostgreSQL::Test::Cluster->new('replica_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = ''
cognomega.replica_invalidation = on
max_prepared_transactions = 5
restart_after_crash = on
});
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION cognomega;
SELECT count(*) FROM cognomega.setup();
CREATE FUNCTION tap_uid(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
	AS $$ SELECT ('00000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid $$;
INSERT INTO users (id, email, subscription_tier)
	SELECT tap_uid(n), 'u' || n || '@x', 't0' FROM generate_series(1, 40) n;
INSERT INTO generated_apps (user_id, title, status)
	SELECT tap_uid(n), 'app' || a, 'completed' FROM generate_series(1, 40) n, generate_series(1, 3) a;
CREATE SEQUENCE tap_version;
-- the cached answers against the plain ones, in the caller's snapshot
-- (REPEATABLE READ): user_with_apps, cached_query, cache_get after cache_put
CREATE FUNCTION tap_compare(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	q text := format('SELECT subscription_tier FROM users WHERE id = %L', tap_uid(n));
	a text; b text; c text; d text; g jsonb; p text;
BEGIN
	a := cognomega.user_with_apps(tap_uid(n))::text;
	c := cognomega.cached_query(q)::text;
	g := cognomega.cache_get('tier' || n);
	PERFORM set_config('cognomega.cache_enabled', 'off', true);
	b := cognomega.user_with_apps(tap_uid(n))::text;
	d := cognomega.cached_query(q)::text;
	PERFORM set_config('cognomega.cache_enabled', 'on', true);
	p := (SELECT subscription_tier FROM users WHERE id = tap_uid(n));
	IF g IS NULL THEN
		PERFORM cognomega.cache_put('tier' || n, to_jsonb(p), NULL, '{users}');
	ELSIF g #>> '{}' IS DISTINCT FROM p THEN
		RAISE EXCEPTION 'stale cache_get for user %: % vs %', n, g, p;
	END IF;
	IF a IS DISTINCT FROM b OR c IS DISTINCT FROM d THEN
		RAISE EXCEPTION 'stale answer for user %: % / % vs % / %', n, a, c, b, d;
	END IF;
END $$;
-- READ COMMITTED: the cached call is never older than a plain read made
-- before it (the writers' tiers only grow)
CREATE FUNCTION tap_rc_check(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	p text; c text;
BEGIN
	p := (SELECT subscription_tier FROM users WHERE id = tap_uid(n));
	c := cognomega.user_with_apps(tap_uid(n))->'user'->>'subscription_tier';
	IF c < p THEN
		RAISE EXCEPTION 'stale answer (read committed) for user %: % after %', n, c, p;
	END IF;
END $$;
});

sub stats
{
	my ($node) = @_;
	return split /\|/, $node->safe_psql('postgres',
		'SELECT hits, misses, stores FROM cognomega.cache_stats');
}

# the tier user n has, read twice on node; returns (tier, hits gained)
sub read_twice
{
	my ($node, $n) = @_;
	my ($h0) = stats($node);
	my $out = $node->safe_psql('postgres', qq{
SELECT cognomega.user_with_apps(tap_uid($n))->'user'->>'subscription_tier';
SELECT cognomega.user_with_apps(tap_uid($n))->'user'->>'subscription_tier';
});
	my ($h1) = stats($node);
	my @v = split /\n/, $out;
	is($v[0], $v[1], "node " . $node->name . ": both reads agree");
	return ($v[1], $h1 - $h0);
}

# ---- the records, as pg_waldump shows them
my $lsn0 = $primary->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
$primary->safe_psql('postgres', q{UPDATE users SET is_active = true WHERE id = tap_uid(1)});
my $lsn1 = $primary->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
my ($stdout, $stderr);
IPC::Run::run(['pg_waldump', '-p', abs_path($primary->data_dir . '/pg_wal'),
	'-s', $lsn0, '-e', $lsn1], '>', \$stdout, '2>', \$stderr);
like($stdout, qr/rmgr: custom$rm_id .*\n.*rmgr: Transaction .*COMMIT/,
	"pg_waldump: one record of resource manager $rm_id before the commit");
$primary->safe_psql('postgres', 'CREATE EXTENSION IF NOT EXISTS pg_walinspect');
like($primary->safe_psql('postgres', qq{
SELECT resource_manager || ' ' || record_type || ' ' || description
  FROM pg_get_wal_records_info('$lsn0', '$lsn1') WHERE resource_manager = 'cognomega'}),
	qr/^cognomega WRITES_COMMIT db \d+; horizon \d+; \d+ of 65536 slots:( \d+)+$/,
	'pg_walinspect names and describes the record');

# ---- a standby from a base backup taken during writes
my $writer_sql = "$tmp/replica_writer.sql";
PostgreSQL::Test::Utils::append_to_file($writer_sql, q{
\set n random(1, 40)
\set t random(1, 100000)
BEGIN;
UPDATE users SET subscription_tier = 't' || lpad(nextval('tap_version')::text, 12, '0') WHERE id = tap_uid(:n);
UPDATE generated_apps SET title = 'a' || :t WHERE user_id = tap_uid(:n) AND title <> 'app1';
COMMIT;
});
sub start_writers
{
	my ($node, $rate) = @_;
	my ($o, $e);
	return IPC::Run::start(['pgbench', '-n', '-h', $node->host, '-p', $node->port,
		'-c', '2', '-j', '2', '-R', $rate, '-T', '900', '-f', $writer_sql, 'postgres'],
		'>', \$o, '2>', \$e);
}
my $writers = start_writers($primary, 100);
$primary->backup('during_writes');
my $standby = PostgreSQL::Test::Cluster->new('replica_standby');
$standby->init_from_backup($primary, 'during_writes', has_streaming => 1);
$standby->start;

# ---- torture: readers on the standby while the primary writes
my $reader_sql = "$tmp/replica_reader.sql";
PostgreSQL::Test::Utils::append_to_file($reader_sql, q{
\set n random(1, 40)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT tap_compare(:n);
COMMIT;
SELECT tap_rc_check(:n);
});
$primary->wait_for_catchup($standby);
my ($h0, $m0) = stats($standby);
$standby->command_ok(['pgbench', '-n', '-c', '4', '-j', '2', '-t', '600',
	'-f', $reader_sql, 'postgres'],
	'600 x 4 readers on the standby (REPEATABLE READ and READ COMMITTED): no stale answer');
my ($h1, $m1) = stats($standby);
$writers->kill_kill;
my $ratio = ($h1 - $h0) / (($h1 - $h0) + ($m1 - $m0) || 1);
note "standby: hits " . ($h1 - $h0) . ", misses " . ($m1 - $m0);
cmp_ok($ratio, '>=', 0.3, 'at least 30 % of the standby\'s lookups were hits');

# ---- the standby sees what the primary commits, and serves it
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'first' WHERE id = tap_uid(2)});
$primary->wait_for_catchup($standby);
my ($v, $hits) = read_twice($standby, 2);
is($v, 'first', 'standby: replayed value');
($v, $hits) = read_twice($standby, 2);
is($hits, 2, 'standby: then served');
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'second' WHERE id = tap_uid(2)});
$primary->wait_for_catchup($standby);
($v, $hits) = read_twice($standby, 2);
is($v, 'second', 'standby: a replayed commit invalidates');
($v, $hits) = read_twice($standby, 2);
is($hits, 2, 'standby: and serves again');

# cache_get / cache_put with dependencies
is($standby->safe_psql('postgres', q{
SELECT cognomega.cache_put('k', '"v1"', NULL, '{users}');
SELECT cognomega.cache_get('k');
}), "t\n\"v1\"", 'standby: cache_put and cache_get');
$primary->safe_psql('postgres', q{TRUNCATE voice_commands, users CASCADE});
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{SELECT cognomega.cache_get('k') IS NULL}), 't',
	'standby: a replayed write invalidates cache_put entries');
$primary->safe_psql('postgres', q{
INSERT INTO users (id, email, subscription_tier)
	SELECT tap_uid(n), 'u' || n || '@x', 't0' FROM generate_series(1, 40) n;
});

# a standby with the setting off still replays the records, and bypasses
my $off = PostgreSQL::Test::Cluster->new('replica_off');
$off->init_from_backup($primary, 'during_writes', has_streaming => 1);
$off->append_conf('postgresql.conf', 'cognomega.replica_invalidation = off');
$off->start;
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'off1' WHERE id = tap_uid(12)});
$primary->wait_for_catchup($off);
($v, $hits) = read_twice($off, 12);
is($v, 'off1', 'standby with the setting off: replays');
is(join('|', stats($off)), '0|0|0', 'standby with the setting off: bypasses its cache');
$off->stop;

# another cognomega.cache_key_slots: each replayed write stands for the
# whole database (the slots cannot be mapped)
my $slots = PostgreSQL::Test::Cluster->new('replica_slots');
$slots->init_from_backup($primary, 'during_writes', has_streaming => 1);
$slots->append_conf('postgresql.conf', 'cognomega.cache_key_slots = 1024');
$slots->start;
$primary->safe_psql('postgres', q{UPDATE users SET is_active = true WHERE id = tap_uid(14)});
$primary->wait_for_catchup($slots);
$primary->wait_for_catchup($standby);
for my $node ($slots, $standby)
{
	read_twice($node, 12);
	($v, $hits) = read_twice($node, 12);
	is($hits, 2, 'node ' . $node->name . ': served before the write');
}
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'slots' WHERE id = tap_uid(13)});
$primary->wait_for_catchup($slots);
$primary->wait_for_catchup($standby);
($v, $hits) = read_twice($standby, 12);
is($hits, 2, 'same slot count: a write to another key leaves the entry');
($v, $hits) = read_twice($slots, 12);
is($hits, 0, 'another slot count: a write to another key invalidates the database');
($v, $hits) = read_twice($slots, 13);
is($v, 'slots', 'another slot count: replayed value');
$slots->stop;

# ---- 2PC: prepared on the primary, then committed
$primary->wait_for_catchup($standby);
read_twice($standby, 3);
$primary->safe_psql('postgres', q{
BEGIN;
UPDATE users SET subscription_tier = 'prepared' WHERE id = tap_uid(3);
PREPARE TRANSACTION 'replica_tap';
});
$primary->wait_for_catchup($standby);
($v, $hits) = read_twice($standby, 3);
is($v, 't0', 'standby: a prepared transaction is not visible');
($v, $hits) = read_twice($standby, 3);
is($hits, 0, 'standby: its keys are neither served nor stored while prepared');
read_twice($standby, 4);
($v, $hits) = read_twice($standby, 4);
is($hits, 2, 'standby: other keys are still served');
$primary->safe_psql('postgres', q{COMMIT PREPARED 'replica_tap'});
$primary->wait_for_catchup($standby);
($v, $hits) = read_twice($standby, 3);
is($v, 'prepared', 'standby: COMMIT PREPARED replayed: the new value');
($v, $hits) = read_twice($standby, 3);
is($hits, 2, 'standby: and served again');

# ---- the primary crashes between the record and the commit
read_twice($standby, 5);
$primary->psql('postgres', q{
SET cognomega.debug_replica_crash_after_record = on;
UPDATE users SET subscription_tier = 'lost' WHERE id = tap_uid(5);
});
$primary->poll_query_until('postgres', 'SELECT true')
	or die 'the primary did not come back';
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'after' WHERE id = tap_uid(6)});
$primary->wait_for_catchup($standby);
($v, $hits) = read_twice($standby, 6);
is($v, 'after', 'standby: follows the restarted primary');
($v, $hits) = read_twice($standby, 5);
is($v, 't0', 'standby: the lost transaction never shows');
($v, $hits) = read_twice($standby, 5);
is($hits, 2, 'standby: its slots are released once it is known to be gone');

# ---- standby restart: the records replayed since its restart point
# (or the next one) make it serve again, and replayed writes invalidate
$standby->restart;
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'r1' WHERE id = tap_uid(7)});
$primary->wait_for_catchup($standby);
read_twice($standby, 7);
($v, $hits) = read_twice($standby, 7);
is($v, 'r1', 'restarted standby: replayed value');
is($hits, 2, 'restarted standby: served');
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'r2' WHERE id = tap_uid(7)});
$primary->wait_for_catchup($standby);
($v, $hits) = read_twice($standby, 7);
is($v, 'r2', 'restarted standby: invalidated by a replayed commit');

# ---- a cascading standby
$standby->backup('from_standby');
my $cascade = PostgreSQL::Test::Cluster->new('replica_cascade');
$cascade->init_from_backup($standby, 'from_standby', has_streaming => 1);
$cascade->start;
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'c1' WHERE id = tap_uid(9)});
$primary->wait_for_catchup($standby);
$standby->wait_for_catchup($cascade, 'replay', $primary->lsn('insert'));
read_twice($cascade, 9);
($v, $hits) = read_twice($cascade, 9);
is($v, 'c1', 'cascading standby: replayed value');
is($hits, 2, 'cascading standby: served');
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'c2' WHERE id = tap_uid(9)});
$primary->wait_for_catchup($standby);
$standby->wait_for_catchup($cascade, 'replay', $primary->lsn('insert'));
($v, $hits) = read_twice($cascade, 9);
is($v, 'c2', 'cascading standby: invalidated by the replayed commit');

# ---- promotion of the cascading standby
$cascade->promote;
$cascade->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
	or die 'no promotion';
my (undef, undef, $s0) = stats($cascade);
($v, $hits) = read_twice($cascade, 9);
my (undef, undef, $s1) = stats($cascade);
is($s1 - $s0, 1, 'promoted: the standby\'s entries are not served');
$cascade->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'promoted' WHERE id = tap_uid(9)});
($v, $hits) = read_twice($cascade, 9);
is($v, 'promoted', 'promoted: its own writes invalidate');
is($hits, 1, 'promoted: serves as a primary');
$cascade->stop;

# ---- a standby without the library: PostgreSQL's FATAL, with its HINT
my $bare = PostgreSQL::Test::Cluster->new('replica_bare');
$bare->init_from_backup($primary, 'during_writes', has_streaming => 1);
$bare->append_conf('postgresql.conf', "shared_preload_libraries = ''");
$bare->start(fail_ok => 1);
$primary->safe_psql('postgres', q{UPDATE users SET is_active = true WHERE id = tap_uid(10)});
$bare->wait_for_log(qr/FATAL: .*resource manager with ID $rm_id not registered/);
ok($bare->log_contains(qr/HINT: .*Include the extension module that implements this resource manager in "?shared_preload_libraries/),
	'a standby without the library stops with a hint');
$bare->stop('immediate', fail_ok => 1);

# ---- the primary restarted with the setting off: standbys stop serving
read_twice($standby, 11);
$primary->append_conf('postgresql.conf', 'cognomega.replica_invalidation = off');
$primary->restart;
$primary->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'unlogged' WHERE id = tap_uid(11)});
$primary->wait_for_catchup($standby);
($v, $hits) = read_twice($standby, 11);
is($v, 'unlogged', 'primary off: the standby answers what it replayed');
is($hits, 0, 'primary off: the standby bypasses its cache');
ok(!-e $primary->data_dir . '/cognomega_replica_invalidation',
	'primary off: the marker is gone once the off record is flushed');

$standby->stop;
$primary->stop;
done_testing();
