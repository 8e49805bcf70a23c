#!/usr/bin/perl
# smtp-client.pl - for bench/delivery.sh: the SMTP server's own ceiling.
# Sends COUNT copies of one delivered notice to the SMTP server on
# 127.0.0.1:PORT the way the notifier does (STARTTLS with the CA file,
# AUTH PLAIN, sessions of at most BATCH messages, SESSIONS of them in
# parallel), with nothing else to do: no spool, no DNS, no composing.
#
#   perl smtp-client.pl PORT CAFILE USER SECRETFILE TEMPLATE OUTDIR COUNT
#                       SESSIONS [BATCH [SECONDS]]
#
# TEMPLATE is one notice the notifier delivered (a .eml of its outbox's
# sent/): envelope sender from its From:, recipients from its To:
# (postmaster@ and abuse@ of the domain). Message k (1..COUNT) is the
# template with a Message-ID of its own and the template's source address
# and host name replaced by those of bulk.test host ((k-1) % 512) + 1
# (2001:db8:b::<hex>, host-<n>.bulk.test), so that it is about the size of
# a real notice and lib/maildir-count.pl can match its copies: all COUNT
# messages are written to OUTDIR/sent/ first, then the clock starts. The
# messages are split into SESSIONS contiguous slices of about equal size,
# each sent by a process of its own in SMTP sessions of at most BATCH
# (default 50) messages, each session a new connection with EHLO,
# STARTTLS, EHLO, AUTH PLAIN, the messages, QUIT. A message goes as the
# notifier's libesmtp sends it when the server offers PIPELINING and
# CHUNKING (exim does): MAIL, the RCPTs and "BDAT <size> LAST" with the
# message in one write, then their replies (one round trip); otherwise
# MAIL, RCPT, DATA one after the other ("dialogue" in the result line).
# Prints one line:
#   PLAINRESULT count=N sent=S sessions=C workers=W dialogue=bdat|data
#               t0=.. t_end=.. seconds=.. cpu_s=..
# t0: just before the workers start (epoch seconds, microseconds); t_end:
# the last 250 to a message; seconds: t_end - t0; cpu_s: the CPU time
# (user + system) of the client and its workers from t0 on. Exits 0 only when every
# message was accepted. Bounded: SIGALRM ends it (and its workers) SECONDS
# (default 120) after the start, and every SMTP exchange times out in 30 s.
use strict;
use warnings FATAL => 'all';
use Net::SMTP ();
use MIME::Base64 qw(encode_base64);
use POSIX ();
use Time::HiRes qw(time);

my ($port, $ca, $user, $secretfile, $template, $outdir, $count, $sessions,
    $batch, $limit) = @ARGV;
$batch //= 50;
$limit //= 120;
die "usage: smtp-client.pl PORT CAFILE USER SECRETFILE TEMPLATE OUTDIR"
    . " COUNT SESSIONS [BATCH [SECONDS]]\n" unless defined $sessions;
die "PORT must be 1024..65535\n"
    unless $port =~ /^\d+$/ && $port >= 1024 && $port <= 65535;
die "COUNT must be 1..10000\n"
    unless $count =~ /^\d+$/ && $count >= 1 && $count <= 10000;
die "SESSIONS must be 1..32\n"
    unless $sessions =~ /^\d+$/ && $sessions >= 1 && $sessions <= 32;
die "BATCH must be 1..1000\n"
    unless $batch =~ /^\d+$/ && $batch >= 1 && $batch <= 1000;
die "SECONDS must be 1..3600\n"
    unless $limit =~ /^\d+$/ && $limit >= 1 && $limit <= 3600;
die "$ca: not readable\n" unless -r $ca;
die "$outdir: not a directory\n" unless -d $outdir;

# slurp - the whole content of a file
sub slurp {
    my $f = shift;
    open my $fh, '<:raw', $f or die "$f: $!\n";
    local $/;
    my $t = <$fh> // '';
    close $fh;
    return $t;
}

