#!/usr/bin/perl
# gen-directives-man.pl README.md VERSION > mod_wormreply.8
#
# The section-8 manual page of mod_wormreply's directives, made from the
# README's "## Directives" section: one source for both, so that they
# cannot drift. Knows the little Markdown that section uses: "### NAME"
# headings, paragraphs, `code`, *emphasis*, [text](link), "- " lists and
# fenced blocks. Core Perl only (perl-base is enough).
use strict;
use warnings;

my ($readme, $version) = @ARGV;
die "usage: $0 README.md VERSION\n" unless defined $version;
open my $in, '<:encoding(UTF-8)', $readme or die "$readme: $!\n";
binmode STDOUT, ':encoding(UTF-8)';

my @lines;
my $on = 0;
while (my $l = <$in>) {
    chomp $l;
    if ($l =~ /^## (.*)/) {
        last if $on;
        $on = $1 eq 'Directives';
        next;
    }
    push @lines, $l if $on;
}
die "$readme: no '## Directives' section\n" unless @lines;

# roff - escape text for roff, then turn inline Markdown into fonts
sub roff {
    my ($t) = @_;
    $t =~ s/\\/\\e/g;
    $t =~ s/\[([^\]]+)\]\([^)]*\)/$1/g;
    my @parts = split /(`[^`]*`)/, $t;
    for (@parts) {
        if (s/^`(.*)`$/$1/) {
            s/-/\\-/g;
            $_ = "\\fB$_\\fR";
        }
        else {
            s/\*([^*\s][^*]*)\*/\\fI$1\\fR/g;
        }
    }
    $t = join '', @parts;
    $t =~ s/\x{2014}/\\(em/g;
    $t =~ s/\x{2013}/\\(en/g;
    $t =~ s/\x{2026}/.../g;
    $t =~ s/\x{2192}/\\(->/g;
    $t =~ s/^([.'])/\\&$1/;
    return $t;
}

my @head = (
    '.\" mod_wormreply.8 - generated from README.md by',
    '.\" scripts/gen-directives-man.pl: edit the README, not this file',
    ".TH MOD_WORMREPLY 8 \"\" \"mod_wormreply $version\" \"System Administration\"",
    '.SH NAME',
    'mod_wormreply \- the directives of the Apache httpd module that',
    'recognises, answers and reports IIS-era worm probes',
    '.SH SYNOPSIS',
    '.nf',
    '.B a2enmod wormreply',
    '.B "<VirtualHost *:80>"',
    '.B "    WormReply On"',
    '.B "</VirtualHost>"',
    '.fi',
    '.SH DIRECTIVES',
);
print "$_\n" for @head;

my ($para, $fence, $list) = (0, 0, 0);
for my $l (@lines) {
    if ($l =~ /^```/) {
        if ($fence) {
            print ".fi\n.RE\n";
            $fence = 0;
        }
        else {
            print ".PP\n.RS\n.nf\n";
            $fence = 1;
        }
        next;
    }
    if ($fence) {
        (my $t = $l) =~ s/\\/\\e/g;
        $t =~ s/^([.'])/\\&$1/;
        print "$t\n";
        next;
    }
    if ($l =~ /^### (.*)/) {
        print '.SS "' . roff($1) . "\"\n";
        ($para, $list) = (1, 0);
        next;
    }
    if ($l =~ /^\s*$/) {
        $para = 0;
        next;
    }
    if ($l =~ /^- (.*)/) {
        print ".IP \\(bu 2\n" . roff($1) . "\n";
        ($para, $list) = (1, 1);
        next;
    }
    if (!$para) {
        print $list && $l =~ /^\s/ ? '' : ".PP\n";
        ($para, $list) = (1, 0) unless $l =~ /^\s/;
    }
    (my $t = $l) =~ s/^\s+//;
    print roff($t) . "\n";
}
print <<'EOF2';
.SH FILES
.TP
.I /etc/apache2/mods\-available/wormreply.load, wormreply.conf
The module and its commented settings
.RB ( "a2enmod wormreply" ).
.TP
.I /etc/apache2/conf\-available/wormreply\-status.conf
The local-only counters handler
.RB ( "a2enconf wormreply\-status" ).
.TP
.I /var/lib/apache2/wormreply/
The default spool and outbox.
.SH SEE ALSO
.BR wormreply (1),
.BR apache2ctl (8),
.BR a2enmod (8)
EOF2
