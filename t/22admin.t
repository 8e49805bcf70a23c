# 22admin.t - the notifier as an administrator meets it, with the shipped
# conf/wormreply.conf's LogLevel and an otherwise Debian-like "LogLevel
# warn":
# - ps names the notifier ("apache2: wormreply notifier" and httpd's own
#   arguments), and only it: the workers keep httpd's command line;
# - ps names the deliverer and its SMTP sessions as well;
# - the start-up line carries the version of mod_wormreply/wr_version.h,
#   the notifier's decision about a host it does not notify is in the
#   error log, and the per-probe info lines are not.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use WrPrivateHttpd;

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
sub slurp { open my $f, '<:raw', $_[0] or return ''; local $/; <$f> // '' }

my ($version) = slurp("$top/mod_wormreply/wr_version.h")
                =~ /#define WR_VERSION "([^"]+)"/;
my ($loglevel) = slurp("$top/conf/wormreply.conf")
                 =~ /^\s*(LogLevel\s+wormreply:\w+)\s*$/m;
ok $loglevel, "conf/wormreply.conf ships '$loglevel'";

my $h = WrPrivateHttpd->new(port => 18137);
my $d = $h->dir;
# loopback (127.0.0.1, RFC 6890) is never notified about: a decision the
# notifier logs without any DNS
$h->write_conf(<<"EOF");
LogLevel warn
$loglevel
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyDigestDelay 1s
EOF
ok $h->start, 'httpd starts' or diag $h->error_log;
# the port may answer before httpd has written its pid file
ok $h->wait_for(sub { defined $h->pid }, 10), 'httpd has written its pid';
my $ppid = $h->pid // 0;

# children - [pid, command line] of every child of httpd
sub children {
    my @c;
    for my $p (glob '/proc/[0-9]*') {
        my ($pid) = $p =~ m{(\d+)$};
        my $stat = slurp("$p/stat");
        $stat =~ s/^.*\) //s;
        my (undef, $parent) = split ' ', $stat;
        next unless defined $parent && $parent == $ppid;
        (my $cmd = slurp("$p/cmdline")) =~ s/\0+\z//;
        push @c, [$pid, $cmd =~ s/\0/ /gr];
    }
    return @c;
}

my @notifier;
$h->wait_for(sub {
    @notifier = grep { $_->[1] =~ /^apache2: wormreply notifier\b/ }
                children();
    @notifier == 1;
}, 10);
is scalar(@notifier), 1, 'one child of httpd is named "apache2: wormreply '
    . 'notifier"' or diag explain [children()];
my $conf = $h->conf_file;
like $notifier[0][1] // '',
    qr{^apache2: wormreply notifier -d \Q$d\E -f \Q$conf\E -k start$},
    '... followed by httpd\'s own arguments (which instance it serves)';
my @workers = grep { $_->[1] !~ /wormreply/ } children();
ok @workers >= 1, 'the workers are there too';
ok !(grep { $_->[1] !~ m{^/usr/sbin/apache2 -d } } @workers),
    '... with httpd\'s command line untouched'
    or diag explain \@workers;

like $h->probe('127.0.0.1', '/scripts/root.exe?/c+dir'), qr{^HTTP/1\.1 404 },
    'a probe from a loopback source is answered';
ok $h->wait_for(sub { $h->error_log =~ /WR00047: 127\.0\.0\.1: not notified/ },
                15), 'its "not notified" decision is logged at the shipped '
    . 'level' or diag $h->error_log;
my $log = $h->error_log;
like $log, qr/\[wormreply:notice\] .*WR00007: mod_wormreply \Q$version\E: /,
    "the start-up line names the version ($version)";
like $log, qr/\[wormreply:notice\] .*WR00018: notifier started/,
    'the notifier\'s start is logged';
like $log, qr/\[wormreply:notice\] .*WR00047: /, 'the decision at notice';
unlike $log, qr/WR00004: /, 'the per-probe info line is not (the access '
    . 'log has the probes)';
ok $h->stop, 'httpd stops';

