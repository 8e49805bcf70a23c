# cli_planted.t - run as root (as CI is): every verb of "wormreply queue"
# and "wormreply outbox", and the spool reading of "wormreply blocklist",
# against every layout httpd's User can plant in a spool or an outbox it
# owns: symlinked tmp/ new/ cur/ failed/ (sent/ dest/ failed/ of the
# outbox), symlinked and hard-linked entries, a FIFO, a 1 GiB sparse file,
# a hard-linked or symlinked .lock, a symlinked .env. Two canary
# directories outside, one root's and one httpd's User's (the CLI becomes
# that user, so only wr_file's refusals protect the second), must be byte
# for byte unchanged, nothing new may appear beside them, no secret of
# theirs may be copied into the spool or the outbox, and the verb must
# say what it refused. (The status verb reads the module's status URL,
# never the spool: nothing to plant for it.) "wormreply bounce" against
# every file it uses in the outbox (bounce.key, bounces.stat, its lock,
# the suppression list) and in the Maildir it reads.
use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use File::Basename qw(dirname);
use File::Find qw(find);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use POSIX qw(mkfifo);
use POSIX ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use WrCli qw(run_sh shq slurp spew);

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = $ENV{WORMREPLY_CLI} || "$top/tools/wormreply";

plan skip_all => 'the attacks are on a root-run CLI: run as root' if $> != 0;
unless (ok(-x $cli, "$cli is built")) {
    done_testing();
    exit 1;
}
my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
ok(defined $uid, "httpd's User stands in as nobody ($uid)");

