# Next to other modules: httpd starts, answers a probe, restarts gracefully
# twice, answers again and stops -- under event, worker and prefork, with
# Debian's default module set, and with mod_perl, mod_lua and (prefork)
# PHP loaded beside mod_wormreply, notices on.
#
# httpd unloads every DSO between its two configuration passes and at each
# restart, and may map them again elsewhere: a pointer into the module's
# image kept past a pass (a userdata key, a cleanup on the process pool)
# then dangles. It crashed httpd at start, nothing logged, "apachectl
# start" still 0, in some of these combinations (event with the default
# set; worker with it and mod_perl; prefork with mod_perl and no PHP).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use WrPrivateHttpd;

my $MODDIR = '/usr/lib/apache2/modules';

# Debian 12's apache2 enables these (and an MPM) on a fresh install, and
# loads them in this (alphabetical) order; mod_wormreply comes last, as
# wormreply.load does.
my @DEFAULT = qw(access_compat alias auth_basic authn_core authn_file
                 authz_core authz_host authz_user autoindex deflate dir env
                 filter mime negotiation reqtimeout setenvif status);
my %EXTRA = (
    perl => "LoadModule perl_module $MODDIR/mod_perl.so\n",
    lua => "LoadModule lua_module $MODDIR/mod_lua.so\n",
    php => "LoadModule php_module $MODDIR/libphp8.2.so\n",
    # mod_ssl and others bring it in; the module needs it only for
    # WormReplyCache shmcb
    socache_shmcb => "LoadModule socache_shmcb_module $MODDIR/mod_socache_shmcb.so\n",
);
my @combos = (
    [event => []], [worker => []], [prefork => []],
    [event => [qw(socache_shmcb)]],
    [event => [qw(perl lua)]], [worker => [qw(perl lua socache_shmcb)]],
    [worker => [qw(perl)]], [prefork => [qw(perl socache_shmcb)]],
    [prefork => [qw(lua perl php)]],
);

# load_lines - the LoadModule lines of a combination, in Debian's order
sub load_lines {
    my ($mpm, $extra) = @_;
    my %line = map {
        ($_ => "LoadModule ${_}_module $MODDIR/mod_$_.so\n")
    } @DEFAULT, 'remoteip';
    $line{"mpm_$mpm"} = "LoadModule mpm_${mpm}_module $MODDIR/mod_mpm_$mpm.so\n";
    $line{$_ eq 'php' ? 'php8.2' : $_} = $EXTRA{$_} for @$extra;
    return join '', map { $line{$_} } sort keys %line;
}

sub alive { my $pid = shift; return defined $pid && kill 0, $pid }

my $port = 18144;
for my $c (@combos) {
    my ($mpm, $extra) = @$c;
    my $name = join '+', $mpm, 'default', @$extra;
    my @missing = grep { !-e ($_ eq 'php' ? "$MODDIR/libphp8.2.so"
                                          : "$MODDIR/mod_$_.so") } @$extra;
    # with mod_socache_shmcb loaded, use it (WormReplyCache, locked)
    my $cache = (grep { $_ eq 'socache_shmcb' } @$extra)
                ? "WormReplyCache shmcb\n" : '';
    if (@missing) {
        fail("$name: @missing not installed (scripts/install-deps.sh)");
        next;
    }
    my $h = WrPrivateHttpd->new(port => $port, mpm => $mpm, servers => 2,
                                load => load_lines($mpm, $extra));
    my $d = $h->dir;
    $h->write_conf(<<"EOF");
TypesConfig /etc/mime.types
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:1
$cache
EOF
    my ($rc, $out) = $h->configtest;
    is $rc, 0, "$name: configtest" or diag $out;
    ok $h->start, "$name: httpd started and answers" or do {
        diag $h->error_log;
        $h->stop;
        next;
    };
    my $pid;
    $h->wait_for(sub { $pid = $h->pid }, 10);
    my $probe = sub {
        my $r = $h->raw("GET /scripts/root.exe?/c+dir HTTP/1.0\r\n\r\n");
        return $r =~ m{^HTTP/1\.1 404 .*\r\n\r\n404 Not Found\n\z}s;
    };
    ok $probe->(), "$name: a probe answered by the module";
    for my $n (1, 2) {
        ok $h->signal_server('graceful'), "$name: graceful restart $n";
        # the restart has happened once the new generation answers: wait
        # for its notifier's start-up line
        my $want = $n + 1;
        $h->wait_for(sub {
            my @s = $h->error_log =~ /WR00018/g;
            @s >= $want }, 15);
        ok alive($pid) && $h->wait_for(sub { $h->answers }, 10),
            "$name: the same parent answers after graceful $n"
            or diag 'parent ', $pid // '(no pid file)', ' alive: ',
                    alive($pid) ? 1 : 0, "\n", $h->error_log;
    }
    ok $probe->(), "$name: a probe answered after two restarts";
    like $h->raw("GET /index.html HTTP/1.0\r\n\r\n"), qr{^HTTP/1\.1 200 },
        "$name: an ordinary request served";
    my @started = $h->error_log =~ /WR00018/g;
    is scalar(@started), 3, "$name: a notifier per generation (3)";
    ok $h->stop, "$name: stopped";
    ok !alive($pid), "$name: the parent is gone";
    my $log = $h->error_log;
    unlike $log, qr/Segmentation fault|exit signal|child pid \d+ exit signal|SIGSEGV/,
        "$name: no crash in the error log";
}
done_testing;
