# Configuration checked and used in small standalone httpd configs, apart
# from the Apache::Test server:
# - `apache2 -t` fails on every bad value with the file, the line and the
#   reason, and says "Syntax OK" for a good config;
# - a private httpd (127.0.0.1 only) shows the default action, a vhost
#   inheriting WormReplyAction from the main server and another overriding
#   it, WormReplySignatureFile families (on, off, +NAME, a vhost's own),
#   and counters that survive a graceful restart into a new config.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use IO::Select ();
use Time::HiRes qw(time sleep);
use WormreplyTest qw(parse_response codered_request nimda_request is_tiny
                     is_httpd_404);

plan tests => 167, need_module 'wormreply', need_module 'status';

my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $moddir = '/usr/lib/apache2/modules';
my $so = abs_path($ENV{WORMREPLY_SO}
                  || "$FindBin::Bin/../mod_wormreply/.libs/mod_wormreply.so");
my $dir = tempdir('wr-conf-XXXXXX', DIR => Apache::Test::vars('t_logs'),
                  CLEANUP => 1);
chmod 0755, $dir;    # the children (User nobody) traverse it

sub spew {
    my($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
    return $path;
}

my $n = 0;
# configtest - write a config of the common head plus $body, run
# apache2 -t on it; (exit status, output, file, line of the first
# line of $body that contains $mark)
sub configtest {
    my($body, $mark, $wrap) = @_;
    my $file = "$dir/t" . ++$n . '.conf';
    my $text = <<"EOC" . $body;
ServerRoot $dir
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule wormreply_module $so
ServerName localhost
Listen 127.0.0.1:1
PidFile $dir/t$n.pid
ErrorLog $dir/t$n.error_log
DefaultRuntimeDir $dir
EOC
    spew($file, $text);
    my $line = 0;
    if (defined $mark) {
        my @l = split /\n/, $text;
        for my $i (0 .. $#l) {
            if (index($l[$i], $mark) >= 0) { $line = $i + 1; last; }
        }
    }
    my $cmd = "'$httpd' -t -f '$file'";
    $cmd = $wrap->($cmd) if $wrap;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out, $file, $line);
}

# bad - a config that must fail, with its file and line and the reason
sub bad {
    my($what, $body, $mark, $reason, $wrap) = @_;
    my($rc, $out, $file, $line) = configtest($body, $mark, $wrap);
    isnt $rc, 0, "$what: configtest fails";
    my $where = qr/(?:Syntax error on line $line of \Q$file\E:|at \Q$file\E:$line\b)/;
    like $out, $where, "$what: names $file line $line"
        or diag $out;
    like $out, $reason, "$what: says why" or diag $out;
}

# --- the module loads at all (else every case below fails for that)
{
    my($rc, $out) = configtest("WormReply Off\n");
    is $rc, 0, 'the module loads in a minimal config' or diag $out;
}

# --- every bad value fails configtest, saying where and why
bad('unknown action', "WormReplyAction 418\n", 'WormReplyAction',
    qr/WormReplyAction: unknown action '418' \(expected 404, 403, 410, close or pass\)/);
bad('invalid regex', "WormReplySignature acme \"^/a(b\"\n", 'WormReplySignature',
    qr/WormReplySignature: .*missing closing parenthesis at offset 5 in '\^\/a\(b'/);
bad('invalid regex in a vhost',
    "<VirtualHost *:1>\nWormReplySignature acme \"x[\" raw\n</VirtualHost>\n",
    'WormReplySignature', qr/missing terminating \] .* at offset 2 in 'x\['/);
bad('CIDR mask too long', "WormReplyExempt 10.0.0.0/33\n", 'WormReplyExempt',
    qr/WormReplyExempt: invalid address or network '10\.0\.0\.0\/33'/);
bad('not an address', "WormReplyExempt 192.0.2.1 scanner.example\n",
    'WormReplyExempt',
    qr/WormReplyExempt: invalid address or network 'scanner\.example'/);
bad('IPv6 mask too long', "WormReplyExempt 2001:db8::/129\n",
    'WormReplyExempt', qr/invalid address or network '2001:db8::\/129'/);
