# wormreply queue on the spool of a running notifier: list and show while
# it works, retry a failed record back into the notifier's hands.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use WrPrivateHttpd;

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $cli = "$top/tools/wormreply";
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my $h = WrPrivateHttpd->new(port => 18117);
my $d = $h->dir;
# a long digest delay keeps the events claimed, so the queue has work in it
$h->write_conf(<<"EOF");
WormReply On
WormReplyNotify On
WormReplySourcePrefix 32 128
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 192.0.2.0/24 2001:db8::/32
WormReplyDigestDelay 3s
WormReplyFrom wormreply\@wr-notices.test
EOF
ok $h->start, 'httpd with a notifier started' or diag $h->error_log;
$h->probe("2001:db8:b::$_", '/scripts/root.exe?/c+dir') for 1 .. 20;
ok $h->wait_for(sub { $h->spool_count('cur') + $h->spool_count('new') == 20 },
                10), '20 events in the spool';

# while the notifier holds and works on them
my $list = qx{$cli queue list --spool $d/spool 2>&1};
is $? >> 8, 0, 'queue list on a live spool';
my @ids = $list =~ /^(\d{11}\.\S+)/mg;
ok @ids >= 1 && @ids <= 20, 'the waiting or claimed events are listed ('
    . scalar(@ids) . ')';
my $show = qx{$cli queue show $ids[0] --spool $d/spool 2>&1};
like $show, qr/2001:db8:b::/, 'queue show prints a record';

ok $h->wait_for(sub { scalar($h->messages) >= 1 }, 30), 'the digest came'
    or diag $h->error_log;
ok $h->wait_for(sub { $h->spool_count('cur') + $h->spool_count('new') == 0 },
                10), 'and the spool emptied';
my ($msg) = $h->messages;
my %hosts = map { $_ => 1 } ($msg ? $msg->[1] : '') =~ /(host-\d+)\.bulk\.test/g;
is scalar(keys %hosts), 20, 'the digest names all 20 hosts';

# a failed record, retried: the notifier takes it again
my $failed = "$d/spool/failed";
my $id = '00000000001.000001.P1.Q1.R0123456789abcdef';
open my $fh, '>', "$failed/$id" or die $!;
print $fh "version: 1\naddress: 192.0.2.30\nfamily: nimda\nvhost: www\n"
    . "first-seen: 2026-01-01T00:00:00.000000Z\n"
    . "last-seen: 2026-01-01T00:00:00.000000Z\ncount: 1\n"
    . "request: GET /scripts/root.exe?/c+dir HTTP/1.0\n"
    . "failure: test\n";
close $fh;
system('chown', '-R', 'www-data:www-data', "$d/spool") if $> == 0;
like qx{$cli queue failed --spool $d/spool 2>&1}, qr/\Q$id\E/,
    'queue failed lists it';
qx{$cli queue retry $id --spool $d/spool 2>&1};
is $? >> 8, 0, 'queue retry';
ok $h->wait_for(sub { scalar($h->messages) >= 2 }, 30),
    'the notifier took the retried event and wrote its notice'
    or diag $h->error_log;
my @m = $h->messages;
ok((grep { $_->[1] =~ /192\.0\.2\.30/ } @m), 'the notice is for it');
$h->stop;
done_testing;
