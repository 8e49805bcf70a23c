# cli_queue.t - "wormreply queue" on a real spool directory: records in the
# documented format (wr_spool.h) in new/, cur/ and failed/; every command;
# unknown and hostile ids; a missing and an unreadable spool; and list/drop
# while another process claims and finishes records the way the notifier
# does (rename new/ -> cur/, unlink).
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG strftime);
use Time::HiRes qw(sleep time);
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use WrCli qw(run_sh shq slurp spew);

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = $ENV{WORMREPLY_CLI} || "$top/tools/wormreply";
my $tmp = tempdir('wr-queue-XXXXXX', TMPDIR => 1, CLEANUP => 1);

unless (ok(-x $cli, "$cli is built")) {
    done_testing();
    exit 1;
}

my $spool = "$tmp/spool";
sub wq { return run_sh(join ' ', map { shq($_) } $cli, 'queue', '--spool',
                      $spool, @_) }

# ---- a spool with records in the documented format ---------------------------
sub mkspool {
    my ($dir) = @_;
    make_path(map { "$dir/$_" } qw(tmp new cur failed), { mode => 0700 });
    chmod 0700, $dir, map { "$dir/$_" } qw(tmp new cur failed);
}
my $q = 0;
sub rfc { strftime('%Y-%m-%dT%H:%M:%S.000000Z', gmtime($_[0])) }
sub text {
    my (%r) = @_;
    my $t = "version: 1\naddress: $r{address}\nfamily: $r{family}\n"
        . "vhost: www.example\nfirst-seen: " . rfc($r{last} - 60)
        . "\nlast-seen: " . rfc($r{last}) . "\ncount: $r{count}\n";
    $t .= "attempts: $r{attempts}\nnext-try: " . rfc($r{next}) . "\n"
        if $r{attempts};
    $t .= "request: GET /scripts/root.exe?/c+dir HTTP/1.0\n";
    $t .= "failure: $r{failure}\n" if $r{failure};
    return $t;
}
sub record {
    my ($dir, %r) = @_;
    $q++;
    my $id = sprintf('%011d.%06d.P%d.Q%d.R%016x', 1714564800 + $q, $q, $$,
                     $q, 0xabc000 + $q);
    spew("$spool/$dir/$id.tmp", text(%r));
    rename "$spool/$dir/$id.tmp", "$spool/$dir/$id" or die $!;
    return $id;
}
mkspool($spool);
my $t0 = 1714564800;
my $n1 = record('new', address => '192.0.2.1', family => 'nimda', last => $t0,
                count => 16);
my $n2 = record('new', address => '2001:db8::2', family => 'codered',
                last => $t0 + 5, count => 1, attempts => 2,
                next => $t0 + 3600);
my $n3 = record('new', address => '192.0.2.3', family => 'nimda',
                last => $t0 + 9, count => 4);
my $c1 = record('cur', address => '198.51.100.4', family => 'nimda',
                last => $t0, count => 2);
my $f1 = record('failed', address => '203.0.113.5', family => 'nimda',
                last => $t0, count => 7, attempts => 5, next => $t0 + 7200,
                failure => '550 5.1.1 abuse@example.net: no such user');
my $f2 = record('failed', address => '203.0.113.6', family => 'codered',
                last => $t0, count => 1, failure => 'no MX, no A');
my $bad = '00000000009.000000.P1.Q1.Rbad';
spew("$spool/failed/$bad", "version: 7\naddress: \x01\n");

# ---- list, failed ----------------------------------------------------------------
my ($rc, $out, $err) = wq('list');
is($rc, 0, 'list exits 0');
like($out, qr/^-- 7 records: 3 queued, 1 active, 3 failed$/m, 'list: summary');
like($out, qr/^\Q$n1\E\s+queued\s+16 2024-05-01T12:00:00Z 192\.0\.2\.1 nimda$/m,
     'list: a queued record with count, last seen, address, family');
like($out, qr/^\Q$n2\E\s+queued.*\n\s+attempts 2, next try 2024-05-01T13:00:00Z$/m,
     'list: attempts and next try of a deferred record');
