# wormreply report --resolve: sources named by confirmed reverse DNS, the
# notifier's rules, against the rig's DNS server on 127.0.0.1.
use strict;
use warnings FATAL => 'all';
use FindBin;
use Test::More;
use JSON::PP ();
use File::Temp ();

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $cli = "$top/tools/wormreply";
my $port = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $port ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my ($fh, $log) = File::Temp::tempfile(UNLINK => 1);
my %src = ('192.0.2.10' => 'host10.wormreply.test',    # confirmed
           '2001:db8::10' => 'host6.wormreply.test',    # confirmed, IPv6
           '192.0.2.11' => undef,                       # PTR does not confirm
           '192.0.2.12' => undef,                       # CR/LF in the PTR
           '192.0.2.99' => undef);                      # no PTR
my $i = 0;
for my $ip (sort keys %src) {
    print $fh "$ip - - [21/Apr/2004:21:38:4$i -0400] "
        . "\"GET /scripts/root.exe?/c+dir HTTP/1.0\" 404 288 \"-\" \"-\"\n";
    $i++;
}
close $fh;

my $out = qx{$cli report --resolve --resolver 127.0.0.1:$port --format json --quiet $log};
is $? >> 8, 0, 'report --resolve exits 0';
my $j = eval { JSON::PP::decode_json($out) };
ok $j, 'JSON parses' or diag $@;
my %got = map { $_->{address} => $_->{name} } @{ $j->{sources} || [] };
for my $ip (sort keys %src) {
    is $got{$ip}, $src{$ip}, "source $ip named "
        . ($src{$ip} // 'nothing (not confirmed)');
}
# the text form names them in a last column, "-" for the others
my $text = qx{$cli report --resolve --resolver 127.0.0.1:$port --quiet $log};
like $text, qr/ name \(confirmed reverse DNS\)$/m, 'text: a name column';
for my $ip (sort keys %src) {
    my $want = $src{$ip} // '-';
    like $text, qr/^  \Q$ip\E\s.*\s\Q$want\E$/m, "text: $ip named $want";
}
unlike qx{$cli report --quiet $log}, qr/confirmed reverse DNS/,
    'text without --resolve: no name column';
my $err = qx{$cli report --resolve --resolver 127.0.0.1:$port $log 2>&1 >/dev/null};
like $err, qr/2 sources named by confirmed reverse DNS, 3 not/, 'summary';
qx{$cli report --resolver not-an-ip $log 2>/dev/null};
is $? >> 8, 2, 'a bad --resolver is a usage error';
done_testing;
