# Background workers, the sentences of docs/workers.md not covered by
# 050_workers.pl: with cognomega.databases and cognomega.worker_role left at
# their defaults the jobs run in database postgres as the bootstrap
# superuser; an idle worker holds no lock; SIGTERM ends a worker within a
# second; the launcher and the workers die with the postmaster; their SQL
# ignores a search_path that puts another schema before pg_catalog.
#
# Every wait is bounded (poll_query_until); no sleep decides pass or fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('workers_contract');
$node->init;
# databases and worker_role at their defaults; the jobs after their first
# run stay asleep long enough for the lock check below
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.cache_sweep_interval = '1h'
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cognomega');

sub wait_for
{
	my ($query, $what) = @_;
	ok($node->poll_query_until('postgres', $query), $what);
}

# --- defaults: database postgres, the bootstrap superuser -------------------
wait_for(q{SELECT count(*) = 3 FROM cognomega.job_status
			WHERE database = 'postgres' AND runs >= 1 AND last_status = 'ok'},
	'with cognomega.databases at its default the jobs run in postgres');
is($node->safe_psql('postgres',
		q{SELECT a.usename = (SELECT rolname FROM pg_authid WHERE oid = 10)
			FROM pg_stat_activity a WHERE a.backend_type = 'cognomega worker'}),
	't', 'the worker runs as the bootstrap superuser by default');
is($node->safe_psql('postgres',
		q{SELECT next_run - last_start FROM cognomega.job_status
		   WHERE database = 'postgres' ORDER BY job}),
	"01:00:00\n01:00:00\n00:01:00",
	'default intervals: maintenance 1h, stats 1min (cache_sweep set to 1h here)');

# --- an idle worker holds no lock, no snapshot, no transaction --------------
# (stats runs once a minute for a few ms, the other jobs hourly: sample until
# the worker is idle and then look at its locks)
wait_for(q{SELECT state = 'idle' FROM pg_stat_activity WHERE backend_type = 'cognomega worker'},
	'the worker goes idle');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_locks l
		   WHERE l.pid IN (SELECT pid FROM pg_stat_activity
							WHERE backend_type LIKE 'cognomega%')}),
	'0', 'the sleeping launcher and worker hold no lock');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity
		   WHERE backend_type LIKE 'cognomega%'
			 AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL OR xact_start IS NOT NULL)}),
	'0', 'nor a snapshot or transaction');

# --- SIGTERM ends a worker within a second ----------------------------------
my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cognomega worker'});
is($node->safe_psql('postgres', "SELECT pg_terminate_backend($pid, 1000)"),
	't', 'SIGTERM: the worker exits within a second');
wait_for("SELECT count(*) = 1 FROM pg_stat_activity
		   WHERE backend_type = 'cognomega worker' AND pid <> $pid",
	'and is started again');

# --- the worker's SQL is not at the mercy of a search_path ------------------
# (a database setting puts public before pg_catalog; an operator planted in
# public would run as the worker's superuser)
$node->safe_psql('postgres', q{
	CREATE TABLE public.hijacked (who text);
	CREATE FUNCTION public.hijack_le(timestamptz, timestamptz) RETURNS bool
		LANGUAGE plpgsql AS $$BEGIN
			INSERT INTO public.hijacked VALUES (current_user);
			RETURN $1 OPERATOR(pg_catalog.<=) $2;
		END$$;
	CREATE OPERATOR public.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz,
							   FUNCTION = public.hijack_le);
	CREATE TABLE ev (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('ev', 'ts', '1 day');
	UPDATE cognomega.part_config SET last_maintenance = now() - interval '2 hours';
	ALTER DATABASE postgres SET search_path = public, pg_catalog;
});
$pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cognomega worker'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid, 1000)");
wait_for(q{SELECT last_maintenance > now() - interval '1 minute' FROM cognomega.part_config
			WHERE parent = 'public.ev'::pg_catalog.regclass},
	'the restarted worker maintained the parents');
is($node->safe_psql('postgres', q{SELECT count(*) FROM public.hijacked}),
	'0', 'no operator of the search_path ran in the worker');
$node->safe_psql('postgres', q{ALTER DATABASE postgres RESET search_path});

# --- they die with the postmaster -------------------------------------------
my @pids = split /\n/, $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type LIKE 'cognomega%' ORDER BY pid});
is(scalar @pids, 2, 'a launcher and a worker before the postmaster dies');
$node->kill9;
my $alive = scalar @pids;
for (my $i = 0; $i < 10 * $PostgreSQL::Test::Utils::timeout_default && $alive; $i++)
{
	$alive = grep { kill 0, $_ } @pids;
	select(undef, undef, undef, 0.1) if $alive;
}
is($alive, 0, 'the launcher and the worker exit when the postmaster dies');

done_testing();
