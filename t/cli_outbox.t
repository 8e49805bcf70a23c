# cli_outbox.t - "wormreply outbox" on a real outbox directory: notices in
# the documented format (wr_delivery.h) queued, backing off, failed (a 5xx,
# an expiry) and kept in sent/, the smarthost backing off; every command
# and its exit status; unknown and hostile ids; the queue manager's lock
# held by another process; a missing, a wrong and an unreadable outbox.
# No network, no httpd.
use strict;
use warnings;

use Cwd qw(abs_path);
use Fcntl qw(:flock);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use Test::More;
use JSON::PP ();
use FindBin;
use lib "$FindBin::Bin/lib";
use WrCli qw(run_sh shq slurp spew);

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = $ENV{WORMREPLY_CLI} || "$top/tools/wormreply";
my $tmp = tempdir('wr-outbox-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $seq = 0;

unless (ok(-x $cli, "$cli is built")) {
    done_testing();
    exit 1;
}

my $ob = "$tmp/outbox";
sub wo { return run_sh(join ' ', map { shq($_) } $cli, 'outbox', '--outbox',
                      $ob, @_) }

# ---- an outbox in the documented format ----------------------------------------
my $now = int(time);
sub us { return $_[0] * 1000000 }
sub iso {
    my @t = gmtime($_[0]);
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1,
                   @t[3, 2, 1, 0]);
}
sub message {
    my (%m) = @_;
    my $h = "Date: Wed, 1 May 2024 12:00:00 +0000\r\n"
        . "From: \"Worm Reply\" <wormreply\@wormreply.test>\r\n"
        . "To: $m{to}\r\n" . ($m{cc} ? "Cc: $m{cc}\r\n" : '')
        . "Subject: [wormreply] nimda probes from 192.0.2.10\r\n"
        . "Message-ID: <$m{id}\@wormreply.test>\r\n"
        . "X-Wormreply-Report-ID: $m{id}\r\n"
        . "MIME-Version: 1.0\r\n"
        . "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    return $h . "Your host 192.0.2.10 sent worm probes.\r\n"
        . "GET /scripts/root.exe?/c+dir HTTP/1.0\r\n";
}
sub env {
    my (@rcpt) = @_;
    return "version: 1\nsender: wormreply\@wormreply.test\n"
        . join('', map { "rcpt: $_\n" } @rcpt) . "eightbit: 0\n";
}
sub staterec {
    my (%s) = @_;
    my $t = "version: 1\nqueued: " . us($s{queued}) . "\nattempts: $s{attempts}\n"
        . "last-try: " . us($s{last_try} // 0) . "\nnext-try: "
        . us($s{next_try} // 0) . "\n";
    $t .= "last-error: $s{last_error}\n" if $s{last_error};
    $t .= "failure: $s{failure}\n" if $s{failure};
    return $t;
}
my %id;
sub notice {
    my ($key, $place, %n) = @_;
    my $id = sprintf('wr-20240501T12%02d00Z-%016x', scalar(keys %id), 0xabc000 + scalar(keys %id));
    $id{$key} = $id;
    my $dir = $place eq 'queued' ? $ob : "$ob/$place";
    spew("$dir/$id.env", env(@{ $n{rcpt} })) if $n{rcpt};
    spew("$dir/$id.state", staterec(%{ $n{state} })) if $n{state};
    spew("$dir/.$id.tmp", message(id => $id, %n));
    rename "$dir/.$id.tmp", "$dir/$id.eml" or die $!;
    return $id;
}
sub mkoutbox {
    remove_tree($ob);
    %id = ();
    make_path(map { "$ob/$_" } '', qw(sent failed dest), { mode => 0700 });
    chmod 0700, $ob, map { "$ob/$_" } qw(sent failed dest);
    # queued: fresh, with an envelope (Bcc)
    notice('fresh', 'queued', to => 'abuse@example.net',
           rcpt => ['abuse@example.net', 'admin@wormreply.test']);
    # queued: backing off after two tries
    notice('waiting', 'queued', to => 'abuse@example.org',
           rcpt => ['abuse@example.org'],
           state => { queued => $now - 3600, attempts => 2,
                      last_try => $now - 60, next_try => $now + 600,
                      last_error => '451 4.3.0 try again later' });
    # queued: no .env, the envelope is To + Cc of the headers
    notice('headers', 'queued', to => 'postmaster@example.com',
           cc => 'Abuse Desk <abuse@example.com>');
    # failed: a 5xx
    notice('bounced', 'failed', to => 'nobody@example.net',
           rcpt => ['nobody@example.net', 'hidden@wormreply.test'],
           state => { queued => $now - 7200, attempts => 1,
                      last_try => $now - 7000,
                      last_error => '550 5.1.1 <nobody@example.net>: no such user',
                      failure => '550 5.1.1 <nobody@example.net>: no such user' });
    # failed: expired after WormReplyMaxQueueTime
    notice('expired', 'failed', to => 'abuse@example.net',
           rcpt => ['abuse@example.net'],
           state => { queued => $now - 6 * 86400, attempts => 30,
                      last_try => $now - 3600,
                      last_error => 'cannot connect',
                      failure => 'expired: queued for 144 hours, 30 attempts; '
                                 . 'last error: cannot connect' });
    # sent, kept
    notice('sent', 'sent', to => 'abuse@example.net');
    # the smarthost backs off
    spew("$ob/dest/smtp.example.net_25.state",
         staterec(queued => 0, attempts => 3, last_try => $now - 60,
               next_try => $now + 1200,
               last_error => 'cannot connect to smtp.example.net:25'));
    # files beside the outbox that a hostile id would aim at
    spew("$tmp/victim.eml", "victim\n");
    spew("$tmp/victim.state", "victim\n");
}
mkoutbox();
my $victims = join '', map { slurp("$tmp/victim.$_") } qw(eml state);

# ---- list, failed ------------------------------------------------------------------
my ($rc, $out, $err) = wo('list');
is($rc, 0, 'list exits 0');
is($err, '', '... nothing on stderr');
like($out, qr/^-- 3 queued, 2 failed, 1 sent kept$/m, 'list: summary');
my @ids = $out =~ /^(wr-\S+)/mg;
is("@ids", join(' ', @id{qw(fresh waiting headers bounced expired)}),
   'list: queued by id, then failed');
like($out, qr/^\Q$id{fresh}\E\s+queued\s+\d{4}-\d\d-\d\dT[\d:]+Z\s+\d+\s+0 now\n\s+to: abuse\@example\.net, admin\@wormreply\.test$/m,
     'list: a fresh notice, due now, recipients from its .env (Bcc too)');
my $next = iso($now + 600);
like($out, qr/^\Q$id{waiting}\E\s+queued\s+\Q@{[iso($now - 3600)]}\E\s+\d+\s+2 \Q$next\E\n.*\n\s+last error: 451 4\.3\.0 try again later$/m,
     'list: a notice backing off: queued time, attempts, next try, last error');
like($out, qr/^\Q$id{headers}\E\s+queued.*\n\s+to: postmaster\@example\.com, abuse\@example\.com \(from the headers\)$/m,
     'list: recipients from To and Cc when there is no .env');
like($out, qr/^\Q$id{bounced}\E\s+failed\s+\S+\s+\d+\s+1 -\n.*\n\s+\(550 5\.1\.1 <nobody\@example\.net>: no such user\)$/m,
     'list: a failed notice marked failed, with its reason');
like($out, qr/^\Q$id{expired}\E\s+failed.*\n.*\n\s+\(expired: queued for 144 hours/m,
     'list: an expired notice');
like($out, qr/^-- the smarthost smtp\.example\.net_25 backs off until \Q@{[iso($now + 1200)]}\E: 3 sessions in a row delivered nothing; last error: cannot connect/m,
     'list: the smarthost backing off');
unlike($out, qr/\Q$id{sent}\E/, 'list: sent/ is only counted');

($rc, $out) = wo('failed');
is($rc, 0, 'failed exits 0');
@ids = $out =~ /^(wr-\S+)/mg;
is("@ids", "$id{bounced} $id{expired}", 'failed: only failed/');
like($out, qr/^\s+\(550 5\.1\.1/m, 'failed: reasons');
like($out, qr/^-- 2 failed$/m, 'failed: summary');

# ---- list, failed --format json: the same notices, one document --------------
{
    require JSON::PP;
    ($rc, $out, $err) = wo('--format', 'json', 'list');
    is($rc, 0, 'list --format json exits 0') or diag $err;
    my $doc = eval { JSON::PP::decode_json($out) };
    ok($doc, 'list --format json is JSON') or diag "$@$out";
    $doc ||= {};
    like($out, qr/\A\{\s*"schema"\s*:\s*1,/, 'its first key is "schema": 1');
    is($doc->{generator}, 'wormreply outbox list', 'generator');
    is($doc->{outbox}, $ob, 'the outbox it read');
    ok(!$doc->{pickup}, 'not kept for pickup (no mark)');
    is_deeply($doc->{totals}, {queued => 3, kept => 0, failed => 2,
                               sent => 1}, 'totals as the text summary');
    my @n = @{$doc->{notices} || []};
    is(join(' ', map { $_->{id} } @n),
       join(' ', @id{qw(fresh waiting headers bounced expired)}),
       'notices in the order of the table');
    my %n = map { $_->{id} => $_ } @n;
    my $f = $n{$id{fresh}} || {};
    is_deeply([@$f{qw(state attempts next_try due recipients
                      recipients_from_headers)}],
              ['queued', 0, undef, 'now',
               ['abuse@example.net', 'admin@wormreply.test'], JSON::PP::false()],
              'a fresh notice: queued, due now, its envelope');
    my $w = $n{$id{waiting}} || {};
    is_deeply([@$w{qw(queued queued_unix attempts next_try_unix due
                      last_error)}],
              [iso($now - 3600), $now - 3600, 2, $now + 600, iso($now + 600),
               '451 4.3.0 try again later'],
              'a notice backing off: queued, attempts, next try, last error');
    ok($n{$id{headers}}{recipients_from_headers},
       'recipients from the headers said so');
    my $b = $n{$id{bounced}} || {};
    is_deeply([@$b{qw(state due failure)}],
              ['failed', undef, '550 5.1.1 <nobody@example.net>: no such user'],
              'a failed notice: its failure, not due');
    my ($h) = @{$doc->{smarthosts} || []};
    is_deeply([@{$h || {}}{qw(key backs_off failures next_try last_error)}],
              ['smtp.example.net_25', JSON::PP::true(), 3, iso($now + 1200),
               'cannot connect to smtp.example.net:25'],
              'the smarthost backing off');
    ($rc, $out) = wo('--format', 'json', 'failed');
    $doc = eval { JSON::PP::decode_json($out) } || {};
    is($doc->{generator}, 'wormreply outbox failed', 'failed --format json');
    is(join(' ', map { $_->{id} } @{$doc->{notices} || []}),
       "$id{bounced} $id{expired}", '... only failed/');

    # without a smarthost (the notifier's mark): kept for pickup, as the
    # text says
    spew("$ob/.pickup", "version: 1\nretention: " . us(86400) . "\n");
    ($rc, $out) = wo('--format', 'json', 'list');
    $doc = eval { JSON::PP::decode_json($out) } || {};
    ok($doc->{pickup}, 'the pickup mark: pickup true');
    is($doc->{retention_seconds}, 86400, '... with the retention');
    is_deeply($doc->{totals}, {queued => 0, kept => 3, failed => 2,
                               sent => 1}, '... queued notices count as kept');
    %n = map { $_->{id} => $_ } @{$doc->{notices} || []};
    is_deeply([@{$n{$id{waiting}} || {}}{qw(state due pruned_after)}],
              ['kept', 'pickup', iso($now - 3600 + 86400)],
              '... a kept notice: due pickup, pruned after its retention');
    ($rc, $out) = wo('list');
    like($out, qr/^-- 0 queued, 3 kept for pickup, 2 failed, 1 sent kept$/m,
         '... as the text summary says');
    unlink "$ob/.pickup";
}

# ---- show ----------------------------------------------------------------------------
($rc, $out) = wo('show', $id{bounced});
is($rc, 0, 'show exits 0');
like($out, qr/\Aid: \Q$id{bounced}\E\nstate: failed\nfile: \Q$ob\E\/failed\/\Q$id{bounced}\E\.eml\n/,
     'show: id, state, file');
like($out, qr/^envelope: <wormreply\@wormreply\.test> -> <nobody\@example\.net>, <hidden\@wormreply\.test>$/m,
     'show: the envelope');
like($out, qr/^failure: 550 5\.1\.1/m, 'show: the failure');
my $st = slurp("$ob/failed/$id{bounced}.state");
my $en = slurp("$ob/failed/$id{bounced}.env");
like($out, qr/^-- \Q$id{bounced}\E\.state\n\Q$st\E-- \Q$id{bounced}\E\.env\n\Q$en\E/m,
     'show: the .state and .env records as they are on disk');
(my $text = message(id => $id{bounced}, to => 'nobody@example.net')) =~ s/\r\n/\n/g;
like($out, qr/^-- \Q$id{bounced}\E\.eml \(\d+ bytes\)\n\Q$text\E\z/m,
     'show: the message text, CRLF as LF');
($rc, $out) = wo('show', $id{headers});
like($out, qr/^-- \Q$id{headers}\E\.env\n\(none\)$/m,
     'show: a notice without .env');
like($out, qr/^envelope: .*<abuse\@example\.com> \(from the headers\)$/m,
     '... its envelope from the headers');
($rc, $out) = wo('show', $id{sent});
is($rc, 0, 'show of a sent notice exits 0');
like($out, qr/^state: sent$/m, '... state sent');
($rc, undef, $err) = wo('show', 'wr-20240501T120000Z-nothere');
is($rc, 1, 'show of an unknown id exits 1');
like($err, qr/nothere: no such notice/, '... "no such notice"');
for my $evil ('../victim', '/etc/passwd', '.hidden', 'a b', "x\ny", '..') {
    (my $shown = $evil) =~ s/\n/\\n/g;
    ($rc, undef, $err) = wo('show', $evil);
    is($rc, 1, "show '$shown' exits 1");
    like($err, qr/is not a notice id/, '... not a notice id');
}

# ---- retry --------------------------------------------------------------------------
my $bounced_env = slurp("$ob/failed/$id{bounced}.env");
my $t0 = time;
($rc, $out, $err) = wo('retry', $id{bounced});
is($rc, 0, 'retry of a failed notice exits 0');
like($out, qr/^\Q$id{bounced}\E: requeued \(queued time reset to now\)$/m,
     '... says so');
like($out, qr/^-- the smarthost's backoff is lifted/m,
     '... and that the smarthost backoff is lifted');
ok(-e "$ob/$id{bounced}.eml" && !-e "$ob/failed/$id{bounced}.eml",
   '... its .eml moved back into the outbox');
is(slurp("$ob/$id{bounced}.env"), $bounced_env, '... with its .env');
ok(!-e "$ob/failed/$id{bounced}.env" && !-e "$ob/failed/$id{bounced}.state",
   '... nothing of it left in failed/');
my $s = slurp("$ob/$id{bounced}.state");
my ($q) = $s =~ /^queued: (\d+)$/m;
ok(defined $q && $q >= us(int $t0) - us(2) && $q <= us(time + 2),
   '... queued time reset to now') or diag($s);
like($s, qr/^attempts: 0\nlast-try: 0\nnext-try: 0\n\z/m,
     '... attempts, next try and failure cleared');
like(slurp("$ob/dest/smtp.example.net_25.state"),
     qr/^attempts: 3\n.*^next-try: 0$/ms,
     '... the smarthost: next try cleared, failures kept');
is(join(',', glob("$ob/.*.tmp $ob/dest/.*.tmp")), '', '... no temporary file left');

($rc, $out) = wo('retry', $id{waiting});
is($rc, 0, 'retry of a queued notice backing off exits 0');
like($out, qr/^\Q$id{waiting}\E: due now \(was waiting until \Q$next\E\)$/m,
     '... made due now');
$s = slurp("$ob/$id{waiting}.state");
like($s, qr/^attempts: 2$/m, '... attempts kept');
like($s, qr/^next-try: 0$/m, '... next try cleared');
like($s, qr/^queued: \Q@{[us($now - 3600)]}\E$/m, '... queued time kept');
($rc, $out) = wo('retry', $id{fresh});
is($rc, 0, 'retry of a queued notice that is due exits 0');
like($out, qr/due already/, '... due already');
($rc, undef, $err) = wo('retry', 'wr-20240501T120000Z-nothere');
is($rc, 1, 'retry of an unknown id exits 1');
like($err, qr/no such notice/, '... no such notice');
($rc, undef, $err) = wo('retry', $id{sent});
is($rc, 1, 'retry of a sent notice exits 1');
like($err, qr/sent already/, '... sent already');
($rc, undef, $err) = wo('retry', '../victim');
is($rc, 1, "retry '../victim' exits 1");
like($err, qr/is not a notice id/, '... not a notice id');

# ---- the queue manager's lock --------------------------------------------------------
sub hold_lock {
    # a process that holds DIR/.lock as the queue manager does, until
    # killed or for 30 s at most
    my $ready = "$tmp/locked." . ++$seq;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open my $fh, '>>', "$ob/.lock" or exit 1;
        flock($fh, LOCK_EX) or exit 1;
        spew($ready, '');
        sleep 30;
        exit 0;
    }
    my $end = time + 10;
    sleep 0.02 while !-e $ready && time < $end;
    return -e $ready ? $pid : undef;
}
my $holder = hold_lock();
ok($holder, 'another process holds the outbox lock');
my $before = join ',', sort glob("$ob/*.* $ob/failed/*");
my $took;
($rc, $out, $err, $took) = wo('--wait', 1, 'retry', 'ALL');
is($rc, 4, 'retry ALL while the lock is held: exit 4');
like($err, qr/queue manager is delivering .*\.lock held for 1 s.*nothing changed/,
     '... says why');
ok($took >= 0.9 && $took < 10, sprintf('... after waiting about 1 s (%.2f s)', $took));
($rc, undef, $err, $took) = wo('drop', '--wait', '0', $id{fresh});
is($rc, 4, 'drop with --wait 0 while the lock is held: exit 4');
ok($took < 5, '... at once');
is(join(',', sort glob("$ob/*.* $ob/failed/*")), $before, '... nothing changed');
($rc) = wo('list');
is($rc, 0, 'list still works while the lock is held');
kill 'TERM', $holder;
waitpid($holder, 0);

# ---- retry ALL -------------------------------------------------------------------------
($rc, $out, $err) = wo('retry', 'ALL');
is($rc, 0, 'retry ALL exits 0');
like($out, qr/^\Q$id{expired}\E: requeued/m, '... the expired notice is requeued');
like($out, qr/^-- 1 notice$/m, '... one notice (the other was retried before)');
ok(-e "$ob/$id{expired}.eml" && -e "$ob/$id{expired}.env"
   && -e "$ob/$id{expired}.state", '... .eml, .env and .state back in the outbox');
is(join(',', map { s{.*/}{}r } glob("$ob/failed/*")), '', '... failed/ is empty');
($rc, $out) = wo('list');
like($out, qr/^-- 5 queued, 0 failed, 1 sent kept$/m, 'list agrees');
unlike($out, qr/backs off/, '... the smarthost no longer backs off');
($rc, $out) = wo('retry', 'ALL');
is($rc, 0, 'retry ALL with nothing failed exits 0');
like($out, qr/^-- 0 notices$/m, '... 0 notices');

# ---- drop ------------------------------------------------------------------------------
($rc, $out) = wo('drop', $id{fresh});
is($rc, 0, 'drop of a queued notice exits 0');
like($out, qr/^\Q$id{fresh}\E: dropped \(queued\)$/m, '... says so');
ok(!-e "$ob/$id{fresh}.eml" && !-e "$ob/$id{fresh}.env", '... .eml and .env gone');
($rc, undef, $err) = wo('drop', $id{fresh});
is($rc, 1, 'drop of a dropped notice exits 1');
like($err, qr/no such notice/, '... no such notice');
($rc, undef, $err) = wo('drop', '../victim');
is($rc, 1, "drop '../victim' exits 1");
# one failed again, by hand as the queue manager does
rename "$ob/$id{bounced}.eml", "$ob/failed/$id{bounced}.eml" or die $!;
rename "$ob/$id{bounced}.env", "$ob/failed/$id{bounced}.env" or die $!;
rename "$ob/$id{bounced}.state", "$ob/failed/$id{bounced}.state" or die $!;
($rc, $out) = wo('drop', 'ALL');
is($rc, 0, 'drop ALL exits 0');
like($out, qr/^\Q$id{bounced}\E: dropped \(failed\)$/m, '... the failed one');
like($out, qr/^-- 4 notices$/m, '... 4 notices (3 queued, 1 failed)');
is(join(',', map { s{.*/}{}r } glob("$ob/*.eml $ob/*.env $ob/*.state $ob/failed/*")),
   '', '... the outbox and failed/ are empty');
ok(-e "$ob/sent/$id{sent}.eml", '... sent/ is left alone');
($rc, $out) = wo('list');
like($out, qr/^-- 0 queued, 0 failed, 1 sent kept$/m, 'list agrees');
is(join('', map { slurp("$tmp/victim.$_") } qw(eml state)), $victims,
   'the files beside the outbox are untouched');

# ---- usage and outbox errors -------------------------------------------------------------
is((wo())[0], 2, 'no command: exit 2');
is((wo('flush'))[0], 2, 'unknown command: exit 2');
is((wo('show'))[0], 2, 'show without an id: exit 2');
is((wo('retry', 'a', 'b'))[0], 2, 'retry with two ids: exit 2');
is((wo('list', 'x'))[0], 2, 'list with an argument: exit 2');
is((wo('--wait', '61', 'list'))[0], 2, '--wait 61: exit 2');
is((wo('--wait', 'x', 'list'))[0], 2, '--wait x: exit 2');
($rc, $out) = run_sh(shq($cli) . ' outbox --help');
is($rc, 0, '--help exits 0');
like($out, qr/retry ID\|ALL/, '--help: the commands');
like($out, qr/queued time reset to\s+now/, '--help: retry resets the queued time');
like($out, qr/4 the queue manager kept the outbox\s+locked/, '--help: exit 4');
like((run_sh(shq($cli) . ' --help'))[1], qr/^\s+outbox COMMAND/m,
     'wormreply --help lists the verb');
($rc, undef, $err) = run_sh(join ' ', shq($cli), 'outbox', 'list', '--outbox',
                            "$tmp/nooutbox");
is($rc, 3, 'a missing outbox (option after the command): exit 3');
like($err, qr/cannot read the outbox .*nooutbox/, '... says which');
ok(!-e "$tmp/nooutbox", '... and does not create it');
make_path("$tmp/notanoutbox");
($rc, undef, $err) = run_sh(join ' ', shq($cli), 'outbox', '--outbox',
                            "$tmp/notanoutbox", 'drop', 'ALL');
is($rc, 3, 'a directory without failed/ and sent/: exit 3');
like($err, qr/not an outbox/, '... not an outbox');
ok(!-e "$tmp/notanoutbox/.lock", '... and nothing is made in it');

SKIP: {
    # root reads everything: run as nobody against a root-owned 0700
    # outbox; as another user, take the permissions away
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
        chmod 0000, $ob;
    }
    ($rc, $out, $err) = run_sh(join ' ', map { shq($_) } @as, $cli, 'outbox',
                               '--outbox', $ob, 'list');
    chmod 0700, $ob;
    is($rc, 3, 'an unreadable outbox: exit 3');
    like($err, qr/cannot read the outbox .*Permission denied/,
         '... Permission denied');
    like($err, qr/run as root or as httpd's User/, '... and what to do');
}

done_testing();
