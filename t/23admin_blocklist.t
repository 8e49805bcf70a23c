# 23admin_blocklist.t - "wormreply blocklist --since 1h" as an administrator
# meets it (issue 14.4): every host seen probing in the window is listed,
# - with notices on, from the spool alone, after the notifier has finished
#   with every event (none notified: documentation addresses are
#   special-purpose sources), from its history of hosts seen;
# - with notices off (no spool), from the probes-only access log the README
#   recommends, read without -l, as 'report' reads it too.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use WrPrivateHttpd;
use WrCli qw(run_sh shq);

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $cli = "$top/tools/wormreply";
my @hosts = map { "192.0.2.$_" } 11 .. 19;      # 9 probers

# the README's probes-only log, word for word
my ($worm) = do {
    open my $f, '<', "$top/README.md" or die $!;
    local $/;
    <$f> =~ /^\s*(LogFormat "[^\n]*WORM_PROBE[^\n]*" worm)$/m;
};
ok $worm, "the README's probes-only LogFormat: $worm";

my $h = WrPrivateHttpd->new(port => 18138);
my $d = $h->dir;

# probe_all - one Nimda probe from each host, and an ordinary request
sub probe_all {
    for my $ip (@hosts) {
        like $h->probe($ip, '/scripts/root.exe?/c+dir'), qr{^HTTP/1\.1 404 },
            "a probe from $ip";
    }
    $h->probe('192.0.2.99', '/index.html');
}

# blocklist - (exit status, stdout, stderr) of wormreply blocklist ARGS
sub blocklist {
    return run_sh(join ' ', map { shq($_) } $cli, 'blocklist', @_);
}

sub listed { my %l = map { (split /\t/)[0] => 1 } split /\n/, $_[0]; \%l }

# ---- notices on: the spool and the notifier's history ----------------------
$h->write_conf(<<"EOF");
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyDigestDelay 1s
$worm
CustomLog "$d/logs/worms.log" worm env=WORM_PROBE
EOF
ok $h->start, 'httpd starts, notices on' or diag $h->error_log;
probe_all();
# the notifier finishes every event: not notified, special-purpose
my $spool_empty = sub {
    my @left = (glob("$d/spool/new/*"), glob("$d/spool/cur/*"));
    my $decided = () = $h->error_log =~ /WR00047: 192\.0\.2\.1\d: not notified/g;
    return !@left && $decided == @hosts;
};
ok $h->wait_for($spool_empty, 30), 'the notifier has finished every event'
    or diag $h->error_log;
my ($rc, $out, $err) = blocklist('--since', '1h', '--spool', "$d/spool");
is $rc, 0, 'blocklist --since 1h --spool: exit 0' or diag $err;
is_deeply [sort keys %{listed($out)}], [sort @hosts],
    'every prober of the window is listed, although none is in the spool '
    . 'any more' or diag "$out$err";
like $err, qr/9 hosts .* 9 history hosts/, '... from the history' or diag $err;

($rc, $out, $err) = blocklist('--since', '1h', "$d/logs/worms.log");
is $rc, 0, 'blocklist of the probes-only log, without -l: exit 0'
    or diag $err;
is_deeply [sort keys %{listed($out)}], [sort @hosts],
    '... lists every prober' or diag "$out$err";
unlike $err, qr/unreadable/, '... and reads every line' or diag $err;
ok $h->stop, 'httpd stops';

# ---- notices off: no spool, the log -----------------------------------
unlink "$d/logs/worms.log";
$h->write_conf(<<"EOF");
WormReply On
$worm
CustomLog "$d/logs/worms.log" worm env=WORM_PROBE
EOF
ok $h->start, 'httpd starts, notices off' or diag $h->error_log;
probe_all();
ok $h->stop, 'httpd stops (the log is complete)';

($rc, $out, $err) = blocklist('--since', '1h', '--spool', "$d/nospool");
is $rc, 1, 'notices off, no spool: exit 1';
like $err, qr/without WormReplyNotify there is no spool; give the access log/,
    '... saying where the probers are';
($rc, $out, $err) = blocklist('--since', '1h', "$d/logs/worms.log");
is $rc, 0, 'notices off: blocklist of the log: exit 0' or diag $err;
is_deeply [sort keys %{listed($out)}], [sort @hosts],
    '... lists every prober' or diag "$out$err";
unlike $err, qr/unreadable/, '... reading every line' or diag $err;

my ($rrc, $rout, $rerr) = run_sh(join ' ', map { shq($_) } $cli, 'report',
                                 '--format', 'json', "$d/logs/worms.log");
is $rrc, 0, 'report of the probes-only log, without -l: exit 0'
    or diag $rerr;
like $rout, qr/"probes":\s*9\b/, '... 9 probes';
like $rout, qr/"bad_lines":\s*0\b/, '... no unreadable line' or diag $rout;
done_testing;
