# WormReplyFormat arf, xarf and xarf4: one report per host, in the right
# shape; X-ARF 0.2 by its rules, XARF v4 by the official schemas.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use WrPrivateHttpd;
use WrXarf qw(xarf_spec_dir xarf_check);

my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my $port = 18113;
for my $fmt (qw(arf xarf xarf4)) {
    my $hport = $port;
    my $h = WrPrivateHttpd->new(port => $port++);
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
WormReplyFormat $fmt
EOF2
    ok $h->start, "$fmt: httpd started" or diag $h->error_log;
    $h->probe('192.0.2.10', '/scripts/root.exe?/c+dir');
    $h->probe('2001:db8::10', '/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir');
    ok $h->wait_for(sub { scalar($h->messages) >= 2 }, 30),
        "$fmt: two reports" or diag $h->error_log;
    sleep 1;
    my @m = $h->messages;
    is scalar(@m), 2, "$fmt: one report per host of the domain";
    for my $m (@m) {
        my $t = $m->[1];
        like $t, qr/^To: postmaster\@wormreply\.test, abuse\@wormreply\.test\r$/m,
            "$fmt: to the domain's mailboxes";
        unlike $t, qr/(?<!\r)\n/, "$fmt: CRLF only";
        if ($fmt ne 'xarf') {
            # arf writes XARF v4 too: ARF is for feedback about email
            like $t, qr{^Content-Type: multipart/mixed;}m,
                "$fmt: multipart/mixed";
            like $t, qr{^Content-Type: application/json; name="xarf\.json"\r$}m,
                "$fmt: the report as application/json";
            unlike $t, qr{text/rfc822-headers|X-HTTP-Request-Line},
                "$fmt: no pseudo email header part";
        }
        else {
            like $t, qr/^X-XARF: PLAIN\r$/m, 'xarf: X-XARF header';
            like $t, qr/name="report\.yaml"/, 'xarf: the YAML report';
            like $t, qr/^Category: 'abuse'\r$/m, 'xarf: Category';
            like $t, qr/^Source: '(192\.0\.2\.10|2001:db8::10)'\r$/m,
                'xarf: Source, quoted';
            like $t, qr/^Source-Type: 'ip-address'\r$/m, 'xarf: Source-Type';
            like $t, qr/^Port: $hport\r$/m, "xarf: the port probed ($hport)";
            like $t, qr{^Schema-URL: 'http://www\.x-arf\.org/schema/}m,
                'xarf: Schema-URL';
            like $t, qr/filename="evidence\.txt"/, 'xarf: the evidence';
            like $t, qr/^GET \/scripts\//m, 'xarf: the request line as evidence';
        }
    }
    if ($fmt ne 'xarf') {
        my $spec = xarf_spec_dir();
        my @files = map { $h->outbox . "/$_->[0]" } @m;
        my ($rc, $out) = xarf_check('xarf4', $spec, @files);
        is $rc, 0, "$fmt: every report valid against the XARF v4 schemas"
            or diag $out;
        like $out, qr/source 2001:db8::10\b/, "$fmt: the IPv6 report too";
        like $out, qr{connection/infected_host, source 192\.0\.2\.10},
            "$fmt: the Nimda host is an infected host";
        note $out;
    }
    if ($fmt eq 'xarf') {
        # The 0.2 rules, checked by a YAML parser (python3-yaml): every
        # mandatory field, and the IPv6 Source read back as a string.
        my @files = map { $h->outbox . "/$_->[0]" } @m;
        my ($rc, $out) = xarf_check('xarf02', @files);
        is $rc, 0, 'xarf: every report passes the X-ARF 0.2 rules'
            or diag $out;
        like $out, qr/Source '2001:db8::10' \(str\)/,
            'xarf: the IPv6 Source reads back as a string';
        note $out;
    }
    $h->stop;
}
done_testing;
