#!/usr/bin/perl
# maildir-count.pl - for bench/delivery.sh: which of one server's notices
# reached the SMTP rig's Maildir, how many copies of each, and when.
#
#   perl maildir-count.pl MAILDIR OUTBOX [COPIES]
#
# The notices are the server's own: every OUTBOX/*.eml (queued),
# OUTBOX/sent/*.eml (sent) and OUTBOX/failed/*.eml, by Message-ID; a .eml
# keeps its modification time when the queue manager moves it, so that
# time is when the notice was queued. MAILDIR/new/* are the copies exim
# stored (one per recipient: postmaster and abuse), matched by Message-ID;
# their modification time is when exim wrote them. COPIES (default 2) is
# how many copies one delivery leaves. Prints one line:
#   MAILRESULT queued=Q sent=S failed=F pending=P notices=N copies=C
#              short=SH twice=T missing=M other=O hosts=H hosts_twice=HT
#              first_queued=.. last_queued=.. first_stored=.. last_stored=..
# notices: distinct Message-IDs of ours found in MAILDIR; short: those with
# fewer than COPIES copies (not all stored yet); twice: those with more (a
# notice delivered again); missing:
# sent but absent; other: Maildir files of other senders; hosts: distinct
# 2001:db8:b:: sources named in a "Source-IP:" line of the notices found,
# hosts_twice: those named in more than one; times in seconds since the
# epoch with microseconds (0 when there is none). bursts=B burst_s=..
# gap_s=.. burst_copies=..: the stored copies split where exim stored
# nothing for over 0.25 s (one burst is about one SMTP session of the
# queue manager), the median span of a burst, of the gap between two, and
# of the copies in one.
use strict;
use warnings FATAL => 'all';
use Time::HiRes ();

my ($maildir, $outbox, $want) = @ARGV;
$want //= 2;
die "usage: maildir-count.pl MAILDIR OUTBOX [COPIES]\n"
    unless defined $outbox && -d "$maildir/new" && -d $outbox
           && $want =~ /^[1-9]$/;

# slurp - the whole text of FILE (undef when it cannot be read)
sub slurp {
    my $f = shift;
    open my $fh, '<', $f or return;
    local $/;
    my $t = <$fh>;
    close $fh;
    return $t;
}

# msgid - the Message-ID in the header block of a text
sub msgid {
    my $t = shift;
    my ($h) = split /\r?\n\r?\n/, $t, 2;
    return unless defined $h;
    my ($id) = $h =~ /^Message-ID:\s*(\S+)/mi;
    return $id;
}

my %ours;    # Message-ID -> state
my ($q0, $q1) = (0, 0);
my %n = (queued => 0, sent => 0, failed => 0);
for my $where (['queued', "$outbox"], ['sent', "$outbox/sent"],
               ['failed', "$outbox/failed"]) {
    my ($state, $dir) = @$where;
    for my $f (glob "$dir/*.eml") {
        my $t = slurp($f) // next;
        my $id = msgid($t) // next;
        my $mt = (Time::HiRes::stat($f))[9];
        $ours{$id} = $state;
        $n{$state}++;
        $q0 = $mt if !$q0 || $mt < $q0;
        $q1 = $mt if $mt > $q1;
    }
}

my (%copies, %host, @stored);
my ($other, $s0, $s1) = (0, 0, 0);
for my $f (glob "$maildir/new/*") {
    my $t = slurp($f) // next;
    my $id = msgid($t);
    if (!defined $id || !exists $ours{$id}) {
        $other++;
        next;
    }
    my $mt = (Time::HiRes::stat($f))[9];
    $s0 = $mt if !$s0 || $mt < $s0;
    $s1 = $mt if $mt > $s1;
    push @stored, $mt;
    next if $copies{$id}++;
    $host{lc $1}++ while $t =~ /^Source-IP:\s*(2001:db8:b::[0-9a-f]+)\s*$/mgi;
}

# median - of a list of numbers (0 for none)
sub median {
    my @v = sort { $a <=> $b } @_;
    return 0 unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

my (@span, @gap, @n);
@stored = sort { $a <=> $b } @stored;
if (@stored) {
    my ($first, $prev, $k) = ($stored[0], $stored[0], 0);
    for my $t (@stored) {
        if ($t - $prev > 0.25) {
            push @span, $prev - $first;
            push @gap, $t - $prev;
            push @n, $k;
            ($first, $k) = ($t, 0);
        }
        $k++;
        $prev = $t;
    }
    push @span, $prev - $first;
    push @n, $k;
}

my @c = values %copies;
my $short = grep { $_ < $want } @c;
my $twice = grep { $_ > $want } @c;
my $missing = grep { $ours{$_} eq 'sent' && !$copies{$_} } keys %ours;
my $copies = 0;
$copies += $_ for @c;
printf "MAILRESULT queued=%d sent=%d failed=%d pending=%d notices=%d "
       . "copies=%d short=%d twice=%d missing=%d other=%d hosts=%d "
       . "hosts_twice=%d first_queued=%.6f last_queued=%.6f "
       . "first_stored=%.6f last_stored=%.6f bursts=%d burst_s=%.3f "
       . "gap_s=%.3f burst_copies=%d\n",
    $n{queued} + $n{sent} + $n{failed}, $n{sent}, $n{failed}, $n{queued},
    scalar(keys %copies), $copies, $short, $twice, $missing, $other,
    scalar(keys %host), scalar(grep { $_ > 1 } values %host),
    $q0, $q1, $s0, $s1, scalar(@span), median(@span), median(@gap),
    median(@n);