like($out, qr/^\Q$c1\E\s+active\s/m, 'list: the record in cur/ is active');
like($out, qr/^\Q$f1\E\s+failed.*\n.*\n\s+\(550 5\.1\.1 abuse\@example\.net: no such user\)$/m,
     'list: a failed record with its reason');
like($out, qr/^\Q$bad\E\s+failed\s+\(unreadable: /m,
     'list: an unreadable record is shown as such');
my @ids = $out =~ /^(\d{11}\.\S+)/mg;
is("@ids", "$n1 $n2 $n3 $c1 $bad $f1 $f2", 'list: by state, oldest first');
($rc, $out) = wq('failed');
is($rc, 0, 'failed exits 0');
@ids = $out =~ /^(\d{11}\.\S+)/mg;
is("@ids", "$bad $f1 $f2", 'failed: only failed/');
like($out, qr/^\s+\(no MX, no A\)$/m, 'failed: reasons');
like($out, qr/^-- 3 failed$/m, 'failed: summary');

# ---- list, failed --format json: the same records, one document ---------------
{
    require JSON::PP;
    ($rc, $out, $err) = wq('--format', 'json', 'list');
    is($rc, 0, 'list --format json exits 0') or diag $err;
    my $doc = eval { JSON::PP::decode_json($out) };
    ok($doc, 'list --format json is JSON') or diag "$@$out";
    $doc ||= {};
    like($out, qr/\A\{\s*"schema"\s*:\s*1,/, 'its first key is "schema": 1');
    is($doc->{generator}, 'wormreply queue list', 'generator');
    is($doc->{spool}, $spool, 'the spool it read');
    is_deeply($doc->{totals}, {records => 7, queued => 3, active => 1,
                               failed => 3}, 'totals as the text summary');
    my %r = map { $_->{id} => $_ } @{$doc->{records} || []};
    is(join(' ', map { $_->{id} } @{$doc->{records} || []}),
       "$n1 $n2 $n3 $c1 $bad $f1 $f2", 'records in the order of the table');
    is_deeply([@{$r{$n1}}{qw(state count address family vhost last_seen
                             last_seen_unix attempts next_try)}],
              ['queued', 16, '192.0.2.1', 'nimda', 'www.example',
               '2024-05-01T12:00:00Z', $t0, 0, undef],
              'a queued record: state, count, address, family, vhost, '
              . 'last seen, no next try');
    is_deeply([@{$r{$n2}}{qw(attempts next_try next_try_unix due due_unix)}],
              [2, '2024-05-01T13:00:00Z', $t0 + 3600, 'now', undef],
              'a deferred record whose backoff is over: due now');
    like($r{$n2}{reason}, qr/^waiting for the notifier/, '... and why');
    like($r{$c1}{reason}, qr/^waiting for DNS/, 'the active record: why');
    is_deeply([@{$r{$f1}}{qw(state failure due due_unix)}],
              ['failed', '550 5.1.1 abuse@example.net: no such user',
               'never (wormreply queue retry ID)', undef],
              'a failed record: its failure, due never');
    is($r{$bad}{state}, 'failed', 'the unreadable record is listed');
    like($r{$bad}{unreadable} // '', qr/malformed or unknown version/,
         '... as unreadable, with why');
    ($rc, $out) = wq('--format', 'json', 'failed');
    $doc = eval { JSON::PP::decode_json($out) } || {};
    is($doc->{generator}, 'wormreply queue failed', 'failed --format json');
    is(join(' ', map { $_->{id} } @{$doc->{records} || []}), "$bad $f1 $f2",
       '... only failed/');
    is($doc->{totals}{failed}, 3, '... its total');
    ($rc, undef, $err) = wq('--format', 'xml', 'list');
    is($rc, 2, '--format xml: exit 2');
    like($err, qr/--format takes text or json, not 'xml'/, '... says why');
}

# ---- show ----------------------------------------------------------------------------
($rc, $out) = wq('show', $f1);
is($rc, 0, 'show exits 0');
is($out, "id: $f1\nstate: failed\nwhy: failed: 550 5.1.1 "
   . "abuse\@example.net: no such user\ndue: never (wormreply queue retry "
   . "ID)\n" . slurp("$spool/failed/$f1"),
   'show: id, state, why and due, and the record as it is on disk');
($rc, $out, $err) = wq('show', $bad);
is($rc, 1, 'show of an unreadable record exits 1');
is($out, "id: $bad\nstate: failed\nversion: 7\naddress: \\x01\n",
   '... and shows its bytes, control bytes escaped');
like($err, qr/unreadable record/, '... saying it is unreadable');
($rc, undef, $err) = wq('show', '00000000001.000000.P1.Q1.Rnothere');
is($rc, 1, 'show of an unknown id exits 1');
like($err, qr/Rnothere: no such record/, '... "no such record"');
for my $evil ('../cur/' . $c1, '/etc/passwd', '.hidden', 'a b') {
    ($rc, undef, $err) = wq('show', $evil);
    is($rc, 1, "show '$evil' exits 1");
    like($err, qr/is not a record id/, '... not a record id');
}

# ---- retry ---------------------------------------------------------------------------
($rc, $out) = wq('retry', $f1);
is($rc, 0, 'retry of a failed record exits 0');
like($out, qr/^\Q$f1\E: requeued$/m, '... says so');
ok(!-e "$spool/failed/$f1" && -e "$spool/new/$f1", '... it moved to new/');
is(slurp("$spool/new/$f1"),
   text(address => '203.0.113.5', family => 'nimda', last => $t0, count => 7),
   '... same record, attempts, next-try and failure cleared');
is(join(',', glob("$spool/tmp/*")), '', '... nothing left in tmp/');
($rc, undef, $err) = wq('retry', $n1);
is($rc, 1, 'retry of a queued record exits 1');
like($err, qr/not failed \(queued\)/, '... not failed');
($rc, undef, $err) = wq('retry', '00000000001.000000.P1.Q1.Rnothere');
is($rc, 1, 'retry of an unknown id exits 1');
($rc, $out, $err) = wq('retry', 'ALL');
is($rc, 1, 'retry ALL with an unreadable record exits 1');
like($out, qr/^\Q$f2\E: requeued\n-- 1 records$/m, '... the readable one is requeued');
like($err, qr/\Q$bad\E: unreadable record, not retried/, '... the other named');
ok(-e "$spool/new/$f2" && -e "$spool/failed/$bad", '... and stays in failed/');

# ---- drop ----------------------------------------------------------------------------
($rc, $out) = wq('drop', $n1);
is($rc, 0, 'drop of a queued record exits 0');
ok(!-e "$spool/new/$n1", '... it is gone');
($rc, undef, $err) = wq('drop', $c1);
is($rc, 1, 'drop of an active record exits 1');
like($err, qr/active .* not dropped/, '... active, not dropped');
ok(-e "$spool/cur/$c1", '... and it is still there');
($rc, undef, $err) = wq('drop', $n1);
is($rc, 1, 'drop of a dropped record exits 1');
like($err, qr/no such record/, '... no such record');
($rc, $out) = wq('drop', 'ALL');
is($rc, 0, 'drop ALL exits 0');
like($out, qr/^-- 5 records$/m, "... 5 records dropped (4 queued, 1 failed)");
is(join(',', map { s{.*/}{}r } glob("$spool/new/* $spool/failed/*")), '',
   '... new/ and failed/ are empty');
ok(-e "$spool/cur/$c1", '... the active record is left to the notifier');
($rc, $out) = wq('list');
like($out, qr/^-- 1 records: 0 queued, 1 active, 0 failed$/m, 'list agrees');

# ---- usage and spool errors ------------------------------------------------------------
is((wq())[0], 2, 'no command: exit 2');
is((wq('flush'))[0], 2, 'unknown command: exit 2');
is((wq('show'))[0], 2, 'show without an id: exit 2');
is((wq('list', 'x'))[0], 2, 'list with an argument: exit 2');
like((run_sh(shq($cli) . ' queue --help'))[1], qr/retry ID\|ALL/, '--help');
($rc, undef, $err) = run_sh(join ' ', shq($cli), 'queue', 'list', '--spool',
                            "$tmp/nospool");
is($rc, 3, 'a missing spool (option after the command): exit 3');
like($err, qr/cannot read the spool .*nospool.*not a spool/, '... says why');
ok(!-e "$tmp/nospool", '... and does not create it');
make_path("$tmp/notaspool");
is((run_sh(join ' ', shq($cli), 'queue', '--spool', "$tmp/notaspool",
           'list'))[0], 3, 'a directory without new/ cur/ failed/: exit 3');

SKIP: {
    # root reads everything: run as nobody against a root-owned 0700
    # spool; as another user, take the read permission away
    my @as;
    if ($> == 0) {
        my $runuser = (grep { -x } '/usr/sbin/runuser', '/sbin/runuser')[0];
        my $nobody = getpwnam('nobody');
        skip 'root without runuser or user nobody', 3
            unless $runuser && defined $nobody;
        my ($xrc) = run_sh("$runuser -u nobody -- " . shq($cli) . ' --help');
        skip "nobody cannot run $cli (a parent directory is closed)", 3
            if $xrc != 0;
        @as = ($runuser, '-u', 'nobody', '--');
    }
    else {
        chmod 0000, "$spool/new";
    }
    ($rc, $out, $err) = run_sh(join ' ', map { shq($_) } @as, $cli, 'queue',
                               '--spool', $spool, 'list');
    chmod 0700, "$spool/new";
    is($rc, 3, 'an unreadable spool: exit 3');
    like($err, qr/cannot read the spool .*Permission denied/,
         '... Permission denied');
    like($err, qr/run as root or as httpd's User/, '... and what to do');
}

# ---- while records are claimed and finished as the notifier does -----------------------
remove_tree($spool);
mkspool($spool);
my $stop = "$tmp/stop";
my $worker = fork;
die "fork: $!" unless defined $worker;
if ($worker == 0) {
    # put a record (tmp/ -> new/), claim one (new/ -> cur/), finish one
    # (unlink from cur/), for at most 5 seconds
    my $end = time + 5;
    my $k = 0;
    while (time < $end && !-e $stop) {
        $k++;
        my $id = sprintf('%011d.%06d.P%d.Q%d.R%016x', 1714564800 + $k, 0,
                         $$, $k, $k);
        spew("$spool/tmp/$id", text(address => "192.0.2." . ($k % 250 + 1),
                                    family => 'nimda', last => $t0,
                                    count => $k));
        rename "$spool/tmp/$id", "$spool/new/$id";
        opendir my $dh, "$spool/new" or next;
        my @n = sort grep { /^\d/ } readdir $dh;
        closedir $dh;
        rename "$spool/new/$n[0]", "$spool/cur/$n[0]" if @n > 2;
        opendir $dh, "$spool/cur" or next;
        my @c = sort grep { /^\d/ } readdir $dh;
        closedir $dh;
        unlink "$spool/cur/$c[0]" if @c > 3;
        sleep 0.001;
    }
    exit 0;
}
my ($lists, $listed, $bad_lists, $drops, $bad_drops) = (0, 0, 0, 0, 0);
# at least 2 s and 3 rounds of list and drop, at most 30 s: a busy machine
# makes the rounds slower, not fewer
my ($end, $limit) = (time + 2, time + 30);
while ((time < $end || $lists < 3) && time < $limit) {
    my ($lrc, $lout, $lerr) = wq('list');
    $lists++;
    if ($lrc != 0 || $lerr ne '' || $lout =~ /unreadable/
        || $lout !~ /^-- \d+ records: /m) {
        diag "list (exit $lrc): $lerr$lout" unless $bad_lists;
        $bad_lists++;
    }
    $listed += () = $lout =~ /^\d{11}\./mg;
    my ($drc, $dout, $derr) = wq('drop', 'ALL');
    $drops++;
    # only "active" may stop a drop: a record the worker claimed
    $bad_drops++ if $drc > 1 || grep { !/active .* not dropped/ }
                                split /\n/, $derr;
}
spew($stop, '');
waitpid($worker, 0);
ok($lists >= 3, "list ran $lists times while records moved ($listed rows)");
is($bad_lists, 0, 'no list failed or showed a partial record');
is($bad_drops, 0, "drop ALL ($drops runs) only ever left active records");
is(join(',', glob("$spool/tmp/*")), '', 'nothing left behind in tmp/');

done_testing();