my $secret = slurp($secretfile);
$secret =~ s/\r?\n\z//;
die "$secretfile: empty\n" unless length $secret;

my $text = slurp($template);
my ($head) = split /\r?\n\r?\n/, $text, 2;
(my $unfolded = $head) =~ s/\r?\n[ \t]+/ /g;
my ($from_h) = $unfolded =~ /^From:[ \t]*(.*)$/mi;
my ($to_h) = $unfolded =~ /^To:[ \t]*(.*)$/mi;
die "$template: no From: or To:\n" unless defined $from_h && defined $to_h;
my ($from) = $from_h =~ /([^\s<>,"]+@[^\s<>,"]+)/;
my @rcpt = $to_h =~ /([^\s<>,"]+@[^\s<>,"]+)/g;
die "$template: no sender or recipient address\n" unless $from && @rcpt;
die "$template: over 10 recipients\n" if @rcpt > 10;
my ($src) = $text =~ /^Source-IP:[ \t]*(\S+)/mi;
my ($host) = $text =~ /^Reported-Domain:[ \t]*(\S+)/mi;
die "$template: no Source-IP: or Reported-Domain: line\n"
    unless defined $src && defined $host;
$text =~ /^Message-ID:[^\r\n]*\r?\n/mi
    or die "$template: no Message-ID: line\n";
# on the wire: CRLF line ends, a final CRLF
$text =~ s/\r?\n/\r\n/g;
$text .= "\r\n" unless $text =~ /\r\n\z/;

# the COUNT messages, written to OUTDIR/sent/ before the clock starts
my $run = sprintf '%d-%d', time, $$;
my @msg;
mkdir "$outdir/sent" or $!{EEXIST} or die "$outdir/sent: $!\n";
for my $k (1 .. $count) {
    my $h = ($k - 1) % 512 + 1;
    my ($a, $n) = (sprintf('2001:db8:b::%x', $h), "host-$h.bulk.test");
    my $t = $text;
    $t =~ s/\Q$src\E/$a/g;
    $t =~ s/\Q$host\E/$n/g;
    $t =~ s/^Message-ID:[^\r\n]*/Message-ID: <plain-$run-$k\@bench.localhost>/mi;
    open my $fh, '>:raw', "$outdir/sent/plain-$k.eml"
        or die "$outdir/sent/plain-$k.eml: $!\n";
    print $fh $t or die "$outdir/sent/plain-$k.eml: $!\n";
    close $fh or die "$outdir/sent/plain-$k.eml: $!\n";
    push @msg, $t;
}

# write_all SMTP BYTES - the whole buffer on the (TLS) connection
sub write_all {
    my ($smtp, $buf) = @_;
    my ($off, $len) = (0, length $buf);
    while ($off < $len) {
        my $w = syswrite($smtp, $buf, $len - $off, $off);
        die "write: $!\n" unless defined $w && $w > 0;
        $off += $w;
    }
}

