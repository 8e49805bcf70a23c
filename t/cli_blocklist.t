# cli_blocklist.t - "wormreply blocklist" on the real access-log sample
# (a window of 2004 through --now), checked against an independent count;
# on a spool written in the documented record format; every format; the
# rbldnsd output served by a real rbldnsd on 127.0.0.1:15354 and queried
# with dig, including a list whose expiry has passed.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use POSIX qw(WNOHANG strftime);
use Time::HiRes qw(sleep);
use Time::Local qw(timegm);
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use WrCli qw(run_sh shq slurp spew);
$WrCli::LIMIT = 120;

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = $ENV{WORMREPLY_CLI} || "$top/tools/wormreply";
my $gz = "$top/t/data/access-sample.log.gz";
my $tmp = tempdir('wr-blocklist-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $RBL_PORT = 15354;

unless (ok(-x $cli, "$cli is built")) {
    done_testing();
    exit 1;
}

sub bl { return run_sh(join ' ', map { shq($_) } $cli, 'blocklist', @_) }

# ---- an independent reading of the corpus --------------------------------
my $plain = "$tmp/access-sample.log";
gunzip($gz => $plain) or die "gunzip: $GunzipError";
my %mon;
@mon{qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)} = (0 .. 11);
my ($mrc, $mout) = run_sh(join ' ', shq($cli), 'match', '-q', shq($plain));
is($mrc, 0, 'wormreply match classifies the corpus');
my @probe_at;    # [address, epoch] of every probe line Perl can read
{
    open my $fh, '<:raw', $plain or die $!;
    for my $ml (split /\n/, $mout) {
        my $l = <$fh>;
        last unless defined $l;
        next if $ml =~ /^-\t/;
        next unless $l =~ m{^(\S+) \S+ \S+ \[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)\] "(.*)" (\d{3}|-) (\d+|-) "(.*)" "(.*)"\r?$}s;
        my $t = timegm($7, $6, $5, $2, $mon{$3}, $4)
            - ($8 eq '-' ? -1 : 1) * ($9 * 3600 + $10 * 60);
        push @probe_at, [$1, $t];
    }
}
ok(@probe_at > 8000, scalar(@probe_at) . ' probe lines read by Perl');

my $now_s = '2004-05-01T00:00:00Z';
my $now = timegm(0, 0, 0, 1, 4, 2004);
my $win = 10 * 86400;
# expected - address => expiry (RFC 3339) for a window, minus exempt test
sub expected {
    my ($end, $len, $skip) = @_;
    my %last;
    for my $p (@probe_at) {
        my ($a, $t) = @$p;
        next if $t < $end - $len || $t > $end;
        next if $skip && $skip->($a);
        $last{$a} = $t if !defined $last{$a} || $t > $last{$a};
    }
    return { map { $_ => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime($last{$_} + $len)) }
             keys %last };
}
sub parse_plain {
    my %h;
    for (split /\n/, $_[0]) {
        my ($a, $e) = split /\t/;
        $h{$a} = $e;
    }
    return \%h;
}

my $want = expected($now, $win);
ok(keys(%$want) > 100, scalar(keys %$want) . ' hosts probed in the 10 days'
   . " before $now_s");
my ($rc, $out, $err) = bl('--since', '10d', '--now', $now_s, $gz);
is($rc, 0, 'plain list of the .gz exits 0');
is_deeply(parse_plain($out), $want,
          'plain: exactly the hosts Perl finds, each expiring 10 d after '
          . 'its last probe');
like($err, qr/^wormreply blocklist: ${\ scalar(keys %$want)} hosts /m,
     'summary on stderr');
my @order = map { (split /\t/)[0] } split /\n/, $out;
my @sorted = sort { pack('C4', split /\./, $a) cmp pack('C4', split /\./, $b) }
             @order;
is("@order", "@sorted", 'plain: in address order');

# the same from the uncompressed file, from stdin, options after the file
my ($rc2, $out2) = run_sh(join ' ', shq($cli), 'blocklist', shq($plain),
                          '--now', $now_s, '--since', '240h');
is($rc2 . $out2, "0$out", 'plain file, options after it, 240h: same list');
my ($rc3, $out3) = run_sh(join(' ', shq($cli), 'blocklist', '--since', '10d',
                               '--now', $now_s, '-', '<', shq($gz)));
is($rc3 . $out3, "0$out", 'gzip on stdin: same list');

