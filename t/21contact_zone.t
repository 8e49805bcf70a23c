# WormReplyContactZone: the abuse contact a DNS database publishes for an
# address is asked first; without one, confirmed reverse DNS decides.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use WrPrivateHttpd;

my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my $h = WrPrivateHttpd->new(port => 18126);
my $d = $h->dir;
$h->write_conf(<<"EOF2");
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 192.0.2.0/24 2001:db8::/32
WormReplyDigestDelay 1s
WormReplyFrom wormreply\@wr-notices.test
WormReplyContactZone abuse-contacts.test
EOF2
ok $h->start, 'httpd started' or diag $h->error_log;
$h->probe($_, '/scripts/root.exe?/c+dir')
    for qw(192.0.2.10 2001:db8::10 192.0.2.11 192.0.2.30);
ok $h->wait_for(sub { scalar($h->messages) >= 3 }, 30), 'three notices'
    or diag $h->error_log;
sleep 2;
my %to = map { my ($t) = $_->[1] =~ /^To: ([^\r\n]+)/m; ($t // '?') => $_->[1] }
         $h->messages;
is scalar(keys %to), 3, 'exactly three';
like $to{'abuse-desk@isp-contacts.test'} // '', qr/192\.0\.2\.10/,
    'the published contact of 192.0.2.10 gets its notice';
like $to{'abuse6-desk@isp-contacts.test'} // '', qr/2001:db8::10/,
    'an IPv6 contact, found inside a longer TXT text';
like $to{'postmaster@wr--test.co.uk, abuse@wr--test.co.uk'} // '',
    qr/192\.0\.2\.30/, 'no contact published: confirmed reverse DNS decides';
ok !(grep { /192\.0\.2\.11/ } values %to),
    'a TXT record without an address falls back, and 192.0.2.11 does not confirm';
$h->stop;
done_testing;
