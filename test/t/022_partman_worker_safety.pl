# Partition maintenance by the worker against hostile or odd parents of a
# non-superuser owner (issues 19.1, 21.1, 21.2): a partitioned default
# partition is skipped, never crashed on (no crash-restart loop); settings
# the owner's trigger changes do not stick in the worker; a parent whose
# trigger sleeps is cut off by cognomega.maintenance_parent_timeout while
# the stats job goes on.  Every wait is bounded (poll_query_until).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('partman_safety');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = 'postgres, other'
cognomega.stats_interval = 1
cognomega.maintenance_interval = 1
cognomega.maintenance_parent_timeout = '2s'
restart_after_crash = on
});
$node->start;
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

$node->safe_psql('postgres', q{
	CREATE EXTENSION cognomega;
	CREATE ROLE alice LOGIN;
	CREATE SCHEMA a AUTHORIZATION alice;
	SET ROLE alice;
	SET search_path = a;
	-- a default partition re-created partitioned behind cognomega's back
	CREATE TABLE pd (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
	SELECT cognomega.create_parent('pd', 't', '1 month', 2);
	ALTER TABLE pd DETACH PARTITION pd_default;
	CREATE TABLE pd_def PARTITION OF pd DEFAULT PARTITION BY LIST (id);
	CREATE TABLE pd_def_1 PARTITION OF pd_def FOR VALUES IN (1);
	INSERT INTO pd VALUES (1, '2001-01-01');
	-- a trigger that changes settings, fired by the rescue
	CREATE TABLE sticky (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
	SELECT cognomega.create_parent('sticky', 't', '1 month', 2);
	CREATE FUNCTION sticky_trig() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM pg_catalog.set_config('default_transaction_read_only', 'on', false);
		PERFORM pg_catalog.set_config('search_path', 'a, pg_catalog', false);
		RETURN OLD;
	END $$;
	CREATE TRIGGER sticky_del BEFORE DELETE ON sticky FOR EACH ROW EXECUTE FUNCTION sticky_trig();
});

ok($node->poll_query_until('postgres',
		q{SELECT last_error LIKE '%is partitioned%' FROM cognomega.part_config WHERE parent = 'a.pd'::regclass}),
	'the worker skips a partitioned default and says why');
$node->safe_psql('postgres', q{INSERT INTO a.sticky VALUES (1, '2001-01-01')});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM ONLY a.sticky_default}),
	'the worker moved the row (the trigger ran)');
my $runs = $node->safe_psql('postgres',
	q{SELECT runs FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'});
ok($node->poll_query_until('postgres',
		qq{SELECT runs >= $runs + 3 AND last_status = 'ok' FROM cognomega.job_status
			WHERE database = 'postgres' AND job = 'stats'}),
	'the stats job still writes: the trigger\'s default_transaction_read_only did not stick');
is($node->safe_psql('postgres', q{SELECT count(*) FROM a.sticky}), '1', 'the row is kept');

# a trigger that sleeps: the parent is cut off, stats goes on
$node->safe_psql('postgres', q{
	SET ROLE alice;
	SET search_path = a;
	CREATE TABLE slow (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
	SELECT cognomega.create_parent('slow', 't', '1 month', 2);
	CREATE FUNCTION slow_trig() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN PERFORM pg_catalog.pg_sleep(3600); RETURN OLD; END $$;
	CREATE TRIGGER slow_del BEFORE DELETE ON slow FOR EACH ROW EXECUTE FUNCTION slow_trig();
	INSERT INTO slow VALUES (1, '2001-01-01');
});
ok($node->wait_for_log(qr/failed for a\.slow: canceling statement due to statement timeout/),
	'a parent that takes too long is cancelled by maintenance_parent_timeout');
$runs = $node->safe_psql('postgres',
	q{SELECT runs FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'});
ok($node->poll_query_until('postgres',
		qq{SELECT runs >= $runs + 2 FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'}),
	'the stats job goes on');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ONLY a.slow_default}), '1',
	'the slow parent\'s row stays in its default partition');
ok($node->poll_query_until('postgres',
		q{SELECT last_error LIKE '%statement timeout%' AND last_maintenance IS NOT NULL
			FROM cognomega.part_config WHERE parent = 'a.slow'::regclass}),
	'the cancelled parent is stamped with its error (not retried first on every run)');

# job_status of a database whose extension is dropped, or that is dropped
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', 'CREATE EXTENSION cognomega');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 3 FROM cognomega.job_status WHERE database = 'other' AND runs > 0}),
	'the other database\'s jobs ran');
$node->safe_psql('other', 'DROP EXTENSION cognomega');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 3 FROM cognomega.job_status WHERE database = 'other' AND worker_pid IS NULL}),
	'the other database\'s worker left after DROP EXTENSION');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM cognomega.job_status WHERE database = 'other' AND last_status = 'running'}),
	'0', 'no job of it is shown running for ever');
$node->safe_psql('postgres', 'DROP DATABASE other WITH (FORCE)');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cognomega.job_status WHERE database = 'other'}),
	'0', 'a dropped database has no rows in job_status');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'no crash-restart happened');
unlike(slurp_file($node->logfile), qr/terminated by signal/, 'no backend or worker crashed');

$node->stop;
done_testing();