# the log reader the other verbs use: a line longer than the longest a
# log line may be counts once as unreadable, the lines after it are read
{
    my $long = "$tmp/long.log";
    open my $lf, '>', $long or die "$long: $!";
    print $lf 'x' x 70000, "\n";
    open my $pf, '<', $plain or die "$plain: $!";
    print $lf $_ while <$pf>;
    close $pf;
    close $lf or die "$long: $!";
    my (undef, undef, $errp) = bl('--since', '10d', '--now', $now_s, $plain);
    my ($rcl, $outl, $errl) = bl('--since', '10d', '--now', $now_s, $long);
    is($rcl . $outl, "0$out", 'a 70,000-byte line first: same list');
    my ($np) = $errp =~ /; (\d+) unreadable log lines/;
    my ($nl) = $errl =~ /; (\d+) unreadable log lines/;
    is($nl, ($np // 0) + 1, '... and it is one more unreadable line')
        or diag("$errp\n$errl");
}

# one duration grammar: weeks as `report --bucket` takes them
my $want_w = expected($now, 14 * 86400);
my ($rcw, $outw, $errw) = bl('--since', '2w', '--now', $now_s, $gz);
is($rcw, 0, '--since 2w is accepted') or diag($errw);
is_deeply(parse_plain($outw), $want_w,
          '--since 2w: exactly the hosts of 14 days, each expiring 14 d '
          . 'after its last probe');
my ($rcd) = bl('--since', '1w2d3h', '--now', $now_s, $gz);
is($rcd, 0, '--since 1w2d3h is accepted');

# a shorter window ending elsewhere
my $now2 = timegm(0, 0, 12, 1, 6, 2005);
my $want2 = expected($now2, 90 * 86400);
my ($rc4, $out4) = bl('--since', '90d', '--now', '2005-07-01T14:00:00+02:00',
                      $gz);
is_deeply(parse_plain($out4), $want2,
          '90 days to 2005-07-01 12:00 UTC (given with an offset): '
          . scalar(keys %$want2) . ' hosts');

# --exempt: the busiest /16 of the first window and one single address
my %per16;
$per16{ join '.', (split /\./)[0, 1] }++ for keys %$want;
my ($busy16) = sort { $per16{$b} <=> $per16{$a} || $a cmp $b } keys %per16;
my ($single) = grep { !/^\Q$busy16.\E/ } sort keys %$want;
my $want3 = expected($now, $win, sub { $_[0] =~ /^\Q$busy16.\E/ || $_[0] eq $single });
my ($rc5, $out5, $err5) = bl('--since', '10d', '--now', $now_s, '--exempt',
                             "$busy16.0.0/16", '--exempt', "$single", $gz);
is_deeply(parse_plain($out5), $want3,
          "--exempt $busy16.0.0/16 and $single: $per16{$busy16} + 1 hosts "
          . 'fewer');
like($err5, qr/\d+ exempt/, '... exempt sightings counted');

# ---- every format, same hosts ----------------------------------------------
my $n = keys %$want;
my ($irc, $ipset) = bl('--since', '10d', '--now', $now_s, '--format', 'ipset',
                       $gz);
my @adds = $ipset =~ /^add wormreply (\S+) timeout (\d+) -exist$/mg;
is($irc, 0, 'ipset exits 0');
like($ipset, qr/\Acreate wormreply hash:ip family inet timeout 864000 -exist\n/,
     'ipset: the set is created with the window as its default timeout');
is(@adds / 2, $n, "ipset: $n adds");
my %ip = @adds;
my ($any) = sort keys %$want;
my ($Y, $M, $D, $h, $m, $sec) = $want->{$any} =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/;
my $left = timegm($sec, $m, $h, $D, $M - 1, $Y) - $now;
is($ip{$any}, $left, "ipset: $any times out when its window ends ($left s)");
my ($nrc, $nft) = bl('--since', '10d', '--now', $now_s, '--format', 'nftables',
                     '--table', 'ip fw', '--set', 'worms', $gz);
is($nrc, 0, 'nftables exits 0');
like($nft, qr/^add set ip fw worms \{ type ipv4_addr; flags timeout; \}$/m,
     'nftables: a set with timeouts in the given table');
my @el = $nft =~ /^add element ip fw worms \{ (\S+) timeout (\d+)s \}$/mg;
is(@el / 2, $n, "nftables: $n elements");
is({ @el }->{$any}, $left, "nftables: $any has the same timeout");
my ($rrc, $rbl) = bl('--since', '10d', '--now', $now_s, '--format', 'rbldnsd',
                     $gz);
is($rrc, 0, 'rbldnsd exits 0');
my @ent = $rbl =~ /^(\d+\.\d+\.\d+\.\d+) :127\.0\.0\.2:/mg;
is(scalar(@ent), $n, "rbldnsd: $n entries");
like($rbl, qr/^:127\.0\.0\.2:Worm probe from \$$/m, 'rbldnsd: default line');
like($rbl, qr/^\$TIMESTAMP 2004:05:01:00:00:00 2004:05:\d\d:\d\d:\d\d:\d\d$/m,
     'rbldnsd: $TIMESTAMP with the last expiry');

# ---- a spool in the documented record format --------------------------------
my $spool = "$tmp/spool";
make_path(map { "$spool/$_" } qw(tmp new cur failed));
my $q = 0;
sub rfc { strftime('%Y-%m-%dT%H:%M:%S.000000Z', gmtime($_[0])) }
sub record {
    my ($dir, $addr, $last, $extra) = @_;
    my $id = sprintf('%011d.%06d.P%d.Q%d.R%016x', time, ++$q, $$, $q, $q);
    spew("$spool/$dir/$id", "version: 1\naddress: $addr\nfamily: nimda\n"
         . "vhost: www.example\nfirst-seen: " . rfc($last - 60) . "\n"
         . "last-seen: " . rfc($last) . "\ncount: 3\n"
         . "request: GET /scripts/root.exe?/c+dir HTTP/1.0\n"
         . ($extra // ''));
    return $id;
}
my $t0 = time;
record('new', '192.0.2.10', $t0 - 600);
record('new', '192.0.2.10', $t0 - 1200);           # same host, earlier
record('cur', '198.51.100.20', $t0 - 300);
record('failed', '203.0.113.30', $t0 - 900, "failure: 550 no such user\n");
record('new', '2001:db8::40', $t0 - 60);
record('new', '192.0.2.50', $t0 - 7200);            # outside one hour
record('new', '192.0.2.200', $t0 - 60);             # exempt below
spew("$spool/new/00000000001.000000.P1.Q1.Rbroken", "version: 9\n");
my ($src, $sout, $serr) = bl('--since', '1h', '--spool', $spool,
                             '--exempt', '192.0.2.128/25');
is($src, 0, 'spool list exits 0');
is(join(',', map { (split /\t/)[0] } split /\n/, $sout),
   '192.0.2.10,198.51.100.20,203.0.113.30,2001:db8::40',
   'spool: new/, cur/ and failed/ hosts of the last hour, minus exempt');
my $exp10 = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime($t0 - 600 + 3600));
like($sout, qr/^192\.0\.2\.10\t\Q$exp10\E$/m,
     'spool: expiry from the latest last-seen of the host');
like($serr, qr/1 unreadable spool records/, 'the broken record is counted');
my ($mrc2, $mixed) = bl('--since', '1h', '--spool', $spool, $plain);
is(scalar(split /\n/, $mixed), 5,
   'spool and a (2004) log together: the 5 spool hosts');
my ($erc, undef, $eerr) = bl('--since', '1h', '--spool', "$tmp/nospool");
is($erc, 1, 'a missing spool: exit 1');
like($eerr, qr/cannot read the spool .*nospool/, '... with the reason');
ok(!-e "$tmp/nospool", '... and no spool is created there');

# ---- usage errors -------------------------------------------------------------
is((bl($gz))[0], 2, 'no --since: exit 2');
is((bl('--since', '1x', $gz))[0], 2, 'a bad duration: exit 2');
is((bl('--since', '1.5h', $gz))[0], 2, 'a fraction of an hour: exit 2');
is((bl('--since', '1h', '--format', 'csv', $gz))[0], 2, 'a bad format: exit 2');
is((bl('--since', '1h', '--now', 'yesterday', $gz))[0], 2, 'a bad --now: exit 2');
is((bl('--since', '1h', '--exempt', '10.0.0.0/40', $gz))[0], 2,
   'a bad --exempt: exit 2');
# found by t/fuzz/fuzz_blocklist: now + window overflowed (UBSan)
my ($hrc, undef, $herr) = bl('--since', '106751991d', '--now',
                             '9870-12-31T23:59:59Z', $gz);
is($hrc, 2, 'a window past the representable times: exit 2');
like($herr, qr/--since '106751991d' reaches outside/, '... saying so');
is((bl('--since', '1h', '--set', 'a;b', '--format', 'ipset', $gz))[0], 2,
   'a set name with ";": exit 2');
my ($mfrc, $mfout) = bl('--since', '10d', '--now', $now_s, $gz,
                        "$tmp/missing.log");
is($mfrc, 1, 'a missing log: exit 1');
is($mfout, $out, '... the readable input is still listed');
like((bl('--help'))[1], qr/--since DURATION/, '--help');

# ---- a real rbldnsd ----------------------------------------------------------
SKIP: {
    my $rbldnsd = (grep { -x } '/usr/sbin/rbldnsd', '/usr/bin/rbldnsd')[0];
    my $dig = (grep { -x } '/usr/bin/dig')[0];
    skip 'rbldnsd or dig not installed (apt-get install rbldnsd dnsutils)', 9
        unless $rbldnsd && $dig;
    # rbldnsd drops root for its own user: the data must be readable by it
    my $zd = "/tmp/wr-rbldnsd.$$";
    remove_tree($zd);
    make_path($zd, { mode => 0755 });
    chmod 0755, $zd;
    my ($r1, $fresh) = bl('--since', '1h', '--spool', $spool, '--format',
                          'rbldnsd');
    spew("$zd/fresh.txt", $fresh);
    spew("$zd/old.txt", $rbl);
    chmod 0644, "$zd/fresh.txt", "$zd/old.txt";
    like($fresh, qr/^192\.0\.2\.10 /m, 'fresh rbldnsd list has 192.0.2.10');
    unlike($fresh, qr/2001:db8/, '... and no IPv6 address (ip4set)');

    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', "$zd/rbldnsd.out";
        open STDERR, '>&', \*STDOUT;
        exec $rbldnsd, '-n', '-f', '-b', "127.0.0.1/$RBL_PORT", '-w', $zd,
            '-c', '0', 'fresh.wormreply.test:ip4set:fresh.txt',
            'old.wormreply.test:ip4set:old.txt' or exit 127;
    }
    my $dig_q = sub {
        my ($name, $type) = @_;
        my ($drc, $dout) = run_sh("$dig +time=2 +tries=1 \@127.0.0.1 -p "
                                  . "$RBL_PORT $name $type");
        my ($status) = $dout =~ /status: (\w+)/;
        my @ans = $dout =~ /^\Q$name\E\.\s+\d+\s+IN\s+$type\s+(.*)$/mg;
        return ($status // 'none', @ans);
    };
    my @r;
    for (1 .. 50) {           # up to 5 s for rbldnsd to load and listen
        @r = $dig_q->('10.2.0.192.fresh.wormreply.test', 'A');
        last if $r[0] ne 'none';
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.1;
    }
    is("@r", 'NOERROR 127.0.0.2', 'dig: a listed address answers 127.0.0.2');
    my @t = $dig_q->('10.2.0.192.fresh.wormreply.test', 'TXT');
    like($t[1] // '', qr/^"Worm probe from 192\.0\.2\.10 \(until \d{4}-/,
         'dig: its TXT names it and says until when');
    is(($dig_q->('20.100.51.198.fresh.wormreply.test', 'A'))[1], '127.0.0.2',
       'dig: the host from cur/ is listed');
    is(($dig_q->('50.2.0.192.fresh.wormreply.test', 'A'))[0], 'NXDOMAIN',
       'dig: the host seen two hours ago is not');
    is(($dig_q->('1.0.0.127.fresh.wormreply.test', 'A'))[0], 'NXDOMAIN',
       'dig: an address never seen is not');
    my ($old) = sort keys %$want;
    my $rev = join '.', reverse split /\./, $old;
    is(($dig_q->("$rev.old.wormreply.test", 'A'))[0], 'SERVFAIL',
       "dig: the 2004 list ($old in it) has expired: rbldnsd will not use it");
    kill 'TERM', $pid;
    my $gone = 0;
    for (1 .. 50) {
        if (waitpid($pid, WNOHANG) == $pid) {
            $gone = 1;
            last;
        }
        sleep 0.1;
    }
    unless ($gone) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    ok($gone, 'rbldnsd stopped on TERM');
    like(slurp("$zd/rbldnsd.out"), qr/zone old\.wormreply\.test: zone data expired/,
         'rbldnsd logged the expiry');
    remove_tree($zd);
}

done_testing();
