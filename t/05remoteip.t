# mod_remoteip sources and WormReplyExempt: the module sees the client
# behind a trusted proxy; exempt clients (IPv4, IPv6) are counted, not
# tagged; a vhost's own exempt list replaces the server's.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use WormreplyTest qw(:all);

plan tests => 26, need_module 'wormreply', need_module 'remoteip';

my $probe = '/scripts/root.exe?/c+dir';
my $qline = quotemeta "GET $probe HTTP/1.0";

# via - send Nimda's probe through "the proxy" (127.0.0.1 is a
# RemoteIPInternalProxy) for client $ip; response, access-log line of this
# request, error-log lines, counter deltas
sub via {
    my($vh, $ip) = @_;
    my $port = vhost_port($vh);
    my $before = status_auto();
    my $aoff = log_size('worm_access.log');
    my $eoff = log_size('error_log');
    my $r = send_raw($vh, "GET $probe HTTP/1.0\r\nHost: www\r\n"
                     . "X-Forwarded-For: $ip\r\n\r\n");
    my $p = parse_response($r->{data});
    my($acc) = grep { /"$qline" wp=\S+ p=$port$/ }
        log_wait('worm_access.log', $aoff, [qr/"$qline" wp=\S+ p=$port$/]);
    my @err = log_lines_since('error_log', $eoff);
    my $d = counter_delta($before, status_auto());
    return ($p, $acc // '', \@err, $d);
}

# --- a forwarded client: the log and WR00004 show it, not the proxy
{
    my($p, $acc, $err, $d) = via('wr_on', '203.0.113.9');
    ok is_tiny($p, 404), 'forwarded probe: answered by the module';
    like $acc, qr/^203\.0\.113\.9 404 "$qline" wp=nimda /,
        'forwarded probe: the access log shows the forwarded client';
    like join("\n", @$err),
        qr/WR00004: nimda probe from 203\.0\.113\.9, answered 404: $qline$/m,
        'forwarded probe: WR00004 names the forwarded client';
    is $d->{WormReplyProbes}, 1, 'forwarded probe: counted as a probe';
}
{
    my($p, $acc, $err, $d) = via('wr_on', '2001:db8::9');
    like $acc, qr/^2001:db8::9 404 "$qline" wp=nimda /,
        'forwarded IPv6 client: in the access log';
    like join("\n", @$err),
        qr/WR00004: nimda probe from 2001:db8::9, answered 404/m,
        'forwarded IPv6 client: in WR00004';
}

# --- exempt clients, from the server's list (inherited by wr_on)
for my $ip ('192.0.2.250', '2001:db8::250') {
    my($p, $acc, $err, $d) = via('wr_on', $ip);
    ok is_httpd_404($p), "exempt $ip: not answered by the module";
    like $acc, qr/^\Q$ip\E 404 "$qline" wp=- /,
        "exempt $ip: not tagged in the access log";
    is scalar(grep { /WR00004: / } @$err), 0, "exempt $ip: no WR00004";
    like join("\n", @$err),
        qr/\[wormreply:debug\].*WR00008: nimda probe from exempt client \Q$ip\E not tagged/m,
        "exempt $ip: one WR00008 line at debug";
    is $d->{WormReplyExempt}, 1, "exempt $ip: counted as exempt";
    is $d->{WormReplyProbes}, 0, "exempt $ip: not counted as a probe";
}

# --- a vhost with its own list: the server's entries no longer apply
{
    my($p, $acc, $err, $d) = via('wr_exempt_own', '192.0.2.250');
    ok is_tiny($p, 404),
        'own list: 192.0.2.250 (only in the server\'s list) is answered';
    like $acc, qr/^192\.0\.2\.250 404 "$qline" wp=nimda /,
        'own list: and tagged';
    is $d->{WormReplyExempt}, 0, 'own list: not counted as exempt';
}
for my $ip ('198.51.100.77', '2001:db8:1::5') {
    my($p, $acc, $err, $d) = via('wr_exempt_own', $ip);
    like $acc, qr/^\Q$ip\E 404 "$qline" wp=- /,
        "own list: $ip (in its CIDR) is exempt";
    is $d->{WormReplyExempt}, 1, "own list: $ip counted as exempt";
}

# --- without X-Forwarded-For the proxy itself is the client
{
    my $port = vhost_port('wr_on');
    my $aoff = log_size('worm_access.log');
    send_raw('wr_on', nimda_request($probe));
    my($acc) = grep { /p=$port$/ }
        log_wait('worm_access.log', $aoff, [qr/"$qline" wp=\S+ p=$port$/]);
    like $acc // '', qr/^127\.0\.0\.1 404 "$qline" wp=nimda /,
        'no X-Forwarded-For: the peer is the client';
}
