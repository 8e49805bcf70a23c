# The outbox without a mail server (issue 14.3): with no WormReplySmarthost
# the notices are "kept for pickup" in wormreply outbox list, the gauge
# (outbox_kept in the JSON, WormReplyOutboxKept in ?auto) and wormreply
# status agree with the list, and WormReplyOutboxRetention prunes the
# notices older than it (the notifier prunes, as the outbox's owner). A
# private httpd with a notifier and the DNS rig.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use WrPrivateHttpd;

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $cli = "$top/tools/wormreply";
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");
my $NIMDA = '/scripts/root.exe?/c+dir';

my $h = WrPrivateHttpd->new(port => 18134);
my $d = $h->dir;
my $ob = "$d/outbox";
sub conf {
    my $retention = shift;
    return <<"EOF";
WormReply On
WormReplyNotify On
WormReplySourcePrefix 32 128
WormReplySpool $d/spool
WormReplyOutbox $ob
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 192.0.2.0/24
WormReplyDigestDelay 1s
WormReplyFrom wormreply\@wr-notices.test
WormReplyOutboxRetention $retention
EOF
}
$h->write_conf(conf('1h'));
ok $h->start, 'httpd with a notifier, no smarthost' or diag $h->error_log;

sub outbox {
    my $out = qx{$cli outbox --outbox $ob @_ 2>&1};
    return ($? >> 8, $out);
}
sub gauge {
    my ($name) = @_;
    my ($v) = $h->status =~ /"\Q$name\E"\s*:\s*(\d+)/;
    return $v // -1;
}
sub cli_status {
    my $out = qx{$cli status http://127.0.0.1:18134/wormreply-status 2>&1};
    return $out;
}

# two domains: two notices, kept for pickup
$h->probe($_, $NIMDA) for qw(192.0.2.10 192.0.2.30);
ok $h->wait_for(sub { scalar($h->messages) >= 2 }, 30),
    'two notices written to the outbox' or diag $h->error_log;
ok -e "$ob/.pickup", 'the notifier marked the outbox: no smarthost';

my ($rc, $out) = outbox('list');
is $rc, 0, 'outbox list';
my @kept = $out =~ /^(\S+)\s+kept\s+\S+\s+\d+\s+\d+\s+pickup$/mg;
is scalar(@kept), 2, 'both notices: kept, next try "pickup"' or diag $out;
like $out, qr/^ {8}kept for pickup \(no smarthost\), pruned after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(WormReplyOutboxRetention\)$/m,
    '... with when the retention prunes them' or diag $out;
like $out, qr/^-- 0 queued, 2 kept for pickup, 0 failed, 0 sent kept$/m,
    '... and the summary: 0 queued, 2 kept for pickup' or diag $out;
unlike $out, qr/NEXT TRY now|\squeued\s+\d{4}/, 'nothing says queued or now'
    or diag $out;

ok $h->wait_for(sub { gauge('outbox_kept') == 2 }, 15),
    'the gauge: outbox_kept 2' or diag $h->status;
is gauge('outbox_queued'), 0, '... and outbox_queued 0, as the list says';
my $auto = $h->raw("GET /server-status?auto HTTP/1.0\r\n\r\n");
like $auto, qr/^WormReplyOutboxKept: 2\r?$/m, 'server-status?auto agrees';
like cli_status(), qr/^outbox_kept\s+2\b/m, 'wormreply status agrees';

# show: kept, with the pruning time
my ($src, $show) = outbox('show', $kept[0] // 'x');
is $src, 0, 'outbox show of a kept notice';
like $show, qr/^state: kept\n.*^kept for pickup \(no smarthost\), pruned after /ms,
    '... says kept for pickup and when it goes' or diag $show;

# one notice is older than the retention: the notifier prunes it (its
# modification time set two hours back), the other stays
my $old = "$ob/$kept[0].eml";
my $t = time - 7200;
utime $t, $t, $old;
ok $h->wait_for(sub { !-e $old }, 30),
    'the notice older than WormReplyOutboxRetention 1h was pruned'
    or diag $h->error_log;
ok -e "$ob/$kept[1].eml", '... the younger one is kept';
ok $h->wait_for(sub { gauge('outbox_kept') == 1 }, 15),
    'the gauge follows: outbox_kept 1' or diag $h->status;
($rc, $out) = outbox('list');
like $out, qr/^-- 0 queued, 1 kept for pickup, 0 failed, 0 sent kept$/m,
    'the list agrees' or diag $out;
like $h->error_log, qr/WR00603: outbox: 1 notice kept for pickup longer than 1h removed/,
    'the pruning is logged' or diag $h->error_log;

# WormReplyOutboxRetention off: nothing is pruned
$h->write_conf(conf('off'));
ok $h->signal_server('graceful'), 'graceful restart with retention off';
my $young = "$ob/$kept[1].eml";
utime $t, $t, $young;
ok $h->wait_for(sub { $h->error_log =~ /WR00018: notifier started.*\n(?:.*\n)*.*WR00018: notifier started/ }, 20),
    'a new notifier started' or diag $h->error_log;
sleep 12;    # longer than the notifier's pruning interval
ok -e $young, 'retention off: an old notice is kept';
($rc, $out) = outbox('list');
like $out, qr/^ {8}kept for pickup \(no smarthost\), never pruned$/m,
    'the list says it is never pruned' or diag $out;
$h->stop;
done_testing;
