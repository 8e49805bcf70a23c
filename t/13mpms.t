# The module under each MPM: probes answered and counted in the shared
# counters by every child (prefork: one request per process at a time;
# worker and event: threads), the counts surviving a graceful restart.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use WrPrivateHttpd;

my $port = 18107;
for my $mpm (qw(prefork worker event)) {
    my $h = WrPrivateHttpd->new(port => $port++, mpm => $mpm, servers => 3);
    $h->write_conf("WormReply On\n");
    ok $h->start, "$mpm: httpd started" or do { diag $h->error_log; next };
    my $n = 30;
    for my $i (1 .. $n) {
        my $r = $h->raw("GET /scripts/root.exe?/c+dir HTTP/1.0\r\nHost: www\r\n\r\n");
        next if $r =~ m{^HTTP/1\.1 404 .*\r\n\r\n404 Not Found\n\z}s;
        fail("$mpm: probe $i not answered by the module");
    }
    my $r = $h->raw("GET /index.html HTTP/1.0\r\n\r\n");
    like $r, qr{^HTTP/1\.1 200 }, "$mpm: ordinary request served";
    my %c = $h->status =~ /"(\w+)": (\d+)/g;
    is $c{probes}, $n, "$mpm: $n probes counted across the children";
    ok $h->signal_server('graceful'), "$mpm: graceful restart";
    ok $h->wait_for(sub { $h->answers }, 10), "$mpm: answering again";
    $h->raw("GET /scripts/root.exe?/c+dir HTTP/1.0\r\n\r\n") for 1 .. 5;
    %c = $h->status =~ /"(\w+)": (\d+)/g;
    is $c{probes}, $n + 5, "$mpm: counts survive the graceful restart";
    $h->stop;
}
done_testing;
