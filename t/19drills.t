# Fault drills with delivery: the SMTP server down while probes arrive, then
# back; the DNS server down, then back; a slow smarthost never slows the
# requests. Each ends with counts proving nothing was lost or sent twice.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use File::Spec ();
use WrPrivateHttpd;
use WrSmtpRig qw(rig_dir copies delivery_conf);

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $RUN = rig_dir();
my $SMTP = $ENV{WR_SMTP_PORT} || 12525;
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
-r "$RUN/cert.pem"
    or BAIL_OUT("the test SMTP server is not set up: sh t/rig/smtp.sh start");
my $TAG = $$;
my $NIMDA = '/scripts/root.exe?/c+dir';

sub server {
    my (%a) = @_;
    my $h = WrPrivateHttpd->new(port => $a{port});
    $h->write_conf(delivery_conf(dir => $h->dir, dns => $a{dns},
                                 from => $a{from}, retry => '1s',
                                 smarthost => "localhost:$a{smtp}")
                   . "WormReplyDomainWindow 1s\n");
    ok $h->start, "$a{from}: httpd started" or diag $h->error_log;
    return $h;
}

sub counters {
    my %c = $_[0]->status =~ /"(\w+)": (\d+)/g;
    return \%c;
}

# ---- the SMTP server down while probes arrive, then back ----------------
{
    my $port = 12531;
    my $from = "wr-drill1-$TAG\@wr-notices.test";
    system("sh $top/t/rig/smtp.sh extra-stop $port >/dev/null 2>&1");
    my $h = server(port => 18140, from => $from, smtp => $port,
                   dns => $DNSPORT);
    $h->probe($_, $NIMDA) for qw(192.0.2.10 192.0.2.30 192.0.2.20);
    ok $h->wait_for(sub { (counters($h)->{smtp_deferred} // 0) >= 1 }, 30),
        'smarthost down: deferred' or diag $h->error_log;
    # the notifier publishes the outbox gauge once a second
    ok $h->wait_for(sub { $h->raw("GET /server-status?auto HTTP/1.0\r\n\r\n")
                          =~ /^WormReplyOutboxQueue: [1-9]/m }, 10),
        'the notices wait in the outbox';
    is system("sh $top/t/rig/smtp.sh extra-start $port >/dev/null 2>&1"), 0,
        'smarthost back';
    ok $h->wait_for(sub { scalar(keys %{ copies($from) }) >= 3 }, 60),
        'all three notices delivered after it came back' or diag $h->error_log;
    sleep 2;
    my $c = copies($from);
    is scalar(keys %$c), 3, 'three notices';
    ok !(grep { $_ != 2 } values %$c),
        'each exactly once (one copy per mailbox: postmaster, abuse)';
    $h->stop;
    system("sh $top/t/rig/smtp.sh extra-stop $port >/dev/null 2>&1");
}

# ---- the DNS server down, then back -------------------------------------
SKIP: {
    my $dport = 15393;
    my $rig = File::Spec->catdir('/tmp', "wr-drill-dns-$TAG");
    local $ENV{WR_DNS_PORT} = $dport;
    local $ENV{WR_RIG_DIR} = $rig;
    my $from = "wr-drill2-$TAG\@wr-notices.test";
    my $h = server(port => 18141, from => $from, smtp => $SMTP, dns => $dport);
    $h->probe('192.0.2.10', $NIMDA);
    ok $h->wait_for(sub { (counters($h)->{dns_retries} // 0) >= 1 }, 30),
        'DNS down: the lookup is retried, not dropped' or diag $h->error_log;
    is counters($h)->{unresolvable} // 0, 0, 'nothing counted as unresolvable';
    is system("sh $top/t/rig/dns.sh start >/dev/null 2>&1"), 0, 'DNS back';
    ok $h->wait_for(sub { scalar(keys %{ copies($from) }) >= 1 }, 60),
        'the notice delivered after DNS came back' or diag $h->error_log;
    sleep 2;
    is scalar(keys %{ copies($from) }), 1, 'exactly one notice';
    $h->stop;
    system("sh $top/t/rig/dns.sh stop >/dev/null 2>&1");
    system('rm', '-rf', $rig);
}

# ---- a slow smarthost never slows the requests ----------------------------
{
    my $from = "wr-drill3-$TAG\@wr-notices.test";
    open my $fh, '>', "$RUN/slow-wr-drill3-$TAG" or die $!;
    close $fh;
    my $h = server(port => 18142, from => $from, smtp => $SMTP,
                   dns => $DNSPORT);
    $h->probe('192.0.2.10', $NIMDA);
    # the notice is queued; the session starts at once and its MAIL FROM
    # waits 3 s for the slow server's answer
    ok $h->wait_for(sub { scalar(glob($h->outbox . '/*.eml')) }, 30),
        'a notice queued for the slow server' or diag $h->error_log;
    sleep 0.3;
    my $worst = 0;
    for my $i (1 .. 20) {
        my $t0 = time;
        my $r = $h->probe("2001:db8:b::$i", $NIMDA);
        my $dt = time - $t0;
        $worst = $dt if $dt > $worst;
        fail("probe $i not answered") unless $r =~ m{^HTTP/1\.1 404 };
    }
    ok $worst < 0.5, sprintf('20 probes answered during the slow session, '
                             . 'the slowest in %.3f s', $worst);
    unlink "$RUN/slow-wr-drill3-$TAG";
    ok $h->wait_for(sub { scalar(keys %{ copies($from) }) >= 1 }, 60),
        'the slow notice delivered in the end';
    $h->stop;
}

# ---- graceful restart and full restart while notices wait for delivery ---
{
    my $port = 12532;
    my $from = "wr-drill4-$TAG\@wr-notices.test";
    system("sh $top/t/rig/smtp.sh extra-stop $port >/dev/null 2>&1");
    my $h = server(port => 18143, from => $from, smtp => $port,
                   dns => $DNSPORT);
    $h->probe("2001:db8:b::$_", $NIMDA) for 1 .. 10;
    $h->probe('192.0.2.30', $NIMDA);
    ok $h->wait_for(sub { (counters($h)->{smtp_deferred} // 0) >= 1 }, 30),
        'notices waiting: the smarthost is down' or diag $h->error_log;
    ok $h->signal_server('graceful'), 'apachectl graceful';
    $h->probe("2001:db8:b::$_", $NIMDA) for 11 .. 20;
    ok $h->wait_for(sub { $h->answers }, 10), 'answering after graceful';
    ok $h->stop, 'full stop';
    ok $h->start, 'and start again';
    $h->probe("2001:db8:b::$_", $NIMDA) for 21 .. 30;
    is system("sh $top/t/rig/smtp.sh extra-start $port >/dev/null 2>&1"), 0,
        'smarthost back';
    my $named = sub {
        my %n;
        for my $f (glob "$RUN/Maildir/new/*") {
            open my $m, '<', $f or next;
            local $/;
            my $t = <$m>;
            next unless $t =~ /^Return-path: <\Q$from\E>/mi;
            next unless $t =~ /^Delivered-To: postmaster\@/mi
                        || $t =~ /^Envelope-to: postmaster\@/mi;
            $n{$_}++ for $t =~ /^Source:\s+(\S+)/mg;
        }
        return \%n;
    };
    ok $h->wait_for(sub { scalar(keys %{ $named->() }) >= 31 }, 90),
        'every host reported after the restarts' or diag $h->error_log;
    sleep 2;
    my $n = $named->();
    is scalar(keys %$n), 31, '31 hosts: nothing lost across graceful and full restart';
    ok !(grep { $_ != 1 } values %$n), 'none reported twice';
    $h->stop;
    system("sh $top/t/rig/smtp.sh extra-stop $port >/dev/null 2>&1");
}

done_testing;
