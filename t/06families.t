# WormReplyFamilies per vhost (an absolute list, a relative -NAME) and a
# vhost's own WormReplySignature family, active there only.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use WormreplyTest qw(:all);

plan tests => 30, need_module 'wormreply';

my $nimda = '/c/winnt/system32/cmd.exe?/c+dir';
my $printer = '/NULL.printer';          # an IIS-era .printer probe

# try - send raw $bytes to a vhost; (response, tag in the access log)
sub try {
    my($vh, $bytes, $line) = @_;
    my $port = vhost_port($vh);
    my $q = quotemeta $line;
    my $aoff = log_size('worm_access.log');
    my $r = send_raw($vh, $bytes);
    my $p = parse_response($r->{data});
    my($acc) = grep { /"$q" wp=\S+ p=$port$/ }
        log_wait('worm_access.log', $aoff, [qr/"$q" wp=\S+ p=$port$/]);
    my($tag) = ($acc // '') =~ / wp=(\S+) p=\d+$/;
    return ($p, $tag // 'no log line');
}

sub try_nimda { try($_[0], nimda_request($nimda), "GET $nimda HTTP/1.0") }
sub try_codered {
    try($_[0], codered_request('N'), codered_line('N'));
}
sub try_get {
    my($vh, $t) = @_;
    return try($vh, "GET $t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
               "GET $t HTTP/1.1");
}

# --- the defaults: all three built-in families
{
    my($p, $tag) = try_codered('wr_on');
    is $tag, 'codered', 'default families: Code Red tagged codered';
    ($p, $tag) = try_nimda('wr_on');
    is $tag, 'nimda', 'default families: Nimda tagged nimda';
    ($p, $tag) = try_get('wr_on', $printer);
    is $tag, 'iis', 'default families: .printer tagged iis';
    ok is_tiny($p, 404), 'default families: .printer answered';
}

# --- WormReplyFamilies nimda: only Nimda
{
    my($p, $tag) = try_codered('wr_nimda_only');
    is $tag, '-', 'nimda only: Code Red not tagged';
    ok is_httpd_404($p), 'nimda only: Code Red gets httpd\'s own 404';
    ($p, $tag) = try_nimda('wr_nimda_only');
    is $tag, 'nimda', 'nimda only: Nimda tagged';
    ok is_tiny($p, 404), 'nimda only: Nimda answered by the module';
    ($p, $tag) = try_get('wr_nimda_only', $printer);
    is $tag, '-', 'nimda only: .printer not tagged';
    ok is_httpd_404($p), 'nimda only: .printer gets httpd\'s own 404';
}

# --- WormReplyFamilies -iis: the default set less iis
{
    my($p, $tag) = try_get('wr_no_iis', $printer);
    is $tag, '-', '-iis: .printer not tagged';
    ok is_httpd_404($p), '-iis: .printer gets httpd\'s own 404';
    ($p, $tag) = try_get('wr_no_iis', '/scripts/..%c0%af../winnt/system32/cmd.exe?/c+ver');
    is $tag, '-', '-iis: an iis traversal not tagged';
    ($p, $tag) = try_codered('wr_no_iis');
    is $tag, 'codered', '-iis: Code Red still tagged';
    ok is_tiny($p, 404), '-iis: Code Red answered';
    ($p, $tag) = try_nimda('wr_no_iis');
    is $tag, 'nimda', '-iis: Nimda still tagged';
}

# --- a vhost's own family
{
    my($p, $tag) = try_get('wr_custom', '/acme-probe/12345');
    is $tag, 'acmescan', 'own family (raw pattern): tagged acmescan';
    ok is_tiny($p, 404), 'own family: answered by the module';
    ($p, $tag) = try_get('wr_custom', '/acme-line/anything');
    is $tag, 'acmescan', 'own family (line pattern): tagged acmescan';
    ($p, $tag) = try_get('wr_custom', '/acme-probe/12345x');
    is $tag, '-', 'own family: a near miss is not tagged';
    ok is_httpd_404($p), 'own family: a near miss gets httpd\'s own 404';
    ($p, $tag) = try_nimda('wr_custom');
    is $tag, 'nimda', 'own family: the built-in families still apply';
    ($p, $tag) = try_codered('wr_custom');
    is $tag, 'codered', 'own family: Code Red too';
}

# --- ... and not elsewhere
for my $vh (qw(wr_on wr_no_iis)) {
    my($p, $tag) = try_get($vh, '/acme-probe/12345');
    is $tag, '-', "$vh: the other vhost's family does not apply";
    ok is_httpd_404($p), "$vh: httpd's own 404";
}

# --- counted under its own name
{
    my $before = status_auto();
    try_get('wr_custom', '/acme-probe/7');
    try_get('wr_custom', '/acme-line/7');
    my $d = counter_delta($before, status_auto());
    ok exists $before->{'WormReplyProbes-acmescan'},
        'server-status has a WormReplyProbes-acmescan line';
    is $d->{'WormReplyProbes-acmescan'}, 2, 'two acmescan probes counted';
    is $d->{WormReplyProbes}, 2, 'and two probes in all';
}