# reply SMTP WHAT - read one reply, die unless it is 2xx
sub reply {
    my ($smtp, $what) = @_;
    $smtp->response() == Net::SMTP::CMD_OK()
        or die "$what: " . ($smtp->code // '?') . ' ' . ($smtp->message // '') . "\n";
}

my $dialogue = 'data';

# worker FIRST LAST - send messages FIRST..LAST (0-based) in sessions of
# BATCH; prints "sent=N sessions=S dialogue=D t_end=T" on STDOUT (the
# parent's pipe)
sub worker {
    my ($first, $last) = @_;
    my ($sent, $nsess, $t_end) = (0, 0, 0);
    my $i = $first;
    while ($i <= $last) {
        my $smtp = Net::SMTP->new('127.0.0.1', Port => $port,
                                  Hello => 'bench.localhost', Timeout => 30)
            or die "connect 127.0.0.1:$port: $@\n";
        $nsess++;
        $smtp->starttls(SSL_ca_file => $ca, SSL_verifycn_name => 'localhost',
                        SSL_hostname => 'localhost')
            or die "STARTTLS: " . ($@ || $smtp->message) . "\n";
        my $ok = $smtp->command('AUTH', 'PLAIN',
                                encode_base64("\0$user\0$secret", ''))
                      ->response();
        die "AUTH PLAIN: " . $smtp->code . ' ' . $smtp->message . "\n"
            unless $ok == Net::SMTP::CMD_OK() && $smtp->code == 235;
        my $end = $i + $batch - 1;
        $end = $last if $end > $last;
        my $bdat = $smtp->supports('PIPELINING') && $smtp->supports('CHUNKING');
        $dialogue = $bdat ? 'bdat' : 'data';
        for my $k ($i .. $end) {
            if ($bdat) {
                write_all($smtp, "MAIL FROM:<$from>\r\n"
                          . join('', map { "RCPT TO:<$_>\r\n" } @rcpt)
                          . 'BDAT ' . length($msg[$k]) . " LAST\r\n" . $msg[$k]);
                reply($smtp, 'MAIL');
                reply($smtp, 'RCPT') for @rcpt;
                reply($smtp, 'BDAT');
            }
            else {
                $smtp->mail($from)
                    or die "MAIL: " . $smtp->code . ' ' . $smtp->message . "\n";
                $smtp->to(@rcpt)
                    or die "RCPT: " . $smtp->code . ' ' . $smtp->message . "\n";
                $smtp->data($msg[$k])
                    or die "DATA: " . $smtp->code . ' ' . $smtp->message . "\n";
            }
            $t_end = time;
            $sent++;
        }
        $smtp->quit;
        $i = $end + 1;
    }
    printf "sent=%d sessions=%d dialogue=%s t_end=%.6f\n", $sent, $nsess,
        $dialogue, $t_end;
}

$SIG{PIPE} = 'IGNORE';
my @kids;
local $SIG{ALRM} = sub {
    kill 'TERM', @kids if @kids;
    die "smtp-client: over $limit s\n";
};
alarm $limit;

pipe my $r, my $w or die "pipe: $!\n";
my $per = POSIX::ceil($count / $sessions);
my ($u0, $s0) = times;
my $t0 = time;
for (my $s = 0; $s * $per < $count; $s++) {
    my ($first, $last) = ($s * $per, ($s + 1) * $per - 1);
    $last = $count - 1 if $last > $count - 1;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        close $r;
        open STDOUT, '>&', $w or POSIX::_exit(2);
        $| = 1;
        my $rc = eval { worker($first, $last); 1 } ? 0 : 1;
        print STDERR "smtp-client: worker $s: $@" if $rc;
        POSIX::_exit($rc);
    }
    push @kids, $pid;
}
close $w;
my ($sent, $nsess, $t_end, %dlg) = (0, 0, 0);
while (my $line = <$r>) {
    next unless $line
        =~ /^sent=(\d+) sessions=(\d+) dialogue=(\w+) t_end=([\d.]+)$/;
    $sent += $1;
    $nsess += $2;
    $dlg{$3}++;
    $t_end = $4 if $4 > $t_end;
}
close $r;
my $bad = 0;
for my $pid (@kids) {
    waitpid($pid, 0);
    $bad++ if $?;
}
@kids = ();
alarm 0;
my ($u, $sy, $cu, $cs) = times;
printf "PLAINRESULT count=%d sent=%d sessions=%d workers=%d dialogue=%s "
       . "t0=%.6f t_end=%.6f seconds=%.3f cpu_s=%.2f\n", $count, $sent,
    $nsess, POSIX::ceil($count / $per), join('+', sort keys %dlg) || 'none',
    $t0, $t_end, $t_end - $t0, $u - $u0 + $sy - $s0 + $cu + $cs;
exit($bad || $sent != $count ? 1 : 0);
