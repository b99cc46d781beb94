# Packaging metadata agrees with the extension: META.json (PGXN) carries the
# version of cognomega.control's default_version, and debian/changelog's
# newest entry is that version too.
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;

sub slurp_file_here { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; return <$fh>; }

my ($control) = slurp_file_here('cognomega.control') =~ /^default_version\s*=\s*'([^']+)'/m;
ok(defined $control, "cognomega.control has a default_version");

# PGXN versions are semantic versions: 0.3 is 0.3.0
my $semver = join('.', (split(/\./, $control), 0, 0)[0 .. 2]);

my $meta = decode_json(slurp_file_here('META.json'));
is($meta->{version}, $semver, "META.json version is default_version $control");
is($meta->{provides}{cognomega}{version}, $semver, "META.json provides cognomega $semver");
is($meta->{'meta-spec'}{version}, '1.0.0', 'META.json follows PGXN Meta Spec 1.0.0');
is($meta->{license}, 'postgresql', 'META.json license is the PostgreSQL License');
ok(-f 'LICENSE', 'LICENSE file present');
is($meta->{prereqs}{runtime}{requires}{PostgreSQL}, '15.0.0', 'requires PostgreSQL 15 or later');

my ($deb) = slurp_file_here('debian/changelog') =~ /^cognomega \(([^)]+)\)/;
is($deb, $control, "debian/changelog's newest version is $control");

done_testing();
