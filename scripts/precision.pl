#!/usr/bin/perl
# precision.pl [--cli PATH] [-- MATCH-OPTIONS] TSV... - precision and recall
# per family of `wormreply match` over labelled rows
# (label<TAB>line<TAB>source, a header first: t/data/labelled*.tsv).
#
# Labels codered, nimda and iis-other count for the families codered, nimda
# and iis; legit and modern-* rows should match nothing. A row is a true
# positive of family F when it is labelled F and classified F; a false
# positive of F when classified F and labelled otherwise (a legit row
# flagged, or a probe given the wrong family).
#   perl scripts/precision.pl t/data/labelled.tsv t/data/labelled-binary.tsv \
#       t/data/labelled-lookalikes.tsv
use strict;
use warnings;
use File::Temp qw(tempfile);

my $cli = 'tools/wormreply';
my @opt;
while (@ARGV && $ARGV[0] =~ /^--/) {
    my $a = shift @ARGV;
    if ($a eq '--cli') { $cli = shift @ARGV; next }
    if ($a eq '--') { push @opt, shift @ARGV while @ARGV && $ARGV[0] ne '--';
                      shift @ARGV; next }
    die "precision.pl: unknown option $a\n";
}
die "usage: precision.pl [--cli PATH] [-- MATCH-OPTIONS --] TSV...\n"
    unless @ARGV;
my (@labels, @lines);
for my $f (@ARGV) {
    open my $fh, '<:raw', $f or die "$f: $!\n";
    while (<$fh>) {
        chomp;
        my ($l, $line) = split /\t/, $_, 3;
        next if $l eq 'label' || !defined $line;
        push @labels, $l;
        push @lines, $line;
    }
}
my ($fh, $in) = tempfile(UNLINK => 1);
binmode $fh;
print $fh "$_\n" for @lines;
close $fh;
open my $m, '-|', $cli, 'match', '-q', @opt, $in or die "$cli: $!\n";
my @got = map { chomp; (split /\t/, $_, 2)[0] } <$m>;
close $m;
die "precision.pl: $cli gave " . @got . " lines for " . @lines . "\n"
    if @got != @lines;
my %want = (codered => 'codered', nimda => 'nimda', 'iis-other' => 'iis');
my (%tp, %fp, %n);
my ($legit, $flagged) = (0, 0);
for my $i (0 .. $#lines) {
    my $w = $want{$labels[$i]} // '-';
    my $g = $got[$i];
    $n{$w}++;
    if ($labels[$i] eq 'legit') {
        $legit++;
        $flagged++ if $g ne '-';
    }
    next if $g eq '-';
    if ($g eq $w) { $tp{$g}++ } else { $fp{$g}++ }
}
printf "%-8s %6s %6s %6s %10s %8s\n", qw(family rows tp fp precision recall);
for my $f (qw(codered nimda iis)) {
    my ($t, $p, $r) = ($tp{$f} // 0, $fp{$f} // 0, $n{$f} // 0);
    printf "%-8s %6d %6d %6d %9.1f%% %7.1f%%\n", $f, $r, $t, $p,
           $t + $p ? 100 * $t / ($t + $p) : 100, $r ? 100 * $t / $r : 0;
}
printf "legit flagged: %d of %d\n", $flagged, $legit;
