# cli_status.t - "wormreply status" against a private httpd with the module
# on 127.0.0.1:18095: known probes are sent, then the table, --json,
# --prometheus and the live view (--watch 1 --count 2) must show exactly
# them; errors for a wrong path, a page that is not the counters, a closed
# port. The httpd has its own ServerRoot under /tmp and is stopped with
# bounded waits whatever happens.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use WrCli qw(run_sh shq slurp);

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = $ENV{WORMREPLY_CLI} || "$top/tools/wormreply";
my $so = "$top/mod_wormreply/.libs/mod_wormreply.so";
my $PORT = 18095;
my $dir = "/tmp/wr-cli-status.$$";
my $url = "http://127.0.0.1:$PORT/wormreply-status";

chomp(my $moddir = `apxs -q LIBEXECDIR 2>/dev/null` // '');
chomp(my $sbin = `apxs -q SBINDIR 2>/dev/null` // '');
chomp(my $target = `apxs -q TARGET 2>/dev/null` // '');
my $httpd = "$sbin/$target";

plan skip_all => "module not built ($so)" unless -f $so;
plan skip_all => "no httpd ($httpd)" unless -x $httpd;
plan skip_all => "port $PORT is busy"
    if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$PORT", Timeout => 1);
ok(-x $cli, "$cli is built") or BAIL_OUT('no CLI');

sub status { return run_sh(join ' ', map { shq($_) } $cli, 'status', @_) }

# raw - one request exactly as given, to the vhost named in $host; the
# status line of the answer
sub raw {
    my ($line, $host) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$PORT",
                                  Timeout => 5) or return '';
    $s->autoflush(1);
    print $s "$line\r\nHost: $host\r\nConnection: close\r\n\r\n";
    my $ans = '';
    my $end = time + 5;
    while (time < $end) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $ans .= $buf;
    }
    close $s;
    return $ans;
}

# ---- a private httpd ----------------------------------------------------------
remove_tree($dir);
make_path("$dir/logs", "$dir/run", "$dir/htdocs");
open my $ix, '>', "$dir/htdocs/index.html" or die $!;
print $ix "<html><body>hello</body></html>\n";
close $ix;
chmod 0755, $dir, "$dir/htdocs", "$dir/logs", "$dir/run";
chmod 0644, "$dir/htdocs/index.html";
open my $cf, '>', "$dir/httpd.conf" or die $!;
print $cf <<"EOF";
ServerRoot "$dir"
ServerName status.localhost
Listen 127.0.0.1:$PORT
PidFile "$dir/run/httpd.pid"
DefaultRuntimeDir "$dir/run"
Mutex file:$dir/run default
User www-data
Group www-data
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule authz_host_module $moddir/mod_authz_host.so
LoadModule remoteip_module $moddir/mod_remoteip.so
LoadModule mime_module $moddir/mod_mime.so
LoadModule dir_module $moddir/mod_dir.so
LoadModule wormreply_module $so
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
ErrorLog "$dir/logs/error.log"
LogLevel warn
TypesConfig /etc/mime.types
DocumentRoot "$dir/htdocs"
DirectoryIndex index.html
<Directory "$dir/htdocs">
    Require all granted
</Directory>
# a proxy's X-Forwarded-For names the client: a non-local one for the
# test of the shipped handler's "Require local"
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
# the first vhost (default) serves the counters and is not counted itself;
# the handler is the shipped conf/wormreply-status.conf (a2enconf)
<VirtualHost 127.0.0.1:$PORT>
    ServerName status.localhost
    Include $top/conf/wormreply-status.conf
</VirtualHost>
<VirtualHost 127.0.0.1:$PORT>
    ServerName probes.localhost
    WormReply On
    WormReplyAction 404
</VirtualHost>
EOF
close $cf;

my @hctl = ($httpd, '-d', $dir, '-f', "$dir/httpd.conf", '-k');
sub stop_httpd {
    return unless -f "$dir/run/httpd.pid";
    my $pid = slurp("$dir/run/httpd.pid") =~ /(\d+)/ ? $1 : 0;
    system(@hctl, 'stop');
    for (1 .. 100) {                     # up to 10 s
        return 1 unless -f "$dir/run/httpd.pid";
        sleep 0.1;
    }
    kill 'TERM', $pid if $pid;
    return 0;
}
END { stop_httpd() if defined $dir && -d $dir; remove_tree($dir) if $dir; }

is(system(@hctl, 'start'), 0, "httpd starts on 127.0.0.1:$PORT");
my $up = 0;
for (1 .. 100) {                         # up to 10 s
    if (raw('GET / HTTP/1.0', 'status.localhost') =~ m{^HTTP/1\.\d 200}) {
        $up = 1;
        last;
    }
    sleep 0.1;
}
ok($up, 'httpd answers') or BAIL_OUT('httpd did not come up: '
                                     . slurp("$dir/logs/error.log"));

# ---- known traffic -----------------------------------------------------------------
my @nimda = ('/scripts/root.exe?/c+dir', '/MSADC/root.exe?/c+dir',
             '/c/winnt/system32/cmd.exe?/c+dir',
             '/scripts/..%255c../winnt/system32/cmd.exe?/c+dir',
             '/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir');
my $codered = '/default.ida?' . ('N' x 224) . '%u9090%u6858%ucbd3%u7801'
    . '%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190'
    . '%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a';
my $n404 = 0;
for my $t (@nimda, $codered, $codered) {
    $n404++ if raw("GET $t HTTP/1.0", 'probes.localhost') =~ m{^HTTP/1\.\d 404};
}
is($n404, 7, 'the 7 probes are answered 404');
raw("GET $_ HTTP/1.0", 'probes.localhost') for ('/', '/index.html', '/x.html');

# what the handler says, read by Perl itself
sub handler_json {
    my $ans = raw('GET /wormreply-status HTTP/1.0', 'status.localhost');
    my ($body) = $ans =~ /\r\n\r\n(.*)\z/s;
    return ($body // '', eval { decode_json($body // '') } || {});
}
my ($body, $h) = handler_json();
is($h->{probes}, 7, 'handler (read by Perl): 7 probes');
is($h->{requests}, 10, 'handler: 10 requests in the counted vhost');
is($h->{families}{nimda}, 5, 'handler: nimda 5');
is($h->{families}{codered}, 2, 'handler: codered 2');

# ---- the table ---------------------------------------------------------------------------
my ($rc, $out, $err) = status($url);
is($rc, 0, 'status URL exits 0') or diag($err);
my %row = $out =~ /^[ \t]*(\S+)[ \t]+(\d+(?:\.\d+)?)\b/mg;
is($row{requests}, 10, 'table: requests');
is($row{probes}, 7, 'table: probes');
is($row{nimda}, 5, 'table: nimda');
is($row{codered}, 2, 'table: codered');
is($row{404}, 7, 'table: action 404');
like($out, qr/^probes\s+7\s+70\.00 % of requests$/m, 'table: share of requests');
like($out, qr/^probe_seconds\s+\d+\.\d{6}\s+seconds answering probes, [\d.]+ us per probe$/m,
     'table: probe time and time per probe');
like($out, qr/^since\s+\w{3}, \d\d \w{3} \d{4} /m, 'table: since');
my ($rc0, $out0) = status("http://127.0.0.1:$PORT");
is($out0, $out, 'a URL without a path means /wormreply-status');

# ---- --json, --prometheus ---------------------------------------------------------------
($rc, $out) = status('--json', $url);
is($rc, 0, '--json exits 0');
my $j = eval { decode_json($out) } || {};
is_deeply($j, $h, '--json: the handler\'s JSON as it is');
($rc, $out) = status($url, '--prometheus');
is($rc, 0, '--prometheus exits 0');
like($out, qr/^wormreply_probes_total\{family="nimda"\} 5$/m,
     '--prometheus: the text format');

# ---- the live view ---------------------------------------------------------------------------
{
    my ($wout, $werr) = ("$dir/watch.out", "$dir/watch.err");
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', $wout or exit 127;
        open STDERR, '>', $werr or exit 127;
        exec $cli, 'status', $url, '--watch', '1', '--count', '2' or exit 127;
    }
    # the header is printed after the first poll: probes sent after it
    # fall inside the watch
    for (1 .. 100) {
        last if slurp($wout) =~ /^TIME /m;
        sleep 0.05;
    }
    raw("GET $nimda[0] HTTP/1.0", 'probes.localhost') for 1 .. 4;
    raw("GET $codered HTTP/1.0", 'probes.localhost');
    my $done = 0;
    for (1 .. 200) {                       # up to 10 s
        if (waitpid($pid, WNOHANG) == $pid) {
            $done = 1;
            last;
        }
        sleep 0.05;
    }
    unless ($done) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    ok($done && $? == 0, '--watch 1 --count 2 ends by itself, exit 0')
        or diag(slurp($werr));
    my $w = slurp($wout);
    my ($head) = $w =~ /^(TIME .*)$/m;
    like($head // '', qr/^TIME\s+REQ\/S\s+PROBES\/S\s.*\bnimda\/s\s.*CPU%\s+SHARE%$/,
         'watch: columns per family, CPU and share');
    like($head // '', qr/\bcodered\/s\s/, 'watch: a column per family');
    my @lines = $w =~ /^(\d\d:\d\d:\d\d .*)$/mg;
    is(scalar(@lines), 2, 'watch: two lines');
    my $rate = 0;
    for (@lines) {
        my @f = split ' ';
        $rate += $f[2];
        like($_, qr/\s(\d+\.\d|-)\s+(\d+\.\d{3}|-)$/, "watch line has CPU% and SHARE%: $_");
    }
    ok($rate > 0, "watch: probes per second seen ($rate)");
    my ($tot) = $w =~ /^(-- .*)$/m;
    like($tot // '', qr/^-- [\d.]+ s: 5 requests, 5 probes, .*[\d.]+ s answering probes$/,
         'watch: totals count exactly the requests and probes sent meanwhile');
    my %per = ($tot // '') =~ /, ([a-z][\w-]*) (\d+)/g;
    is("$per{nimda}/$per{codered}", '4/1', '... nimda 4, codered 1');
    SKIP: {
        skip 'no /proc/stat', 1 unless -r '/proc/stat';
        ok(!grep({ /\s-\s+\S+$/ } @lines), 'watch: CPU% is measured');
    }
}

# ---- no URL: the shipped wormreply-status.conf, as a2enconf enables it ----
{
    my $etc = "$dir/etc-apache2";
    make_path("$etc/conf-available", "$etc/conf-enabled");
    symlink("$top/conf/wormreply-status.conf",
            "$etc/conf-available/wormreply-status.conf") or die $!;
    open my $pc, '>', "$etc/ports.conf" or die $!;
    print $pc "# as Debian's\nListen $PORT\n<IfModule ssl_module>\n"
        . "\tListen 443\n</IfModule>\n";
    close $pc;
    my $env = 'APACHE_CONFDIR=' . shq($etc);
    my ($rc, $out, $err) = run_sh("$env " . shq($cli) . ' status');
    is($rc, 1, 'no URL, the handler not enabled: exit 1');
    like($err, qr{\Q$etc\E/conf-enabled/wormreply-status\.conf is missing: enable the status handler with 'a2enconf wormreply-status'},
         '... and says how to enable it');
    # what a2enconf does
    symlink('../conf-available/wormreply-status.conf',
            "$etc/conf-enabled/wormreply-status.conf") or die $!;
    ($rc, $out, $err) = run_sh("$env " . shq($cli) . ' status');
    is($rc, 0, 'no URL, the handler enabled: exit 0') or diag $err;
    like($out, qr{^wormreply status of http://127\.0\.0\.1:$PORT/wormreply-status$}m,
         '... found at the Listen port and the shipped path');
    like($out, qr/^probes\s+\d+/m, '... and shows the counters');
    my $ans = raw("GET /wormreply-status HTTP/1.0\r\nX-Forwarded-For: 192.0.2.7",
                  'status.localhost');
    like($ans, qr{^HTTP/1\.\d 403}, 'the shipped handler refuses a client '
         . 'that is not local (Require local)');
}

# ---- errors ------------------------------------------------------------------------------
($rc, undef, $err) = status("http://127.0.0.1:$PORT/no-such-status");
is($rc, 1, 'a wrong path: exit 1');
like($err, qr/the server answered 404/, '... the server answered 404');
($rc, undef, $err) = status("http://127.0.0.1:$PORT/index.html");
is($rc, 1, 'a page that is not the counters: exit 1');
like($err, qr/not the counters JSON/, '... not the counters JSON');
($rc, undef, $err) = status('--json', "http://127.0.0.1:$PORT/index.html");
is($rc, 1, '--json of a page that is not JSON: exit 1');
($rc, undef, $err) = status('http://127.0.0.1:1/wormreply-status');
is($rc, 1, 'a closed port: exit 1');
like($err, qr/cannot connect to 127\.0\.0\.1:1: Connection refused/,
     '... connection refused');
is((status('https://127.0.0.1/'))[0], 1, 'https: exit 1 (not supported)');
is((status('--count', '2', $url))[0], 2, '--count without --watch: exit 2');
is((status('--json', '--watch', '1', $url))[0], 2, '--json with --watch: exit 2');
is((status('--watch', '0', $url))[0], 2, '--watch 0: exit 2');
like((status('--help'))[1], qr/SHARE%\s+the time httpd spent/, '--help explains the share');

ok(stop_httpd(), 'httpd stops');
unlike(slurp("$dir/logs/error.log"), qr/AH00052|segfault|AddressSanitizer/,
       'no child crashed');
done_testing();
