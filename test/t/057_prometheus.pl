# contrib/prometheus/cognomega.yaml with the real postgres_exporter
# (Debian's prometheus-postgres-exporter), on loopback against a throwaway
# cluster: every cognomega_* metric is scraped with a sane value, and every
# metric contrib/grafana/cognomega.json queries is one the exporter makes.
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $exporter = '/usr/bin/prometheus-postgres-exporter';
plan skip_all => "$exporter is not installed (scripts/install-deps installs it)"
  unless -x $exporter;

my $node = CognomegaNode::preloaded('prometheus');
$node->safe_psql('postgres', q{
	CREATE EXTENSION cognomega;
	CREATE TABLE ev (at timestamptz NOT NULL) PARTITION BY RANGE (at);
	SELECT cognomega.create_parent('ev', 'at', '1 day', 3);
	INSERT INTO ev VALUES (now() - interval '1 year');
	SELECT cognomega.cache_put('k', '1');
	SELECT cognomega.cache_get('k');
	SELECT cognomega.cache_get('nope');
	SELECT cognomega.run_job('cache_sweep');
	SELECT cognomega.run_job('stats');
	CREATE ROLE scraper LOGIN IN ROLE pg_monitor;
});
# partition_status counts the rows of a default partition for whom may read it
$node->safe_psql('postgres', 'GRANT pg_read_all_data TO scraper');

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $dsn = sprintf('host=%s port=%d user=scraper dbname=postgres sslmode=disable',
	$node->host, $node->port);
my $log = $node->basedir . '/exporter.log';
my $h = IPC::Run::start(
	[ $exporter, '--extend.query-path=contrib/prometheus/cognomega.yaml',
	  "--web.listen-address=127.0.0.1:$port", '--disable-settings-metrics' ],
	'<', \undef, '>', $log, '2>', $log,
	init => sub { $ENV{DATA_SOURCE_NAME} = $dsn; });

my $metrics = '';
for (1 .. 100)
{
	$metrics = `curl -s http://127.0.0.1:$port/metrics 2>/dev/null`;
	last if $metrics =~ /^cognomega_cache_hits/m;
	select(undef, undef, undef, 0.2);
}
$h->kill_kill;
ok($metrics =~ /^cognomega_/m, 'the exporter serves cognomega metrics')
  or diag(PostgreSQL::Test::Utils::slurp_file($log));


# the value of the first sample of a metric that has all the given labels
# (comma-separated k="v"; the exporter adds a server label of its own)
sub value
{
	my ($name, $labels) = @_;
	my @want = split /,/, ($labels // '');
	for my $line (split /\n/, $metrics)
	{
		next if $line =~ /^#/;
		next unless $line =~ /^\Q$name\E(\{[^}]*\})?\s+(\S+)$/;
		my ($l, $v) = ($1 // '', $2);
		next if grep { index($l, $_) < 0 } @want;
		return $v;
	}
	return undef;
}

my %want = (
	cognomega_cache_entries => sub { $_[0] >= 1 },
	cognomega_cache_bytes_used => sub { $_[0] > 0 },
	cognomega_cache_bytes_total => sub { $_[0] >= 16 * 1024 * 1024 },
	cognomega_cache_hits => sub { $_[0] >= 1 },
	cognomega_cache_misses => sub { $_[0] >= 1 },
	cognomega_cache_stores => sub { $_[0] >= 1 },
	cognomega_cache_evictions => sub { $_[0] >= 0 },
	cognomega_cache_expirations => sub { $_[0] >= 0 },
	cognomega_cache_invalidations => sub { $_[0] >= 0 },
	cognomega_system_memory_used => sub { $_[0] > 0 },
	cognomega_system_memory_total => sub { $_[0] > 0 },
	cognomega_system_memory_percent => sub { $_[0] > 0 && $_[0] <= 100 },
	cognomega_system_cpu_seconds => sub { $_[0] > 0 },
	cognomega_system_cpu_count => sub { $_[0] >= 1 },
	cognomega_system_load_1m => sub { $_[0] >= 0 },
);
for my $m (sort keys %want)
{
	my $v = value($m);
	ok(defined $v && $want{$m}->($v), "$m = " . ($v // 'missing'));
}

is(value('cognomega_partition_rows_in_default', 'parent="ev"'), '1',
	'cognomega_partition_rows_in_default{parent="ev"}');
ok(value('cognomega_partition_premade_ahead', 'parent="ev"') >= 3,
	'cognomega_partition_premade_ahead{parent="ev"}');
ok(defined value('cognomega_partition_partitions', 'parent="ev"'), 'cognomega_partition_partitions');
ok(value('cognomega_partition_seconds_since_maintenance', 'parent="ev"') >= 0,
	'cognomega_partition_seconds_since_maintenance');
is(value('cognomega_job_runs', 'job="stats"'), '1', 'cognomega_job_runs{job="stats"}');
is(value('cognomega_job_failures', 'job="stats"'), '0', 'cognomega_job_failures{job="stats"}');
ok(value('cognomega_job_last_success_seconds', 'job="stats"') > 1.7e9,
	'cognomega_job_last_success_seconds{job="stats"} is a recent Unix time');
is(value('cognomega_alerts_open', 'kind="ROWS_IN_DEFAULT_PARTITION",severity="WARNING"'), '1',
	'cognomega_alerts_open{kind="ROWS_IN_DEFAULT_PARTITION",severity="WARNING"}');
is(value('cognomega_alerts_open', 'kind="HIGH_CPU_USAGE",severity="CRITICAL"'), '0',
	'cognomega_alerts_open: every kind and severity, 0 when none');

# the counters are typed as counters
like($metrics, qr/^# TYPE cognomega_cache_hits counter$/m, 'cognomega_cache_hits is a counter');
like($metrics, qr/^# TYPE cognomega_system_cpu_seconds counter$/m, 'cognomega_system_cpu_seconds is a counter');

# --- the Grafana dashboard queries only what the exporter makes -------------------
my $dash = decode_json(PostgreSQL::Test::Utils::slurp_file('contrib/grafana/cognomega.json'));
my %used;
for my $p (@{ $dash->{panels} })
{
	$used{$_} = 1 for map { $_->{expr} =~ /\b(cognomega_[a-z0-9_]+)/g } @{ $p->{targets} };
}
ok(keys %used >= 10, 'the dashboard queries ' . scalar(keys %used) . ' metrics');
for my $m (sort keys %used)
{
	ok($metrics =~ /^\Q$m\E[{ ]/m, "dashboard metric $m is exported");
}

done_testing();
