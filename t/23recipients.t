# Recipients an attacker can pick (issue 11, part 4), through the real
# notifier and the rig's unbound (t/rig/dns): whoever controls the reverse
# DNS of a probing address can make it forward-confirm
# - a name under .arpa (192.0.2.43 -> host43.2.0.192.in-addr.arpa, whose A
#   is 192.0.2.43): refused as a host name;
# - a name of a wildcard-IP DNS service (192.0.2.44 -> 192-0-2-44.nip.io;
#   the rig serves a stand-in nip.io with an MX): on the built-in never-mail
#   list, so its operators are never mailed;
# and a source in a special-purpose prefix missing before (3fff::1, RFC
# 9637, whose PTR confirms in the rig) is never looked up. The never-mail
# list takes additions and "-DOMAIN" removals (WormReplyNeverMail), and
# WormReplyNotifyAllow lifts a special prefix. 192.0.2.10 is the control:
# its notice is written.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use WrPrivateHttpd;

my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my $NIMDA = '/scripts/root.exe?/c+dir';

sub server {
    my ($port, $extra) = @_;
    my $h = WrPrivateHttpd->new(port => $port);
    my $d = $h->dir;
    $h->write_conf(<<"EOF" . $extra);
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyDigestDelay 1s
WormReplyFrom wormreply\@wr-notices.test
EOF
    my ($rc, $out) = $h->configtest;
    is $rc, 0, "$port: configtest passes" or diag $out;
    ok $h->start, "$port: httpd started" or diag $h->error_log;
    ok $h->wait_for(sub { $h->notifier_pid }, 10), "$port: notifier started";
    return $h;
}

# to - the messages of the outbox addressed to $domain
sub to {
    my ($h, $domain) = @_;
    return grep { $_->[1] =~ /^To: .*\@\Q$domain\E\b/m } $h->messages;
}

# log_has - wait (20 s at most) for an error-log line matching $re
sub log_has {
    my ($h, $re) = @_;
    return $h->wait_for(sub { $h->error_log =~ $re }, 20);
}

# ---- A: the built-in lists -------------------------------------------
{
    my $h = server(18128,
                   "WormReplyNotifyAllow 192.0.2.0/24 2001:db8::/32\n");
    $h->probe($_, $NIMDA) for '192.0.2.43', '192.0.2.44', '3fff::1',
                                  '192.0.2.10';
    ok $h->wait_for(sub { scalar(to($h, 'wormreply.test')) >= 1 }, 30),
        'the control (192.0.2.10) is notified' or diag $h->error_log;
    ok log_has($h, qr/WR00043: 192\.0\.2\.43: not notified, unresolvable \(bad-name: PTR of 192\.0\.2\.43 is not a valid host name: host43\.2\.0\.192\.in-addr\.arpa \(under \.arpa\)\)/),
        '.arpa: the confirmed PTR name under .arpa is refused'
        or diag $h->error_log;
    ok log_has($h, qr/WR00044: 192\.0\.2\.44 \(192-0-2-44\.nip\.io\): not notified, under nip\.io, on the never-mail list/),
        'nip.io: on the built-in never-mail list' or diag $h->error_log;
    ok log_has($h, qr/WR00047: 3fff::1: not notified, special-purpose address \(3fff::\/20\)/),
        '3fff::1: special-purpose (RFC 9637), never looked up'
        or diag $h->error_log;
    my @w = to($h, 'wormreply.test');
    is scalar(@w), 1, 'one notice, to wormreply.test';
    like $w[0][1] // '', qr/192\.0\.2\.10/, '... about 192.0.2.10';
    unlike $w[0][1] // '', qr/3fff::1/, '... and not about 3fff::1';
    is scalar(to($h, 'nip.io')), 0, 'nothing to nip.io';
    is scalar(to($h, 'in-addr.arpa')), 0, 'nothing to in-addr.arpa';
    $h->stop;
}

# ---- B: taken out, added, lifted ---------------------------------------
{
    my $h = server(18129, "WormReplyNotifyAllow 192.0.2.0/24 3fff::/20\n"
                          . "WormReplyNeverMail -nip.io wormreply.test\n");
    $h->probe($_, $NIMDA) for '192.0.2.44', '3fff::1', '192.0.2.10';
    ok $h->wait_for(sub { scalar(to($h, 'nip.io')) >= 1 }, 30),
        '-nip.io: the built-in entry taken out, nip.io is notified'
        or diag $h->error_log;
    ok log_has($h, qr/WR00044: 3fff::1 \(host3fff\.wormreply\.test\): not notified, under wormreply\.test, on the never-mail list/),
        'NotifyAllow 3fff::/20: 3fff::1 looked up (the rig confirms it), '
        . 'then stopped by the added never-mail domain' or diag $h->error_log;
    ok log_has($h, qr/WR00044: 192\.0\.2\.10 \(host10\.wormreply\.test\): not notified, under wormreply\.test/),
        'an added domain: wormreply.test not notified' or diag $h->error_log;
    is scalar(to($h, 'wormreply.test')), 0, 'nothing to wormreply.test';
    $h->stop;
}

# ---- C: the directive's syntax ------------------------------------------
{
    my $h = WrPrivateHttpd->new(port => 18128);
    $h->write_conf("WormReply On\nWormReplyNeverMail -abuse\@nip.io\n");
    my ($rc, $out) = $h->configtest;
    isnt $rc, 0, '-ADDRESS is refused';
    like $out, qr/WormReplyNeverMail: '-abuse\@nip\.io' is neither a mail address nor a domain \(nor -DOMAIN\)/,
        '... saying why';
}

done_testing();
