# The machine-readable reports test_notice composes, checked by code that
# is not ours (t/lib/xarf_check.py):
# - XARF v4 against the official schemas of the xarf-spec project, vendored
#   in t/data/xarf-spec (draft 2020-12, with format checks, through Debian's
#   python3-jsonschema): every report (IPv4 and IPv6 sources, each kind of
#   family, arf, hostile and long request lines) must validate, and a
#   report with a required field missing or a bad date must not;
# - X-ARF 0.2 by its rules, the YAML report read back by python3-yaml:
#   every mandatory field, Schema-URL included, and an IPv6 Source that
#   YAML 1.1 would read as a number if it were not quoted; a report without
#   Schema-URL, or with the Source unquoted, must fail.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use WrXarf qw(xarf_spec_dir xarf_check);

my $spec = xarf_spec_dir();     # vendored: t/data/xarf-spec/SOURCE

my $top = "$FindBin::Bin/..";
my $dir = tempdir(CLEANUP => 1);
system("WR_NOTICE_DUMP=$dir $top/build/unit/test_notice >/dev/null 2>&1");
opendir my $dh, $dir or die;
my @eml = sort map { "$dir/$_" } grep { /^xarf4-.*\.eml$/ } readdir $dh;
closedir $dh;
cmp_ok scalar(@eml), '>=', 7, 'test_notice wrote its XARF v4 reports';

my ($rc, $out) = xarf_check('xarf4', $spec, @eml);
is $rc, 0, 'every report is valid XARF v4' or diag $out;
for my $want (qw(infected_host vulnerability_scan reconnaissance)) {
    like $out, qr{valid XARF v4 connection/$want}, "$want: a report validated";
}
like $out, qr/source 2001:db8::10\b/, 'an IPv6 source validated';
note $out;

# The check bites: the same report with a required field removed, with a
# date that is not one, with a non-UUID report_id.
my ($nimda) = grep { /xarf4-nimda\.eml$/ } @eml;
my $json = `/usr/bin/python3 -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_content_type() == "application/json":
        sys.stdout.write(p.get_payload(decode=True).decode())
' $nimda`;
like $json, qr/"bot_type": "malicious"/, 'the Nimda report as JSON';
my %bad = (
    'no bot_type'  => sub { $_[0] =~ s/"bot_type": "malicious", //; },
    'no source_identifier' => sub { $_[0] =~ s/\s*"source_identifier": "[^"]*",//; },
    'bad timestamp' => sub { $_[0] =~ s/"timestamp": "[^"]*"/"timestamp": "2024-13-01T12:00:00Z"/; },
    'report_id not a UUID' => sub { $_[0] =~ s/"report_id": "[^"]*"/"report_id": "wr-1"/; },
);
for my $what (sort keys %bad) {
    my $j = $json;
    ok $bad{$what}->($j), "$what: edited";
    (my $f = "$dir/bad-$what.json") =~ s/ /_/g;
    open my $fh, '>', $f or die;
    print $fh $j;
    close $fh;
    my ($brc, $bout) = xarf_check('xarf4', $spec, $f);
    is $brc, 1, "$what: refused by the schemas" or diag $bout;
    like $bout, qr/^FAIL /m, "$what: $bout";
}

# X-ARF 0.2
opendir $dh, $dir or die;
my @x02 = sort map { "$dir/$_" } grep { /^xarf02-.*\.eml$/ } readdir $dh;
closedir $dh;
cmp_ok scalar(@x02), '>=', 3, 'test_notice wrote its X-ARF 0.2 reports';
($rc, $out) = xarf_check('xarf02', @x02);
is $rc, 0, 'every X-ARF 0.2 report passes its rules' or diag $out;
like $out, qr/Source '2001:4:5:6:7:8:9:10' \(str\)/,
    'the IPv6 Source reads back as a string';
like $out, qr/Malware 'Nimda worm'/, 'Malware for a worm';
note $out;

my ($ipv6) = grep { /xarf02-ipv6\.eml$/ } @x02;
open my $in, '<', $ipv6 or die;
my $eml = do { local $/; <$in> };
close $in;
my %bad02 = (
    'no Schema-URL' => sub { $_[0] =~ s/^Schema-URL: [^\r]*\r\n//m; },
    'Source unquoted' => sub { $_[0] =~ s/^Source: '([^']*)'/Source: $1/m; },
    'Report-ID without a domain' =>
        sub { $_[0] =~ s/^(Report-ID: '[^\@']*)\@[^']*'/$1'/m; },
);
for my $what (sort keys %bad02) {
    my $m = $eml;
    ok $bad02{$what}->($m), "X-ARF 0.2, $what: edited";
    (my $f = "$dir/bad02-$what.eml") =~ s/ /_/g;
    open my $fh, '>', $f or die;
    print $fh $m;
    close $fh;
    my ($brc, $bout) = xarf_check('xarf02', $f);
    is $brc, 1, "X-ARF 0.2, $what: refused" or diag $bout;
    like $bout, qr/^FAIL /m, "X-ARF 0.2, $what: $bout";
}
done_testing;
