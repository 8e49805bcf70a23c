# Farm-wide state: two httpd instances share the per-source windows through
# a real memcached and a real Redis (httpd's own socache providers), so a
# source that probes both servers makes one spool event, not one per server.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use WrPrivateHttpd;

my %server = (
    memcache => { port => 11311, module => 'socache_memcache',
                  cmd => [qw(memcached -l 127.0.0.1 -U 0 -m 16 -u nobody -p 11311)] },
    redis => { port => 16379, module => 'socache_redis',
               cmd => [qw(redis-server --bind 127.0.0.1 --port 16379 --save),
                       '', qw(--appendonly no --protected-mode yes)] },
);

sub listening {
    my $port = shift;
    return defined IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                         Timeout => 1);
}

my @pids;
END { kill 'TERM', @pids if @pids; }

my $port = 18130;
for my $name (sort keys %server) {
    my $s = $server{$name};
    my $bin = $s->{cmd}[0];
    if (!grep { -x "$_/$bin" } split /:/, $ENV{PATH}) {
        fail("$name: $bin is not installed (scripts/install-deps.sh)");
        next;
    }
    if (-e "/usr/lib/apache2/modules/mod_$s->{module}.so" == 0) {
        fail("$name: mod_$s->{module} is missing");
        next;
    }
    ok !listening($s->{port}), "$name: port $s->{port} is free";
    my $pid = fork;
    if (defined $pid && $pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec @{ $s->{cmd} } or exit 127;
    }
    push @pids, $pid;
    my $end = time + 10;
    sleep 0.05 until listening($s->{port}) || time > $end;
    ok listening($s->{port}), "$name: a real server on 127.0.0.1:$s->{port}";

    my @h;
    for my $k (0, 1) {
        my $h = WrPrivateHttpd->new(port => $port++);
        my $d = $h->dir;
        $h->write_conf(<<"EOF");
LoadModule $s->{module}_module /usr/lib/apache2/modules/mod_$s->{module}.so
WormReply On
WormReplyNotify On
WormReplyCache $name:127.0.0.1:$s->{port}
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:1
WormReplyNotifyAllow 192.0.2.0/24
WormReplyDigestDelay 1h
EOF
        ok $h->start, "$name: server " . ($k ? 'B' : 'A') . ' started'
            or diag $h->error_log;
        push @h, $h;
    }
    my $st = sub { my %c = $_[0]->status =~ /"(\w+)": (\d+)/g; \%c };
    $h[0]->probe('192.0.2.41', '/scripts/root.exe?/c+dir');
    $h[1]->probe('192.0.2.41', '/scripts/root.exe?/c+dir');
    $h[1]->probe('192.0.2.42', '/default.ida?' . ('X' x 224));
    $h[0]->probe('192.0.2.42', '/default.ida?' . ('X' x 224));
    $h[0]->probe('192.0.2.41', '/scripts/root.exe?/c+dir');
    my ($a, $b) = map { $st->($_) } @h;
    is $a->{spooled}, 1, "$name: A wrote the event of the source it saw first";
    is $b->{spooled}, 1, "$name: B wrote the event of the source it saw first";
    is $a->{host_counted} + $b->{host_counted}, 3,
        "$name: the other probes were only counted, on either server";
    $_->stop for @h;
}
done_testing;