bad('IPv4 octet out of range', "WormReplyExempt 300.1.2.3\n",
    'WormReplyExempt', qr/invalid address or network '300\.1\.2\.3'/);
bad('missing signature file', "WormReplySignatureFile $dir/none.sigs\n",
    'WormReplySignatureFile',
    qr/WormReplySignatureFile: cannot read signature file '\Q$dir\E\/none\.sigs': No such file/);
bad('signature file that is a directory', "WormReplySignatureFile $dir\n",
    'WormReplySignatureFile',
    qr/cannot read signature file '\Q$dir\E'/);
SKIP: {
    # root reads a file whatever its mode: only another user can test this
    skip 'unreadable file: running as root', 3 if $> == 0;
    my $sig = spew("$dir/unreadable.sigs", "family acme on Test\n");
    chmod 0, $sig;
    bad('unreadable signature file', "WormReplySignatureFile $sig\n",
        'WormReplySignatureFile',
        qr/cannot read signature file '\Q$sig\E': Permission denied/);
}
{
    my $sig = spew("$dir/badline.sigs",
                   "# comment\nfamily acme on Test\nacme sideways ^/x\n");
    bad('bad line in a signature file', "WormReplySignatureFile $sig\n",
        'WormReplySignatureFile', qr/\Q$sig\E:3: expected 'FAMILY norm\|raw\|line/);
    $sig = spew("$dir/badre.sigs", "family acme on Test\n\nacme raw ^/x(\n");
    bad('bad regex in a signature file', "WormReplySignatureFile $sig\n",
        'WormReplySignatureFile',
        qr/\Q$sig\E:3: missing closing parenthesis at offset 4/);
    $sig = spew("$dir/badfam.sigs", "family acme maybe Test\n");
    bad('bad family line in a signature file',
        "WormReplySignatureFile $sig\n", 'WormReplySignatureFile',
        qr/\Q$sig\E:1: /);
    $sig = spew("$dir/badattr.sigs",
                "# mine\nfamily acme on confidence=likely colour=red Test\n");
    bad('unknown family attribute in a signature file',
        "WormReplySignatureFile $sig\n", 'WormReplySignatureFile',
        qr/\Q$sig\E:2: unknown family attribute 'colour' \(known: confidence/);
    $sig = spew("$dir/badconf.sigs", "family acme on confidence=high Test\n");
    bad('bad confidence in a signature file',
        "WormReplySignatureFile $sig\n", 'WormReplySignatureFile',
        qr/\Q$sig\E:1: family attribute confidence: 'high' is not one of certain\|likely\|recon/);
}
# AUTH only with TLS required: checked once the whole configuration is
# read, so either order of the two directives is caught
{
    my $secret = spew("$dir/smtp-secret", "s3cret\n");
    chmod 0600, $secret;
    bad('AUTH with opportunistic TLS',
        "WormReplySmarthost localhost:25\nWormReplySMTPTLS opportunistic\n"
        . "WormReplySMTPAuth wormtest $secret\n", 'WormReplySMTPAuth',
        qr/WormReplySMTPAuth at \S+ needs WormReplySMTPTLS required, not opportunistic \(at \Q$dir\E\/t\d+\.conf:\d+\): the secret must only reach a smarthost whose certificate chain and name were verified/);
    bad('AUTH without TLS',
        "WormReplySmarthost localhost:25\nWormReplySMTPAuth wormtest $secret\n"
        . "WormReplySMTPTLS off\n", 'WormReplySMTPAuth',
        qr/WormReplySMTPAuth at \S+ needs WormReplySMTPTLS required, not off/);
}
# WormReplyTransport: the transport and its program checked at once, the
# combination with WormReplySmarthost once the configuration is read
bad('unknown transport', "WormReplyTransport pigeon\n", 'WormReplyTransport',
    qr/WormReplyTransport: unknown transport 'pigeon' \(expected smtp or sendmail\)/);
bad('sendmail program missing',
    "WormReplyTransport sendmail $dir/no-such-sendmail\n", 'WormReplyTransport',
    qr/WormReplyTransport: sendmail: \Q$dir\E\/no-such-sendmail: No such file/);
bad('sendmail program relative', "WormReplyTransport sendmail sendmail\n",
    'WormReplyTransport', qr/sendmail: 'sendmail' is not an absolute path/);
bad('smtp transport without a smarthost', "WormReplyTransport smtp\n",
    'WormReplyTransport',
    qr/WormReplyTransport smtp at \S+ needs WormReplySmarthost/);
{
    my $sm = spew("$dir/sendmail", "#!/bin/sh\nexit 0\n");
    chmod 0755, $sm;
    bad('sendmail transport with a smarthost',
        "WormReplySmarthost localhost:25\nWormReplyTransport sendmail $sm\n",
        'WormReplyTransport',
        qr/WormReplyTransport sendmail at \S+ hands notices to the local MTA: remove WormReplySmarthost/);
    my($rc, $out) = configtest("WormReplyTransport sendmail $sm\n");
    is $rc, 0, 'WormReplyTransport sendmail PATH: accepted' or diag $out;
}
bad('bounce address not an address', "WormReplyBounceAddress bounces\n",
    'WormReplyBounceAddress',
    qr/WormReplyBounceAddress: 'bounces' is not a mail address \(local\@domain\)/);
bad('bounce address with a +', "WormReplyBounceAddress b+x\@example.org\n",
    'WormReplyBounceAddress',
    qr/WormReplyBounceAddress: 'b\+x\@example\.org' has a '\+' in its local part/);
# a smarthost without a bounce address: allowed, with a warning
{
    my($rc, $out) = configtest("WormReplySmarthost localhost:25\n");
    is $rc, 0, 'smarthost without bounce address: configtest passes'
        or diag $out;
    like $out, qr/WR00701: WormReplySmarthost without WormReplyBounceAddress: the bounces of notices go to WormReplyFrom and nothing reads them/,
        'smarthost without bounce address: warned';
    ($rc, $out) = configtest("WormReplySmarthost localhost:25\n"
                             . "WormReplyBounceAddress bounces\@example.org\n");
    is $rc, 0, 'smarthost with bounce address: configtest passes'
        or diag $out;
    unlike $out, qr/WR\d{5}|warn/i, 'smarthost with bounce address: no warning';
}
bad('unknown notify family', "WormReplyNotifyFamilies certain +bogus\n",
    'WormReplyNotifyFamilies',
    qr/WormReplyNotifyFamilies: unknown family 'bogus' at .*\(a family name, certain, likely, recon or all\)/);
bad('unknown family', "WormReplyFamilies nimda bogus\n", 'WormReplyFamilies',
    qr/WormReplyFamilies: unknown family 'bogus'/);
bad('unknown family with +', "<VirtualHost *:1>\nWormReplyFamilies -iis +nosuch\n</VirtualHost>\n",
    'WormReplyFamilies', qr/WormReplyFamilies: unknown family 'nosuch'/);
bad('another vhost\'s family',
    "<VirtualHost *:1>\nServerName a\nWormReplySignature mine \"^/mine/\" raw\n"
    . "</VirtualHost>\n<VirtualHost *:1>\nServerName b\n"
    . "WormReplyFamilies mine\n</VirtualHost>\n",
    'WormReplyFamilies mine', qr/WormReplyFamilies: unknown family 'mine'/);
bad('unknown subject', "WormReplySignature acme \"^/x\" sideways\n",
    'WormReplySignature',
    qr/WormReplySignature: unknown subject 'sideways' \(expected norm, raw or line\)/);
bad('WormReply not a flag', "WormReply maybe\n", 'WormReply maybe',
    qr/WormReply must be On or Off/);

# --- WormReplyOutboxRetention: a duration or off, server-wide
bad('outbox retention not a duration', "WormReplyOutboxRetention 5x\n",
    'WormReplyOutboxRetention',
    qr/WormReplyOutboxRetention: '5x' is not a duration \(such as 12h, 30d\) or off/);
bad('outbox retention of zero', "WormReplyOutboxRetention 0\n",
    'WormReplyOutboxRetention',
    qr/WormReplyOutboxRetention: '0' is not a duration \(such as 12h, 30d\) or off/);
bad('outbox retention in a vhost',
    "<VirtualHost *:1>\nWormReplyOutboxRetention 7d\n</VirtualHost>\n",
    'WormReplyOutboxRetention',
    qr/WormReplyOutboxRetention cannot occur within <VirtualHost> section/);
{
    my($rc, $out) = configtest("WormReplyOutboxRetention 12h\n"
                               . "WormReplyOutboxRetention off\n");
    is $rc, 0, 'outbox retention 12h, off: configtest passes' or diag $out;
}

# --- what start or graceful would refuse about notices, refused by
# configtest already (httpd -t runs no post_config)
my $shmcb = "LoadModule socache_shmcb_module $moddir/mod_socache_shmcb.so\n";
# (notices without a socache provider loaded are fine: the module's own
# table needs none; t/12notice_config.t starts such a server)
bad('a spool that is a file',
    "${shmcb}WormReply On\nWormReplyNotify On\nWormReplySpool /etc/passwd\n"
    . "WormReplyOutbox $dir/ob2\n", 'WormReplySpool',
    qr/WR00600: WormReplySpool at \S+: '\/etc\/passwd' is not a directory/);
spew("$dir/afile", "not a directory\n");
bad('a spool under a file',
    "${shmcb}WormReply On\nWormReplyNotify On\nWormReplySpool $dir/afile/spool\n"
    . "WormReplyOutbox $dir/ob3\n", 'WormReplySpool',
    qr/WR00600: WormReplySpool at \S+: cannot create '\Q$dir\E\/afile\/spool': '\Q$dir\E\/afile' is not a directory/);
bad('an outbox that is a file',
    "${shmcb}WormReply On\nWormReplyNotify On\nWormReplySpool $dir/sp4\n"
    . "WormReplyOutbox $dir/afile\n", 'WormReplyOutbox',
    qr/WR00600: WormReplyOutbox at \S+: '\Q$dir\E\/afile' is not a directory/);
SKIP: {
    # a directory on a read-only file system: a read-only bind mount in a
    # mount namespace of the test's own (the machine's mounts are untouched)
    mkdir "$dir/ro";
    my $ns = sub { "unshare -m sh -c \"mount --bind -o ro '$dir/ro' '$dir/ro'"
                   . " && exec $_[0]\"" };
    my $probe = `unshare -m sh -c "mount --bind -o ro '$dir/ro' '$dir/ro' && touch '$dir/ro/x'" 2>&1`;
    skip "no read-only bind mount here ($probe)", 6
        if $probe !~ /Read-only file system/;
    bad('a spool that cannot be created (read-only file system)',
        "${shmcb}WormReply On\nWormReplyNotify On\nWormReplySpool $dir/ro/spool\n"
        . "WormReplyOutbox $dir/ob5\n", 'WormReplySpool',
        qr/WR00600: WormReplySpool at \S+: cannot create '\Q$dir\E\/ro\/spool' in '\Q$dir\E\/ro': Read-only file system/,
        $ns);
    bad('an existing spool that cannot be owned (read-only file system)',
        "${shmcb}WormReply On\nWormReplyNotify On\nWormReplySpool $dir/ro\n"
        . "WormReplyOutbox $dir/ob5\n", 'WormReplySpool',
        qr/WR00600: WormReplySpool at \S+: '\Q$dir\E\/ro' is not writable: Read-only file system/,
        $ns);
}
bad('notices in a virtual host with WormReply Off',
    "${shmcb}WormReply On\nWormReplySpool $dir/sp6\nWormReplyOutbox $dir/ob6\n"
    . "<VirtualHost *:1>\nWormReply Off\nWormReplyNotify On\n</VirtualHost>\n",
    'WormReplyNotify On',
    qr/WR00600: WormReplyNotify On at \S+ has no effect: WormReply is Off in this virtual host/);
bad('notices in a virtual host that inherits WormReply Off',
    "${shmcb}WormReplySpool $dir/sp7\nWormReplyOutbox $dir/ob7\n"
    . "<VirtualHost *:1>\nWormReplyNotify Test\n</VirtualHost>\n",
    'WormReplyNotify Test',
    qr/WR00600: WormReplyNotify Test at \S+ has no effect: WormReply is Off in this virtual host/);
bad('notices in the main server that no server uses',
    "${shmcb}WormReply Off\nWormReplyNotify On\nWormReplySpool $dir/sp8\n"
    . "WormReplyOutbox $dir/ob8\n<VirtualHost *:1>\nWormReply On\n"
    . "WormReplyNotify Off\n</VirtualHost>\n", 'WormReplyNotify On',
    qr/WR00600: WormReplyNotify On at \S+ has no effect: WormReply is Off in the main server and in every virtual host that inherits it/);
{
    # the main server's WormReplyNotify is the default of the virtual
    # hosts: with WormReply Off there and On in a vhost it is meaningful
    my($rc, $out) = configtest("${shmcb}WormReplyNotify On\n"
        . "WormReplySpool $dir/sp9\nWormReplyOutbox $dir/ob9\n"
        . "<VirtualHost *:1>\nWormReply On\n</VirtualHost>\n");
    is $rc, 0, 'main server WormReplyNotify On inherited by a vhost with '
        . 'WormReply On: configtest passes' or diag $out;
    ok !-e "$dir/sp9" && !-e "$dir/ob9",
        'configtest creates neither the spool nor the outbox';
}
{
    # the name notices are signed with: "ServerName localhost" (or none,
    # Debian's default) is no name; a notifying vhost's name is, and so is
    # the machine's fully qualified name, which this machine may have
    require Sys::Hostname;
    my $host = Sys::Hostname::hostname();
    my $canon = (gethostbyname($host))[0] // '';
    my ($mfq) = grep { /\./ && /[a-z]/i && !/^localhost/i && !/:/ }
                     $host, $canon;
    my($rc, $out) = configtest("${shmcb}WormReply On\nWormReplyNotify On\n"
        . "WormReplySpool $dir/sp10\nWormReplyOutbox $dir/ob10\n");
    is $rc, 0, 'notices with ServerName localhost: configtest passes (a '
        . 'warning)' or diag $out;
    if ($mfq) {
        unlike $out, qr/WR00601/, "... the machine's name ($mfq) will do";
    }
    else {
        like $out, qr/WR00601: WormReplyNotify at \S+: no fully qualified name for this server \(ServerName is 'localhost'.*set ServerName/,
            '... warns that notices will have no fully qualified name';
    }
    ($rc, $out) = configtest("${shmcb}WormReplySpool $dir/sp11\n"
        . "WormReplyOutbox $dir/ob11\n<VirtualHost *:1>\n"
        . "ServerName www.example.org\nWormReply On\nWormReplyNotify On\n"
        . "</VirtualHost>\n");
    is $rc, 0, 'notices in a vhost with a fully qualified name: configtest '
        . 'passes' or diag $out;
    unlike $out, qr/WR00601/, '... and says nothing of the name';
}

# --- a good config with every directive
{
    my $sig = spew("$dir/good.sigs",
                   "# test\nfamily acmeoff off confidence=recon Test, off by default\n"
                   . "acmeoff raw ^/acme-off/\nacmeon raw ^/acme-on/\n");
    my($rc, $out) = configtest(<<"EOC");
WormReply On
WormReplyAction close
WormReplyFamilies default +late
WormReplySignature late "^/late/" raw
WormReplySignatureFile $sig
WormReplyExempt 192.0.2.0/24 2001:db8::/32 198.51.100.7
<VirtualHost *:1>
    WormReply Off
    WormReplyAction pass
    WormReplyFamilies all -iis
    WormReplySignature own "^GET /own/" line
    WormReplyExempt ::1
</VirtualHost>
EOC
    is $rc, 0, 'good config: configtest passes' or diag $out;
    like $out, qr/Syntax OK/, 'good config: Syntax OK';
    unlike $out, qr/WR\d{5}|error|warn/i, 'good config: nothing else said';
}

# --- a private httpd on a free loopback port
sub free_port {
    for my $p (map { 18150 + $_ } 0 .. 40) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => $p, Listen => 1,
                                       ReuseAddr => 1) or next;
        close $s;
        return $p;
    }
    die "no free port in 18150-18190\n";
}
my $port = free_port();
my $conf = "$dir/httpd.conf";
my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
my $head = <<"EOC";
ServerRoot $dir
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule status_module $moddir/mod_status.so
LoadModule wormreply_module $so
${user}ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $dir/httpd.pid
ErrorLog $dir/error_log
LogLevel info
DefaultRuntimeDir $dir
Mutex file:$dir default
DocumentRoot $dir/htdocs
StartServers 1
ServerLimit 2
ThreadsPerChild 4
MinSpareThreads 1
MaxSpareThreads 8
MaxRequestWorkers 8
LogFormat "%>s \\"%r\\" wp=%{WORM_PROBE}e" wp
CustomLog $dir/access_log wp
<Location /server-status>
    SetHandler server-status
</Location>
EOC
mkdir "$dir/htdocs";
chmod 0755, "$dir/htdocs";
spew("$dir/htdocs/index.html", "hello\n");

# raw - send bytes to the private httpd, read to EOF (bounded)
sub raw {
    my $bytes = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                   Timeout => 5) or return {};
    binmode $s;
    print $s $bytes;
    my $data = '';
    my $deadline = time + 10;
    my $sel = IO::Select->new($s);
    while (time < $deadline && $sel->can_read($deadline - time)) {
        my $got = sysread $s, my $buf, 65536;
        last unless $got;
        $data .= $buf;
    }
    close $s;
    return parse_response($data);
}