# The deliverer and its SMTP sessions are named too (issue 14.2): notices
# wait in the outbox for a smarthost that accepts the connections and then
# says nothing, so the notifier's deliverer and its sessions stay in ps
# while the test looks (the session's wait is bounded by the SMTP command
# timeout; the test's by 20 s).
{
    require IO::Socket::INET;
    my $mx = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                   Listen => 4, ReuseAddr => 1)
        or die "listen: $!";
    my $mxport = $mx->sockport;
    my $m = WrPrivateHttpd->new(port => 18137);
    my $md = $m->dir;
    $m->write_conf(<<"EOF");
LogLevel warn
$loglevel
WormReply On
WormReplyNotify On
WormReplySpool $md/spool
WormReplyOutbox $md/outbox
WormReplySmarthost 127.0.0.1:$mxport
WormReplySMTPTLS off
WormReplySMTPSessions 2
WormReplyBounceAddress bounces\@wormreply.test
EOF
    ok $m->start, 'httpd starts with a smarthost' or diag $m->error_log;
    ok $m->wait_for(sub { -d "$md/outbox/failed" }, 10),
        'the notifier makes its outbox';
    # 20 finished notices as the notifier writes them (wr_delivery.h),
    # owned by httpd's User as the outbox is: two sessions of 10, the
    # first in the deliverer itself, the second in a process of its own
    my ($uid, $gid) = (stat "$md/outbox")[4, 5];
    for my $k (1 .. 20) {
        my $id = sprintf 'wr-20240501T120000Z-%016x', 0xabc000 + $k;
        my $eml = "$md/outbox/.$id.tmp";
        open my $f, '>', $eml or die $!;
        print $f "From: wormreply\@wormreply.test\r\n"
            . "To: abuse\@example.net\r\nSubject: test\r\n"
            . "Message-ID: <$id\@wormreply.test>\r\n\r\ntext\r\n";
        close $f;
        chown $uid, $gid, $eml;
        rename $eml, "$md/outbox/$id.eml" or die $!;
    }
    $mx->blocking(0);
    my @conn;
    $m->wait_for(sub { my $c = $mx->accept; push @conn, $c if $c;
                       @conn >= 2 }, 20);
    is scalar(@conn), 2, 'two sessions connect to the smarthost';
    my $npid = $m->notifier_pid // 0;
    my ($deliverer, $session);
    $m->wait_for(sub {
        for my $c (WrPrivateHttpd::children_of($npid)) {
            (my $cmd = slurp("/proc/$c/cmdline")) =~ s/\0+\z//;
            $cmd =~ s/\0/ /g;
            next unless $cmd =~ /^apache2: wormreply deliverer\b/;
            $deliverer = $cmd;
            for my $g (WrPrivateHttpd::children_of($c)) {
                (my $gc = slurp("/proc/$g/cmdline")) =~ s/\0+\z//;
                $session = $gc =~ s/\0/ /gr;
            }
        }
        defined $deliverer && defined $session;
    }, 10);
    like $deliverer // '', qr{^apache2: wormreply deliverer -d \Q$md\E },
        'ps names the notifier\'s deliverer "apache2: wormreply deliverer"';
    like $session // '', qr{^apache2: wormreply smtp session -d \Q$md\E },
        '... and its second session "apache2: wormreply smtp session"';
    close $_ for @conn;
    ok $m->stop, 'httpd stops';
}

# The name on a notice (issue 14.5): with a main server named only by an
# address, as httpd names it without a global ServerName, notices are signed
# with the name of the virtual host that has them.
my $v = WrPrivateHttpd->new(port => 18139, servername => '127.0.0.1');
my $vd = $v->dir;
$v->write_conf(<<"EOF");
WormReplySpool $vd/spool
WormReplyOutbox $vd/outbox
<VirtualHost 127.0.0.1:18139>
    ServerName www.vhost-name.test
    WormReply On
    WormReplyNotify On
</VirtualHost>
EOF
ok $v->start, 'httpd starts, ServerName 127.0.0.1, notices in a vhost'
    or diag $v->error_log;
ok $v->wait_for(sub { $v->error_log =~ /WR00018: notifier started/ }, 10),
    'the notifier starts';
like $v->error_log,
    qr/WR00018: notifier started .*, notices from www\.vhost-name\.test$/m,
    'notices are signed with the virtual host\'s name, not 127.0.0.1';
unlike $v->error_log, qr/WR00601/, '... and no warning about the name';
ok $v->stop, 'httpd stops';
done_testing;
