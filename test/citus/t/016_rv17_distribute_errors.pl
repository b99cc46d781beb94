# rv17 (adversarial review, issue 17): schema objects an application may add
# before distribute(): each refusal has a SQLSTATE other than XX000, and
# leaves nothing distributed.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

sub sqlstate
{
	my ($node, $sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	note $err;
	return $err =~ /ERROR:  ([0-9A-Z]{5}):/ ? $1 : '';
}

my ($coord, @workers) = CitusCluster::start('rv17e');
$coord->safe_psql('postgres', q{SELECT count(*) FROM cognomega.setup()});

my @cases = (
	['a unique index on lower(email)', q{CREATE UNIQUE INDEX rv17_email ON users (lower(email))}, q{DROP INDEX rv17_email}],
	['a user trigger on users', q{CREATE FUNCTION rv17_t() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
		CREATE TRIGGER rv17_t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION rv17_t()}, q{DROP TRIGGER rv17_t ON users}],
	['a view over users', q{CREATE VIEW rv17_v AS SELECT id, email FROM users}, q{DROP VIEW rv17_v}],
	['a local table referencing users', q{CREATE TABLE rv17_sessions (user_id uuid REFERENCES users (id))}, q{DROP TABLE rv17_sessions}],
);
for my $c (@cases)
{
	my ($what, $make, $undo) = @$c;
	$coord->safe_psql('postgres', $make);
	my $st = sqlstate($coord, 'SELECT * FROM cognomega.distribute(4)');
	if ($st eq '')
	{
		pass("$what: distribute() accepts it");
		note $coord->safe_psql('postgres', q{SELECT logicalrelid, partmethod FROM pg_dist_partition ORDER BY 1::text});
		last;	# the accepting case is the last one
	}
	isnt($st, 'XX000', "$what: not XX000 ($st)");
	is($coord->safe_psql('postgres', 'SELECT count(*) FROM pg_dist_partition'), '0', "$what: nothing distributed");
	$coord->safe_psql('postgres', $undo);
}
done_testing();