sub get {
    my($host, $t) = @_;
    return raw("GET $t HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n");
}

sub auto {
    my $r = get('127.0.0.1', '/server-status?auto');
    my %c;
    for (split /\n/, $r->{body} // '') {
        $c{$1} = $2 if /^(WormReply[\w-]+): (\d+)$/;
    }
    return \%c;
}

sub ctl {
    my $verb = shift;
    my $out = `'$httpd' -f '$conf' -k $verb 2>&1`;
    return ($? >> 8, $out);
}

sub pid {
    open my $fh, '<', "$dir/httpd.pid" or return 0;
    my $p = <$fh> // '';
    return $p =~ /^(\d+)/ ? $1 : 0;
}

my $started = 0;
END {
    if ($started) {
        my $p = pid();
        ctl('stop');
        for (1 .. 100) { last unless $p && kill 0, $p; sleep 0.05; }
    }
}

# 1. the main server itself: WormReply On, no action given
spew($conf, $head . "WormReply On\n");
{
    my($rc, $out) = ctl('start');
    is $rc, 0, 'private httpd starts' or diag $out;
    $started = 1;
    my $up = 0;
    for (1 .. 200) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                       PeerPort => $port, Timeout => 1);
        if ($s) { $up = 1; close $s; last; }
        sleep 0.05;
    }
    ok $up, "private httpd listens on 127.0.0.1:$port";
}
my $nimda = '/scripts/root.exe?/c+dir';
my $phase1 = 3;
{
    my $r = raw(nimda_request($nimda));
    ok is_tiny($r, 404), 'default action: 404 with the tiny body';
    $r = raw(codered_request('N'));
    ok is_tiny($r, 404), 'default action: Code Red gets it too';
    $r = get('127.0.0.1', '/NULL.printer');
    ok is_tiny($r, 404), 'default action: an iis probe too';
    $r = get('127.0.0.1', '/index.html');
    is $r->{code}, 200, 'an ordinary page is served';
    my $c = auto();
    is $c->{WormReplyProbes}, $phase1, "$phase1 probes counted";
    is $c->{'WormReplyAction-404'}, $phase1, "$phase1 answered 404";
}

