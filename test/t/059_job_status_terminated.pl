# A session running run_job('partition_maintenance') that is terminated
# (pg_terminate_backend: a FATAL, which PG_CATCH never sees) left the job
# "running" in job_status, for ever in a database without a worker.  The
# job now ends as an error when the session exits.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CognomegaNode;

my $node = CognomegaNode::preloaded('job_terminated');
$node->safe_psql('postgres', q{
	CREATE EXTENSION cognomega;
	CREATE TABLE jt (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('jt', 'ts', '1 day', 1);
	INSERT INTO jt VALUES (now() + interval '10 days');
	CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS
	  $$ BEGIN PERFORM pg_sleep(300); RETURN OLD; END $$;
	CREATE TRIGGER slow BEFORE DELETE ON jt FOR EACH ROW EXECUTE FUNCTION slow();
});

my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'),
	  '-c', q{SELECT cognomega.run_job('partition_maintenance') /* termjob */} ],
	'>', \$out, '2>', \$err);
ok($node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE wait_event = 'PgSleep' AND query LIKE '%termjob%'}),
	'the job is in the owner\'s trigger');
is($node->safe_psql('postgres',
		q{SELECT last_status FROM cognomega.job_status WHERE job = 'partition_maintenance'}),
	'running', 'shown running while it runs');
my $pid = $node->safe_psql('postgres', q{
SELECT pid FROM pg_stat_activity WHERE query LIKE '%termjob%' AND pid <> pg_backend_pid()});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$h->finish;
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid"),
	'the session is gone');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM cognomega.job_status WHERE last_status = 'running'}),
	'0', 'no job is shown running after the session running it was terminated');
is($node->safe_psql('postgres',
		q{SELECT last_status || ': ' || last_error FROM cognomega.job_status WHERE job = 'partition_maintenance'}),
	'error: the session running the job ended', 'the run ended as an error');
is($node->safe_psql('postgres', 'SELECT count(*) FROM jt'), '1', 'the row is kept');

$node->stop;
done_testing();
