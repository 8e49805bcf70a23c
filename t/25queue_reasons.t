# wormreply queue says why each record of a live spool waits and until
# when (issue 14.2): a private httpd with a notifier, the DNS rig, and
# records the notifier holds for each of its reasons:
# - held by the domain window (a digest for the domain went out),
# - held by WormReplyMaxPerHour (the hour's one notice is spent),
# - given back to new/ after a DNS timeout (retry after backoff at T),
# - failed (planted: the failure is the reason, due never).
# Every record listed carries a "why; due" line, a held one never shows
# "active" alone, and "queue show" gives the same why and due.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(strftime);
use Test::More;
use WrPrivateHttpd;

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $cli = "$top/tools/wormreply";
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");
my $NIMDA = '/scripts/root.exe?/c+dir';

my $h = WrPrivateHttpd->new(port => 18133);
my $d = $h->dir;
$h->write_conf(<<"EOF");
WormReply On
WormReplyNotify On
WormReplySourcePrefix 32 128
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 192.0.2.0/24
WormReplyDigestDelay 1s
WormReplyDomainWindow 1h
WormReplyMaxPerHour 1
WormReplyFrom wormreply\@wr-notices.test
EOF
ok $h->start, 'httpd with a notifier started' or diag $h->error_log;
ok $h->wait_for(sub { $h->notifier_pid }, 10), 'the notifier runs';

sub queue {
    my @a = @_;
    my $out = qx{$cli queue --spool $d/spool @a 2>&1};
    return ($? >> 8, $out);
}

# the first digest of the hour: wormreply.test (host10)
$h->probe('192.0.2.10', $NIMDA);
ok $h->wait_for(sub { scalar($h->messages) >= 1 }, 30),
    'the first digest (wormreply.test) was written' or diag $h->error_log;

# then: host19 of wormreply.test (its window runs), host30 of another
# domain (the hour's cap is spent), host16 (its PTR's A query times out)
$h->probe($_, $NIMDA) for qw(192.0.2.19 192.0.2.30 192.0.2.16);
my ($rc, $out);
my $ok = $h->wait_for(sub {
    ($rc, $out) = queue('list');
    $out =~ /held: the domain window of wormreply\.test/
        && $out =~ /held: WormReplyMaxPerHour reached/
        && $out =~ /retry after backoff/;
}, 60);
ok $ok, 'queue list: the three waiting records, each with its reason'
    or diag "$out\n" . $h->error_log;
is $rc, 0, 'queue list exits 0';

# the record blocks: "ID STATE COUNT LAST ADDRESS FAMILY" then indented
# lines, the last of which is "why; due when"
my %rec;
(my $table = $out) =~ s/^-- .*\n?//mg;
for my $blk (split /\n(?=\d{11}\.)/, $table) {
    my ($id, $state, $addr) = $blk =~ /^(\d{11}\.\S+)\s+(\w+)\s+\d+\s+\S+\s+(\S+)/
        or next;
    my ($why, $due) = $blk =~ /\n {8}([^\n]*); due ([^\n]*)\n?\z/;
    $rec{$addr} = { id => $id, state => $state, why => $why, due => $due };
}
is scalar(keys %rec), 3, 'three records listed' or diag $out;
ok !(grep { !defined $_->{why} } values %rec),
    'every record has a "why; due" line' or diag $out;

my $hour = time + 3600;
sub near_hour {
    my $t = shift // return 0;
    my ($Y, $M, $D, $hh, $mm, $ss) =
        $t =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/ or return 0;
    require Time::Local;
    my $e = Time::Local::timegm($ss, $mm, $hh, $D, $M - 1, $Y);
    return abs($e - $hour) < 120;
}

my $w = $rec{'192.0.2.19'} // {};
is $w->{state}, 'active', 'host19: in cur/, claimed';
like $w->{why}, qr/^held: the domain window of wormreply\.test/,
    '... held by the domain window, said so';
ok near_hour($w->{due}), "... due when the window ends, in an hour ("
    . ($w->{due} // '') . ')'
    or diag $out;

my $c = $rec{'192.0.2.30'} // {};
is $c->{state}, 'active', 'host30: in cur/, claimed';
like $c->{why}, qr/^held: WormReplyMaxPerHour reached; the digest for wr--test\.co\.uk waits/,
    '... held by the hourly cap, said so';
ok near_hour($c->{due}), "... due when the hour's notice stops counting ("
    . ($c->{due} // '') . ')'
    or diag $out;

my $s = $rec{'192.0.2.16'} // {};
is $s->{state}, 'queued', 'host16: back in new/';
like $s->{why}, qr/^retry after backoff \(DNS: .+\)/,
    '... retry after backoff, with the DNS failure';
like $s->{due}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '... due at a time';
my $sdue = $s->{due} // '?';
like $out, qr/^\s+attempts 1, next try \Q$sdue\E$/m,
    '... the same as its next try';

# show: the same why and due, and the record without the notifier's notes
($rc, my $show) = queue('show', $w->{id} // 'x');
is $rc, 0, 'queue show of the held record';
my $wdue = $w->{due} // '?';
like $show, qr/^state: active\nwhy: held: the domain window of wormreply\.test[^\n]*\ndue: \Q$wdue\E\n/m,
    '... state, why and due' or diag $show;
unlike $show, qr/^(?:decision|reason): /m, '... the notes said once, in words';

# a failed record: the failure is its reason, due never
my $id = '00000000001.000001.P1.Q1.R0123456789abcdef';
open my $fh, '>', "$d/spool/failed/$id" or die $!;
print $fh "version: 1\naddress: 192.0.2.40\nfamily: nimda\nvhost: www\n"
    . "first-seen: 2026-01-01T00:00:00.000000Z\n"
    . "last-seen: 2026-01-01T00:00:00.000000Z\ncount: 1\n"
    . "failure: planted by the test\n";
close $fh;
system('chown', 'www-data:www-data', "$d/spool/failed/$id") if $> == 0;
($rc, $out) = queue('list');
like $out, qr/^\Q$id\E\s+failed\s.*\n(?: {8}[^\n]*\n)* {8}failed: planted by the test; due never/m,
    'a failed record: its failure, due never' or diag $out;

# the notifier's notes do not outlive a retry
($rc) = queue('retry', $id);
is $rc, 0, 'queue retry of the failed record';

# the cap and the window still hold them: nothing more was sent
is scalar($h->messages), 1, 'one notice in all: the others are held';
unlike $h->error_log, qr/WR00602/, 'every note was written';
$h->stop;
done_testing;
