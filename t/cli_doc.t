# cli_doc.t - the documentation an administrator meets matches the code:
# - every verb of the CLI's verb table (wormreply --help) has its section
#   and its exit statuses in doc/wormreply.1, the same numbers its own
#   --help gives;
# - every directive of the module's command table is in the README's
#   directive list and in the section-8 page made from it, which is what
#   scripts/gen-directives-man.pl makes of the README now;
# - both pages render without a groff warning;
# - --version gives the one version string of mod_wormreply/wr_version.h;
# - families --help helps, and families' columns are aligned.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use WrCli qw(run_sh shq slurp);

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = "$top/tools/wormreply";
my $man1 = slurp("$top/doc/wormreply.1");
my $man8 = "$top/build/mod_wormreply.8";
ok(-x $cli, 'the CLI is built') or BAIL_OUT('no CLI');
ok(-f $man8, 'the directives page is built') or BAIL_OUT('make -f apxs.mk doc');

sub cli { return run_sh(join ' ', map { shq($_) } $cli, @_) }

# ---- the verbs --------------------------------------------------------
my ($rc, $help) = cli('--help');
is($rc, 0, '--help: exit 0');
my @verbs = $help =~ /^  ([a-z]+) /mg;
cmp_ok(scalar(@verbs), '>=', 7, "--help lists the verbs (@verbs)");
my ($exit) = $man1 =~ /^\.SH EXIT STATUS\n(.*?)^\.SH /ms;
ok($exit, 'the man page has an EXIT STATUS section');
# entries: ".TP\n.B names\ntext..." up to the next .TP
my %entry;
for my $e (split /^\.TP\n/m, $exit // '') {
    my ($names, $text) = $e =~ /\A\.B ([^\n]*)\n(.*)\z/s or next;
    $entry{$_} = $text for split /,\s*/, $names;
}
for my $v (@verbs) {
    like($man1, qr/^\.SS \Q$v\E\b/m, "wormreply.1 has a section for $v");
    ok($entry{$v}, "wormreply.1 EXIT STATUS covers $v");
    my ($vrc, $vhelp) = cli($v, '--help');
    is($vrc, 0, "$v --help: exit 0");
    like($vhelp, qr/^usage: wormreply \Q$v\E/m, "$v --help: its usage");
    my ($line) = $vhelp =~ /Exit status: (.*?\.)\n(?:\n|\z)/s;
    ok($line, "$v --help gives its exit statuses") or next;
    my @codes = $line =~ /(?:^|[;:]\s*)(\d)\b/g;
    my $text = $entry{$v} // '';
    $text =~ s/\n\.?[A-Z]* ?/ /g;
    my @mcodes = $text =~ /(?:^|;\s*)(\d)\b/g;
    is("@mcodes", "@codes", "$v: the man page's exit statuses are its "
       . "help's (@codes)");
}
my ($urc, undef, $uerr) = cli('no-such-verb');
is($urc, 2, 'an unknown verb: exit 2');
like($uerr, qr/unknown verb 'no-such-verb'/, '... and says so');

# ---- the version --------------------------------------------------------
my ($ver) = slurp("$top/mod_wormreply/wr_version.h")
            =~ /#define WR_VERSION "([^"]+)"/;
ok($ver, "wr_version.h: $ver");
my ($vrc, $vout) = cli('--version');
is($vrc, 0, '--version: exit 0');
is($vout, "wormreply $ver (mod_wormreply $ver)\n", '--version: the version');
like(slurp($man8), qr/^\.TH MOD_WORMREPLY 8 "" "mod_wormreply \Q$ver\E"/m,
     'the directives page carries it too');

# ---- families -------------------------------------------------------
{
    my ($frc, $fout) = cli('families', '--help');
    is($frc, 0, 'families --help: exit 0');
    like($fout, qr/^usage: wormreply families/, 'families --help helps');
    unlike($fout, qr/^codered\s/m, '... and lists no family');
    ($frc, $fout) = cli('families');
    my @l = split /\n/, $fout;
    like($l[0], qr/^NAME\s+ACTIVE\s+ATTRIBUTES\s+DESCRIPTION$/,
         'families: a heading');
    # every line's 2nd, 3rd and 4th column start where the heading's do
    # (a family's attributes are several words: kind=worm confidence=...)
    my @at = map { index($l[0], $_) } qw(ACTIVE ATTRIBUTES DESCRIPTION);
    my @off = grep {
        my $line = $_;
        grep { substr($line, $_ - 1, 1) ne ' '
               || substr($line, $_, 1) !~ /\S/ } @at;
    } @l[1 .. $#l];
    is(join("\n", @off), '', 'families: the columns are aligned');
    cmp_ok(scalar(@l), '>', 3, '... on every line of the built-in families');
    like($fout, qr/^codered\s+on\s+confidence=certain\b[^\n]*?\s+Code Red/m,
         'families: codered, on, its attributes, its description');
    ($frc) = cli('families', 'extra');
    is($frc, 2, 'families with an argument: exit 2');
}

# ---- the directives ---------------------------------------------------
my $src = slurp("$top/mod_wormreply/mod_wormreply_config.c");
my @directives = $src =~ /AP_INIT_\w+\("(\w+)"/g;
cmp_ok(scalar(@directives), '>=', 30, scalar(@directives)
       . ' directives in the command table');
my $readme = slurp("$top/README.md");
my ($dsec) = $readme =~ /^## Directives\n(.*?)^## /ms;
my %heading = map { $_ => 1 } map { split /,\s*/ } ($dsec // '') =~ /^### (.*)$/mg;
my $page = slurp($man8);
my %ss = map { $_ => 1 } map { split /,\s*/ } $page =~ /^\.SS "(.*)"$/mg;
for my $d (@directives) {
    ok($heading{$d}, "README: a section for $d");
    ok($ss{$d}, "mod_wormreply.8: a section for $d");
}
for my $h (sort keys %heading) {
    ok(grep({ $_ eq $h } @directives), "README's $h is a directive");
}
my ($grc, $gen) = run_sh('perl ' . shq("$top/scripts/gen-directives-man.pl")
                         . ' ' . shq("$top/README.md") . ' ' . shq($ver));
is($grc, 0, 'the generator runs');
ok($gen eq $page, 'build/mod_wormreply.8 is what the README makes now');

# ---- both pages render cleanly ------------------------------------------
SKIP: {
    skip 'no groff', 2 unless -x '/usr/bin/groff';
    for my $p ("$top/doc/wormreply.1", $man8) {
        my ($r, $o, $e) = run_sh('groff -man -ww -z ' . shq($p));
        is("$r$e", '0', "$p renders without a warning");
    }
}

done_testing();
