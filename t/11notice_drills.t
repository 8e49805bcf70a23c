# Notices under stress: graceful restart under load, kill -9 of the
# notifier mid-batch, the hourly cap, several children sharing the cache,
# hostile request bytes, an unwritable spool, Test mode.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use WrPrivateHttpd;

my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my $NIMDA = '/scripts/root.exe?/c+dir';

sub conf {
    my ($dir, $extra) = @_;
    return <<"EOF" . ($extra // '');
LimitRequestLine 40000
LimitRequestFieldSize 40000
WormReply On
WormReplyNotify On
WormReplySourcePrefix 32 128
WormReplySpool $dir/spool
WormReplyOutbox $dir/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 192.0.2.0/24 198.51.100.0/24 2001:db8::/32
WormReplyDigestDelay 2s
WormReplyFrom wormreply\@wr-notices.test
EOF
}

sub server {
    my (%a) = @_;
    my $h = WrPrivateHttpd->new(port => $a{port}, servers => $a{servers});
    $h->write_conf(conf($h->dir, $a{extra}));
    ok $h->start, "httpd on $a{port} started" or diag $h->error_log;
    ok $h->wait_for(sub { $h->notifier_pid }, 10), 'notifier started';
    return $h;
}

sub counters {
    my $h = shift;
    my %c = $h->status =~ /"(\w+)": (\d+)/g;
    return \%c;
}

sub hosts_in {
    my ($h, $re) = @_;
    my %seen;
    for my $m ($h->messages) {
        $seen{$_}++ for $m->[1] =~ /^Source:\s+(\S+)/mg;
    }
    return \%seen;
}

# ---- graceful restart under load, then kill -9 mid-batch ---------------
{
    my $h = server(port => 18101, servers => 2);
    my $pid1 = $h->notifier_pid;
    # 60 sources of bulk.test, a graceful restart in the middle
    for my $i (1 .. 60) {
        my $r = $h->probe("2001:db8:b::$i", $NIMDA);
        like $r, qr{^HTTP/1\.1 404 }, "probe $i answered" if $i % 20 == 0;
        if ($i == 30) {
            ok $h->signal_server('graceful'), 'apachectl graceful under load';
        }
    }
    ok $h->wait_for(sub { scalar($h->messages) >= 1 }, 30),
        'a digest after the graceful restart' or diag $h->error_log;
    sleep 3;
    my $seen = hosts_in($h);
    is scalar(keys %$seen), 60, 'all 60 hosts in the notices: nothing lost';
    is scalar(grep { $_ > 1 } values %$seen), 0, 'no host reported twice';
    is scalar($h->messages), 1, 'one digest for the domain';

    # kill -9 the notifier while its events are claimed
    my $before = scalar $h->messages;
    my $np = $h->notifier_pid;
    $h->probe('192.0.2.37', $NIMDA);    # host37.v6only.test
    $h->probe('192.0.2.13', $NIMDA);    # long labels, own domain with MX
    ok $h->wait_for(sub { $h->spool_count('cur') >= 1 }, 5),
        'events claimed by the notifier';
    ok kill('KILL', $np), "kill -9 of the notifier ($np)";
    ok $h->wait_for(sub { ($h->notifier_pid // 0) != $np }, 15),
        'the parent restarted the notifier';
    like $h->error_log, qr/WR00021: notifier died/, 'its death logged';
    ok $h->wait_for(sub { scalar($h->messages) >= $before + 2 }, 30),
        'both notices written by the new notifier';
    sleep 2;
    is scalar($h->messages), $before + 2, 'and each only once';
    my $s2 = hosts_in($h);
    is $s2->{'192.0.2.37'}, 1, '192.0.2.37 reported once';
    is $s2->{'192.0.2.13'}, 1, '192.0.2.13 reported once';
    is $h->spool_count('new') + $h->spool_count('cur'), 0, 'spool empty';
    $h->stop;
}

# ---- the hourly cap ----------------------------------------------------
{
    my $h = server(port => 18102, extra => "WormReplyMaxPerHour 1\n");
    $h->probe('192.0.2.10', $NIMDA);    # wormreply.test
    $h->probe('192.0.2.30', $NIMDA);    # wr--test.co.uk
    ok $h->wait_for(sub { scalar($h->messages) >= 1 }, 20), 'one notice';
    ok $h->wait_for(sub { (counters($h)->{cap_deferred} // 0) >= 1 }, 10),
        'the second digest held back by the cap';
    sleep 2;
    is scalar($h->messages), 1, 'WormReplyMaxPerHour 1: one notice only';
    like $h->error_log, qr/WR00051: digest for \S+ held back/, 'logged';
    is $h->spool_count('new') + $h->spool_count('cur'), 1,
        'the held-back event stays queued';
    $h->stop;
}

# ---- hostile bytes, Test mode, several children -------------------------
{
    my $h = server(port => 18103, servers => 3,
                   extra => "WormReplyNotify Test\nWormReplyBcc admin\@wr-notices.test\n"
                            # the hostile probes are iis: mail them too
                            . "WormReplyNotifyFamilies all\n");
    my $evil = "/scripts/root.exe?/c+dir%0d%0aBcc:%20victim\@evil.test"
        . "%0d%0a\x01\x1b[31m";
    my $r = $h->raw("GET $evil HTTP/1.0\r\nHost: www\x01\r\n"
                    . "User-Agent: x\x07\x1b\r\nX-Forwarded-For: 192.0.2.10\r\n\r\n");
    like $r, qr{^HTTP/1\.1 (404|400) }, 'hostile probe answered';
    my $long = '/scripts/..%c0%af../winnt/system32/cmd.exe?/c+' . ('A' x 32000);
    $r = $h->probe('192.0.2.19', $long);
    like $r, qr{^HTTP/1\.1 404 }, '32 KB request line answered';
    # the same source from many connections (and children): one event
    $h->probe('2001:db8::10', $NIMDA) for 1 .. 40;
    ok $h->wait_for(sub { scalar($h->messages) >= 1 }, 20), 'notice written'
        or diag $h->error_log;
    sleep 2;
    my @m = $h->messages;
    is scalar(@m), 1, 'one digest for wormreply.test';
    my $msg = $m[0] ? $m[0][1] : '';
    my ($hdr, $body) = split /\r\n\r\n/, $msg, 2;
    $hdr //= '';
    (my $unfolded = $hdr) =~ s/\r\n[ \t]+/ /g;
    is join(',', sort map { /^([^:\s]+):/ ? lc $1 : "bad" } split /\r\n/,
                                                          $unfolded),
       join(',', sort qw(date from to subject message-id x-wormreply-report-id
                         auto-submitted mime-version content-type
                         content-transfer-encoding)),
       'only the expected headers: nothing injected';
    like $hdr, qr/^To: admin\@wr-notices\.test\r?$/m,
        'WormReplyNotify Test: addressed to the administrator only';
    unlike $msg, qr/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/,
        'no control characters in the message';
    unlike $msg, qr/\r\nBcc:/i, 'no Bcc line anywhere';
    ok !(grep { length > 998 } split /\r\n/, $msg), 'no line over 998 octets';
    my $c = counters($h);
    is $c->{spooled}, 3, 'three sources, three events (several children)';
    is $c->{host_counted}, 39, '39 more probes of one source only counted';
    $h->stop;
}

# ---- a spool that becomes unwritable: requests still answered -----------
# (one that is unusable from the start fails configtest: t/08configtest.t)
{
    my $h = WrPrivateHttpd->new(port => 18104);
    my $spool = $h->dir . '/spool';
    $h->write_conf(conf($h->dir));
    ok $h->start, 'httpd starts with a good spool';
    # httpd answers (its listeners are open) before its post_config, which
    # sets the spool's modes, has run: wait for the notifier it starts last
    ok $h->wait_for(sub { $h->error_log =~ /WR00018: notifier started/ }, 10),
        'the start is complete (the notifier runs)';
    # the children (www-data) can no longer create their event files
    ok chmod(0500, "$spool/tmp", "$spool/new") == 2,
        'the spool made unwritable while httpd runs';
    for my $i (1 .. 3) {
        like $h->probe("192.0.2.1$i", $NIMDA), qr{^HTTP/1\.1 404 },
            "probe $i still answered";
    }
    is $h->raw("GET /index.html HTTP/1.0\r\n\r\n") =~ /^HTTP\/1\.1 200 / ? 1 : 0,
        1, 'ordinary request served';
    ok $h->wait_for(sub { (counters($h)->{spool_dropped} // 0) == 3 }, 5),
        'three events dropped and counted';
    my $warn = () = $h->error_log =~ /WR00017: event for/g;
    ok $warn >= 1 && $warn <= 2, "dropped events warned about, rate-limited ($warn)";
    $h->stop;
}

done_testing;
