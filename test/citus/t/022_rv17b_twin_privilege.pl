# rv17b (adversarial review, issue 17): a DBA hardens the extension the
# usual way (REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA cognomega FROM
# PUBLIC, then GRANT EXECUTE on the documented API to the application
# role).  docs/scale-out.md and 005_routing say EXECUTE on the public
# function is what counts; but the planner hook silently rewrites the
# application's `SELECT cognomega.user_with_apps(k)` into the internal
# twin, so the granted role gets 42501 "permission denied for function
# _user_with_apps_routed" for a function it may execute: on the
# coordinator and on the worker not holding the user (the twin's revoked
# EXECUTE checked by the executor, locally or on the holder through the
# SQL routing_remote_document sends), while the holder answers: the answer
# depends on the node called.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17b_priv');
my $u = '00000000-0000-0000-0000-000000000023';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) VALUES ('$u', 'u23\@x');
INSERT INTO generated_apps (user_id, title) VALUES ('$u', 'first');
SELECT count(*) FROM cognomega.distribute(4);
CREATE ROLE rv17b_app LOGIN;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO rv17b_app;
GRANT USAGE ON SCHEMA cognomega TO rv17b_app;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA cognomega FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cognomega.user_with_apps(uuid) TO rv17b_app;
});

for my $n ($coord, @workers)
{
	my $has = $n->safe_psql('postgres', q{
SELECT has_function_privilege('rv17b_app', 'cognomega.user_with_apps(uuid)', 'EXECUTE')});
	is($has, 't', $n->name . ': the role may execute user_with_apps');
	my ($rc, $out, $err) = $n->psql('postgres', qq{SET ROLE rv17b_app;
SELECT cognomega.user_with_apps('$u')::jsonb #>> '{user,email}'});
	note $n->name . ": rc=$rc out=$out err=$err";
	is($out, 'u23@x', $n->name . ': the granted role gets the document');
	unlike($err, qr/permission denied/, $n->name . ': no permission error for the internal twin');
}
done_testing();