my $tmp = tempdir('wr-planted-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;       # the CLI, become nobody, must reach the spool
my $out = "$tmp/outside";
my $spool = "$tmp/spool";
my $ob = "$tmp/outbox";
my $secret = 'SECRET-OF-ROOT-4f1c';
my $sid = '00000000001.000001.P1.Q1.R0000000000000001';     # spool id
my $oid = 'wr-20240501T120000Z-00000000000000ab';           # outbox id

# ---- canaries: files named as the verbs would look for -------------------
sub canaries {
    remove_tree($out);
    for my $who (qw(root user)) {
        my $d = "$out/$who";
        make_path($d, { mode => 0755 });
        spew("$d/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        spew("$d/secret", "version: 1\naddress: 10.66.66.66\n$secret\n");
        spew("$d/$sid", "version: 1\naddress: 10.66.66.67\nfamily: nimda\n"
             . "first-seen: 2024-05-01T12:00:00.000000Z\n"
             . "last-seen: 2024-05-01T12:00:00.000000Z\ncount: 1\n");
        spew("$d/login.sh", "echo canary\n");
        spew("$d/$oid.$_", "$secret\n") for qw(eml env state);
        spew("$d/.lock", '');
        if ($who eq 'user') {
            find({ no_chdir => 1,
                   wanted => sub { lchown($uid, $gid, $_) } }, $d);
        }
    }
}
sub lchown { my ($u, $g, $p) = @_; POSIX::lchown($u, $g, $p) }

# snapshot - every path under DIR with its type, mode, owner, size, links,
# time and content (or link target)
sub snapshot {
    my ($dir) = @_;
    my @rows;
    find({ no_chdir => 1, wanted => sub {
        my @st = lstat($_) or return;
        my $what = -l _ ? 'l:' . readlink($_)
                 : -f _ ? 'f:' . sha256_hex(slurp($_)) : 'd';
        push @rows, join ' ', $_, @st[2, 4, 5, 7, 3, 9], $what;
    } }, $dir);
    return join "\n", sort @rows;
}
sub beside { opendir my $dh, $tmp or die; return join ' ', sort readdir $dh }

# leaked - a file of DIR holding a canary's secret
sub leaked {
    my ($dir) = @_;
    my $hit = '';
    find({ no_chdir => 1, wanted => sub {
        # a copy, not the planted link itself (one link)
        return unless -f $_ && !-l $_ && (-s _) < 1_000_000
                      && (lstat $_)[3] == 1;
        $hit = $_ if index(slurp($_), $secret) >= 0;
    } }, $dir);
    return $hit;
}

# ---- the spool and the outbox, httpd's User's --------------------------
sub own {
    find({ no_chdir => 1, wanted => sub { lchown($uid, $gid, $_) } }, @_);
}
my $rec = "version: 1\naddress: 192.0.2.7\nfamily: nimda\n"
    . "first-seen: 2024-05-01T12:00:00.000000Z\n"
    . "last-seen: 2024-05-01T12:00:00.000000Z\ncount: 3\n"
    . "failure: 550 no such user\n";
sub mkspool {
    remove_tree($spool);
    make_path(map({ "$spool/$_" } qw(tmp new cur failed)), { mode => 0700 });
    spew("$spool/failed/00000000002.000002.P1.Q1.R0000000000000002", $rec);
    spew("$spool/new/00000000003.000003.P1.Q1.R0000000000000003", $rec);
    own($spool);
}
my $msg = "From: <wr\@wormreply.test>\r\nTo: <abuse\@example.net>\r\n"
    . "Subject: probes\r\n\r\nGET /scripts/root.exe HTTP/1.0\r\n";
my $env = "version: 1\nsender: wr\@wormreply.test\nrcpt: abuse\@example.net\n"
    . "eightbit: 0\n";
sub mkoutbox {
    remove_tree($ob);
    make_path(map({ "$ob/$_" } '', qw(sent failed dest)), { mode => 0700 });
    my $q = 'wr-20240501T120100Z-00000000000000cd';
    spew("$ob/$q.eml", $msg);
    spew("$ob/$q.env", $env);
    spew("$ob/failed/wr-20240501T120200Z-00000000000000ef.eml", $msg);
    spew("$ob/dest/127.0.0.1_25.state", "version: 1\nqueued: 0\n"
         . "attempts: 3\nlast-try: 1\nnext-try: 99999999999999999\n");
    own($ob);
}

# plant - as httpd's User could (hard links as root: fs.protected_hardlinks
# only spares systems that have it on)
sub plant_dir {
    my ($base, $sub, $who) = @_;
    remove_tree("$base/$sub");
    symlink("$out/$who", "$base/$sub") or die $!;
    lchown($uid, $gid, "$base/$sub");
}
sub plant_user_link {
    my ($path) = @_;
    unlink $path;
    symlink("$out/user/secret", $path) or die $!;
    lchown($uid, $gid, $path);
}
sub plant_entry {
    my ($path, $kind) = @_;
    unlink $path;
    if ($kind eq 'symlink') {
        symlink("$out/root/secret", $path) or die $!;
    }
    elsif ($kind eq 'hardlink') {
        link("$out/root/secret", $path) or die $!;
    }
    elsif ($kind eq 'fifo') {
        mkfifo($path, 0600) or die $!;
    }
    else {
        open my $fh, '>', $path or die $!;
        truncate $fh, 1 << 30 or die $!;
        close $fh;
    }
    lchown($uid, $gid, $path);
}
my %says = (symlink => 'refused: a symbolic link',
            hardlink => 'refused: a file with other hard links',
            fifo => 'refused: not a regular file',
            sparse => 'refused: too large');

# attempt - one verb against one planted layout
sub attempt {
    my ($name, $cmd, $expect) = @_;
    my ($before_root, $before_user) = (snapshot("$out/root"),
                                        snapshot("$out/user"));
    my $beside = beside();
    my ($rc, $o, $e, $secs) = run_sh($cmd, 30);
    ok($secs < 29, "$name: finished (rc $rc)");
    is(snapshot("$out/root"), $before_root,
       "$name: root's canary byte for byte unchanged");
    is(snapshot("$out/user"), $before_user,
       "$name: the User's canary byte for byte unchanged");
    is(beside(), $beside, "$name: nothing new beside the canaries");
    is(join('', map { -d $_ && !-l $_ ? leaked($_) : '' } $spool, $ob), '',
       "$name: no secret copied into the spool or the outbox");
    like($o . $e, qr/\Q$expect\E/, "$name: says '$expect'") if $expect;
    unlike($o, qr/10\.66\.66\.6|\Q$secret\E/,
           "$name: prints nothing of the canaries");
    return $rc;
}

my @qverbs = (['list'], ['failed'], ['show', $sid], ['retry', $sid],
              ['retry', 'ALL'], ['drop', $sid], ['drop', 'ALL']);
my @overbs = (['list'], ['failed'], ['show', $oid], ['retry', $oid],
              ['retry', 'ALL'], ['drop', $oid], ['drop', 'ALL'],
              ['suppressed'], ['unsuppress', 'abuse@example.net']);
sub queue { join ' ', map { shq($_) } $cli, 'queue', '--spool', $spool, @_ }
sub outbox { join ' ', map { shq($_) } $cli, 'outbox', '--outbox', $ob,
             '--wait', '0', @_ }
sub blocklist { join ' ', map { shq($_) } $cli, 'blocklist', '--spool',
                $spool, '--now', '2024-05-01T13:00:00Z', '--since', '365d' }

# ---- the spool's directories ---------------------------------------------
for my $sub (qw(tmp new cur failed)) {
    for my $who (qw(root user)) {
        for my $v (@qverbs, ['blocklist']) {
            canaries();
            mkspool();
            plant_dir($spool, $sub, $who);
            my $cmd = $v->[0] eq 'blocklist' ? blocklist() : queue(@$v);
            attempt("queue: $sub/ -> $who canary: @$v", $cmd,
                    'refused: a symbolic link');
        }
    }
}

# ---- entries planted in the spool ----------------------------------------
for my $place (qw(failed new)) {
    for my $kind (qw(symlink hardlink fifo sparse)) {
        for my $v (@qverbs, ['blocklist']) {
            canaries();
            mkspool();
            plant_entry("$spool/$place/$sid", $kind);
            my $cmd = $v->[0] eq 'blocklist' ? blocklist() : queue(@$v);
            # the verbs that never look at the place say nothing of it
            my $sees = !($place eq 'new'
                         && ($v->[0] eq 'failed' || $v->[0] eq 'retry'));
            # a big regular file is no danger to drop: it is dropped
            my $drops = $kind eq 'sparse' && $v->[0] eq 'drop';
            attempt("queue: $kind in $place/: @$v", $cmd,
                    $drops ? "$sid: dropped" : $sees ? $says{$kind} : undef);
            ok($drops || -e "$spool/$place/$sid" || -l "$spool/$place/$sid",
               "queue: $kind in $place/: @$v: left where it is");
        }
    }
}

# ---- the outbox's directories --------------------------------------------
# (outbox suppressed and unsuppress too: the suppression list's verbs)
for my $sub (qw(failed sent dest)) {
    for my $who (qw(root user)) {
        for my $v (@overbs) {
            canaries();
            mkoutbox();
            plant_dir($ob, $sub, $who);
            attempt("outbox: $sub/ -> $who canary: @$v", outbox(@$v),
                    'refused: a symbolic link');
        }
    }
}

# ---- entries planted in the outbox ---------------------------------------
my %oplant = (
    (map { my $k = $_;
           ("$k .eml in failed/" => sub {
                plant_entry("$ob/failed/$oid.eml", $k) },
            "$k .eml queued" => sub { plant_entry("$ob/$oid.eml", $k) }) }
         qw(symlink hardlink fifo sparse)),
    # a real notice whose .env is a link to a root file: retry would copy it
    'symlinked .env in failed/' => sub {
        spew("$ob/failed/$oid.eml", $msg);
        lchown($uid, $gid, "$ob/failed/$oid.eml");
        plant_entry("$ob/failed/$oid.env", 'symlink');
    },
    # the lock retry and drop take: opened for writing, made the User's
    'hard-linked .lock' => sub { plant_entry("$ob/.lock", 'hardlink') },
    'symlinked .lock' => sub { plant_entry("$ob/.lock", 'symlink') },
    # the suppression list (SDBM) is opened by path: its two files are
    # checked first; the User's own file is what a followed link would hit
    'suppressed.pag linked to the User\'s file' => sub {
        plant_user_link("$ob/suppressed.pag") },
    'hard-linked suppressed.dir' => sub {
        plant_entry("$ob/suppressed.dir", 'hardlink') },
    'FIFO suppressed.pag' => sub {
        plant_entry("$ob/suppressed.pag", 'fifo') },
);
my %osays = ('symlinked .env in failed/' => 'refused: a symbolic link',
             'hard-linked .lock' => 'refused: a file with other hard links',
             'symlinked .lock' => 'refused: a symbolic link',
             'suppressed.pag linked to the User\'s file'
                 => 'refused: a symbolic link',
             'hard-linked suppressed.dir'
                 => 'refused: a file with other hard links',
             'FIFO suppressed.pag' => 'refused: not a regular file');
for my $layout (sort keys %oplant) {
    for my $v (@overbs) {
        canaries();
        mkoutbox();
        $oplant{$layout}->();
        my ($kind) = $layout =~ /^(\w+) \.eml/;
        my $expect = $kind ? $says{$kind} : $osays{$layout};
        my $sees = 1;
        if ($layout =~ /queued/ && ($v->[0] eq 'failed'
                                    || "@$v" eq 'retry ALL')) {
            $sees = 0;          # only failed notices are retried with ALL
        }
        if ($layout =~ /^sparse/) {
            # a big regular notice is shown cut, and retried or dropped
            # like any other: only reading it whole would be a danger
            $expect = $v->[0] eq 'show' ? 'cut after' : undef;
        }
        if ($layout =~ /\.lock/ && $v->[0] =~ /^(list|failed|show)$/) {
            $sees = 0;          # reading takes no lock
        }
        # the suppression list's verbs look at nothing else, and only
        # they look at it
        my $supp_verb = $v->[0] =~ /suppress/ ? 1 : 0;
        my $supp_layout = $layout =~ /suppressed\./ ? 1 : 0;
        $sees = 0 if $supp_verb != $supp_layout;
        if ($layout =~ /\.env/ && $v->[0] =~ /^(list|failed|show)$/) {
            $expect = 'its .env cannot be read: refused: a symbolic link';
        }
        attempt("outbox: $layout: @$v", outbox(@$v), $sees ? $expect : undef);
    }
}

# ---- wormreply bounce: the outbox's key, counts, lock and suppression
# list, and the Maildir it reads with --maildir ------------------------------
# A hard bounce to a valid token, so that each run really reads the key,
# counts, takes the lock and writes the list: the token is made here the
# way wr_verp.h describes it, under a key planted in the outbox.
my $key = '00112233445566778899aabbccddeeff' x 2;
my $rcpt = 'abuse@example.net';
my $b32 = 'abcdefghijklmnopqrstuvwxyz234567';
sub b32_bits {
    my ($bytes, $digits) = @_;
    my $bits = unpack('B*', $bytes);
    return join '', map { substr($b32, oct('0b' . substr($bits, 5 * $_, 5)),
                                 1) } 0 .. $digits - 1;
}
sub b32_num {
    my ($n, $digits) = @_;
    my $s = '';
    for (1 .. $digits) { $s = substr($b32, $n & 31, 1) . $s; $n >>= 5 }
    return $s;
}
my $day = b32_num(int(time / 86400), 4);
my $tag = b32_bits(Digest::SHA::sha256($oid), 6);
my $mac = b32_bits(Digest::SHA::hmac_sha256("wr-verp-1\0$day\0$tag\0$rcpt",
                                            pack('H*', $key)), 16);
(my $rcpt_tok = $rcpt) =~ s/\@/=/;
my $verp = "wrb+$mac$day$tag.$rcpt_tok\@wormreply.test";
my $dsn = "$tmp/bounce.eml";
spew($dsn, slurp("$top/t/data/bounces/exim-failed.eml"));
my $md = "$tmp/maildir";
make_path($md);
sub mkbounce {
    mkoutbox();
    spew("$ob/bounce.key", "$key\n");
    chmod 0600, "$ob/bounce.key";
    own($ob);
}
sub mkmaildir {
    remove_tree($md);
    make_path(map({ "$md/$_" } qw(new cur tmp)), { mode => 0700 });
    spew("$md/new/1.eml", slurp($dsn));
    own($md);
}
sub bounce {
    join ' ', map({ shq($_) } $cli, 'bounce', '--outbox', $ob,
                  '--recipient', $verp, @_), @_ ? () : ('<', shq($dsn));
}
# battempt - attempt() and the exit status a refusal must give the MTA
sub battempt {
    my ($name, $cmd, $expect, $rc_want) = @_;
    my $rc = attempt($name, $cmd, $expect);
    is($rc, $rc_want, "$name: exit $rc_want");
}

# the token is right: a clean outbox suppresses the recipient
canaries();
mkbounce();
my ($brc, $bo, $be) = run_sh(bounce());
is($brc, 0, 'bounce: a hard bounce to a valid token: exit 0') or diag $be;
like($be, qr/WR00703: <\Q$rcpt\E> bounced/, 'bounce: the recipient suppressed');
mkbounce();
mkmaildir();
($brc, $bo, $be) = run_sh(bounce('--maildir', $md));
ok($brc == 0 && -e "$md/cur/1.eml:2,S" && !-e "$md/new/1.eml",
   'bounce --maildir: handled, moved to cur/ marked seen') or diag $be;

for my $sub (qw(failed sent dest)) {
    for my $who (qw(root user)) {
        canaries();
        mkbounce();
        plant_dir($ob, $sub, $who);
        battempt("bounce: outbox $sub/ -> $who canary", bounce(),
                 'refused: a symbolic link', 75);
    }
}
my %bfile = ('bounce.key' => 75, 'bounces.stat' => 0, '.bounce-lock' => 0,
             'suppressed.pag' => 75, 'suppressed.dir' => 75);
for my $name (sort keys %bfile) {
    for my $kind (qw(symlink user-symlink hardlink fifo sparse)) {
        # SDBM over a sparse file is slow, not a danger to anything else
        next if $kind eq 'sparse' && $name =~ /^suppressed/;
        canaries();
        mkbounce();
        if ($kind eq 'user-symlink') {
            plant_user_link("$ob/$name");
        }
        else {
            plant_entry("$ob/$name", $kind);
            # a key of the right mode, so that its size is what is refused
            chmod 0600, "$ob/$name" if $kind eq 'sparse';
        }
        my $says = $says{$kind eq 'user-symlink' ? 'symlink' : $kind};
        my $rc = $bfile{$name};
        if ($kind eq 'sparse' && $name eq '.bounce-lock') {
            ($says, $rc) = (undef, 0);  # a big lock file locks like any
        }
        battempt("bounce: $kind $name", bounce(), $says, $rc);
        ok(-e "$ob/$name" || -l "$ob/$name",
           "bounce: $kind $name: left where it is");
    }
}
for my $sub (qw(new cur)) {
    for my $who (qw(root user)) {
        canaries();
        mkbounce();
        mkmaildir();
        plant_dir($md, $sub, $who);
        battempt("bounce --maildir: $sub/ -> $who canary",
                 bounce('--maildir', $md), 'refused: a symbolic link', 75);
    }
}
for my $kind (qw(symlink user-symlink hardlink fifo sparse)) {
    canaries();
    mkbounce();
    mkmaildir();
    if ($kind eq 'user-symlink') {
        plant_user_link("$md/new/1.eml");
    }
    else {
        plant_entry("$md/new/1.eml", $kind);
    }
    if ($kind eq 'sparse') {
        # a big message is read cut, handled and moved like any other
        battempt("bounce --maildir: sparse message", bounce('--maildir', $md),
                 '1 of 1 message in', 0);
        next;
    }
    battempt("bounce --maildir: $kind message", bounce('--maildir', $md),
             $says{$kind eq 'user-symlink' ? 'symlink' : $kind}, 75);
    ok(-e "$md/new/1.eml" || -l "$md/new/1.eml",
       "bounce --maildir: $kind message left in new/");
}

# ---- root becomes the owner before touching anything ----------------------
canaries();
mkspool();
my $only_root = "$spool/failed/00000000002.000002.P1.Q1.R0000000000000002";
lchown(0, 0, $only_root);
chmod 0600, $only_root;
my ($rc, $o, $e) = run_sh(queue('show', '00000000002.000002.P1.Q1.R0000000000000002'));
like($e, qr/Permission denied/,
     'queue run as root reads the spool as its owner: a root-only record '
     . 'cannot be read');
mkspool();
($rc, $o, $e) = run_sh(queue('retry', 'ALL'));
my @new = glob("$spool/new/*");
ok(@new == 2 && !grep({ (lstat $_)[4] != $uid } @new),
   'queue retry as root: the requeued record is the owner\'s');
# blocklist opens the logs it is given as root (they often are root's),
# then reads the spool as its owner
mkspool();
lchown(0, 0, $only_root);
chmod 0600, $only_root;
my $log = "$tmp/root-access.log";
spew($log, '10.9.9.9 - - [01/May/2024:12:30:00 +0000] '
     . '"GET /scripts/root.exe?/c+dir HTTP/1.0" 404 280 "-" "-"' . "\n");
chmod 0600, $log;
($rc, $o, $e) = run_sh(join ' ', blocklist(), shq($log));
like($e, qr/ 1 spool events, 0 history hosts and 1 log probes;.* 1 unreadable spool records/,
     'blocklist as root: its root-only log is read, the spool as its '
     . 'owner (a root-only record cannot be read)');
like($o, qr/^10\.9\.9\.9\t/m, 'blocklist as root: the log\'s probe listed');
mkoutbox();
($rc, $o, $e) = run_sh(outbox('retry', 'ALL'));
ok(-e "$ob/.lock" && (lstat "$ob/.lock")[4] == $uid
   && !grep({ (lstat $_)[4] != $uid } glob("$ob/*.state")),
   'outbox retry as root: the lock and the new state are the owner\'s');

done_testing();
