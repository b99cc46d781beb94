# The worker against owner code that outlives its part (second review of
# issues 19 and 21): a trigger that catches the parent's cancel
# (EXCEPTION WHEN query_canceled, in a loop) must not hold the worker, and
# so the stats job and every other parent, for ever; a session-level
# advisory lock taken by an owner's trigger must not stay held by the
# worker.  Every wait is bounded (poll_query_until).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('partman_review2');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = 'postgres'
cognomega.stats_interval = 1
cognomega.maintenance_interval = 1
cognomega.maintenance_parent_timeout = '1s'
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION cognomega;
	CREATE ROLE alice LOGIN;
	CREATE SCHEMA a AUTHORIZATION alice;
	SET ROLE alice;
	SET search_path = a;
	-- a trigger that takes a session-level advisory lock, fired by the rescue
	CREATE TABLE adv (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
	SELECT cognomega.create_parent('adv', 't', '1 month', 2);
	CREATE FUNCTION adv_trig() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN PERFORM pg_catalog.pg_advisory_lock(4242); RETURN OLD; END $$;
	CREATE TRIGGER adv_del BEFORE DELETE ON adv FOR EACH ROW EXECUTE FUNCTION adv_trig();
	INSERT INTO adv VALUES (1, '2001-01-01');
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM ONLY a.adv_default}),
	'the worker moved the row (the trigger ran)');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_locks l JOIN pg_stat_activity s USING (pid)
			WHERE l.locktype = 'advisory' AND s.backend_type <> 'client backend'}),
	'the worker does not keep the advisory lock the owner\'s trigger took');

# a trigger that catches every cancel and sleeps again
$node->safe_psql('postgres', q{
	SET ROLE alice;
	SET search_path = a;
	CREATE TABLE stubborn (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
	SELECT cognomega.create_parent('stubborn', 't', '1 month', 2);
	CREATE FUNCTION stubborn_trig() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		LOOP
			BEGIN
				PERFORM pg_catalog.pg_sleep(3600);
			EXCEPTION WHEN query_canceled THEN
				NULL;
			END;
		END LOOP;
	END $$;
	CREATE TRIGGER stubborn_del BEFORE DELETE ON stubborn FOR EACH ROW EXECUTE FUNCTION stubborn_trig();
	INSERT INTO stubborn VALUES (1, '2001-01-01');
});
ok($node->wait_for_log(qr/failed for a\.stubborn: canceling statement due to statement timeout|previous worker was stopped during the maintenance/),
	'the stubborn parent reached its time limit');
my $runs = $node->safe_psql('postgres',
	q{SELECT runs FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'});
ok($node->poll_query_until('postgres',
		qq{SELECT runs >= $runs + 3 FROM cognomega.job_status WHERE database = 'postgres' AND job = 'stats'}),
	'the stats job goes on although the trigger catches the cancel');
ok($node->poll_query_until('postgres',
		q{SELECT last_error LIKE '%maintenance_parent_timeout%' AND last_maintenance IS NOT NULL
			FROM cognomega.part_config WHERE parent = 'a.stubborn'::regclass}),
	'the parent is stamped with why the worker stopped');
is($node->safe_psql('postgres', q{SELECT count(*) FROM a.stubborn}), '1', 'its row is kept');

$node->stop;
done_testing();