# 2. graceful restart into a config with vhosts
spew("$dir/main.sigs", "family acmeoff off Test family, off by default\n"
     . "acmeoff raw ^/acme-off/[0-9]+\$\n"
     . "family acmeon on Test family, on by default\n"
     . "acmeon raw ^/acme-on/[0-9]+\$\n");
spew("$dir/vhost.sigs", "localfam line ^GET /local-probe/\n");
spew($conf, $head . <<"EOC");
WormReplyAction 410
WormReplySignatureFile $dir/main.sigs
<VirtualHost *:$port>
    ServerName inherit.test
    WormReply On
</VirtualHost>
<VirtualHost *:$port>
    ServerName override.test
    WormReply On
    WormReplyAction 403
    WormReplyFamilies +acmeoff
</VirtualHost>
<VirtualHost *:$port>
    ServerName own.test
    WormReply On
    WormReplySignatureFile $dir/vhost.sigs
    WormReplyFamilies nimda localfam
</VirtualHost>
EOC
{
    my($rc, $out) = ctl('graceful');
    is $rc, 0, 'graceful restart accepted' or diag $out;
    # bounded wait until the new generation answers: override.test then
    # answers 403; each try is a probe and is counted
    my($tries, $new, $old404) = (0, 0, 0);
    for (1 .. 100) {
        $tries++;
        my $r = raw("GET $nimda HTTP/1.0\r\nHost: override.test\r\n\r\n");
        if (is_tiny($r, 403)) { $new = 1; last; }
        $old404++ if is_tiny($r, 404);    # still the old generation
        sleep 0.1;
    }
    ok $new, "the new configuration answers (after $tries tries)";
    my $c = auto();
    is $c->{WormReplyProbes}, $phase1 + $tries,
        'the counters survived the graceful restart';
    is $c->{'WormReplyAction-404'}, $phase1 + $old404,
        'the 404s counted before the restart are still there';
}
{
    # inherit.test is the first vhost: Nimda's "Host: www" lands there
    my $r = raw(nimda_request($nimda));
    ok is_tiny($r, 410), 'inherit.test: WormReplyAction 410 from the main server';
    $r = get('inherit.test', '/acme-on/1');
    ok is_tiny($r, 410), 'inherit.test: a family from a signature file, on';
    $r = get('inherit.test', '/acme-off/1');
    ok is_httpd_404($r), 'inherit.test: a family declared off is not active';
    $r = get('override.test', '/acme-off/2');
    ok is_tiny($r, 403), 'override.test: its own action, +acmeoff active';
    $r = raw(codered_request('X') =~ s/\r\n/\r\nHost: override.test\r\n/r);
    ok is_tiny($r, 403), 'override.test: Code Red answered 403';
    $r = get('own.test', '/local-probe/x');
    ok is_tiny($r, 410), 'own.test: its own signature file\'s family';
    $r = raw("GET $nimda HTTP/1.0\r\nHost: own.test\r\n\r\n");
    ok is_tiny($r, 410), 'own.test: nimda, listed in its families';
    $r = raw(codered_request('N') =~ s/\r\n/\r\nHost: own.test\r\n/r);
    ok is_httpd_404($r), 'own.test: Code Red not in its families';
    $r = get('own.test', '/acme-on/3');
    ok is_httpd_404($r), 'own.test: nor the server\'s acmeon';
    $r = get('inherit.test', '/local-probe/x');
    ok is_httpd_404($r), 'inherit.test: own.test\'s family does not apply';
    my $c = auto();
    is $c->{'WormReplyProbes-localfam'}, 1, 'localfam counted';
    is $c->{'WormReplyProbes-acmeoff'}, 1, 'acmeoff counted';
}
{
    my $p = pid();
    my($rc, $out) = ctl('stop');
    is $rc, 0, 'private httpd stops' or diag $out;
    my $gone = 0;
    for (1 .. 200) { if (!kill 0, $p) { $gone = 1; last; } sleep 0.05; }
    ok $gone, 'and is gone';
    $started = 0 if $gone;
    my @wr = do { open my $fh, '<', "$dir/error_log"; grep { /WR0000[45]/ } <$fh> };
    ok scalar(@wr) > 0, 'its error log has the WR00004 lines';
    ok !grep({ /\[wormreply:(?:warn|error|crit|alert|emerg)\]/ }
             do { open my $fh, '<', "$dir/error_log"; <$fh> }),
        'and nothing from the module at warn or above';
}
