package WrCli;
# Helpers the CLI tests share: whole files in and out, shell quoting, and a
# shell command run with a time bound and its output captured.
#   use WrCli qw(slurp spew shq run_sh);
#   my ($rc, $out, $err, $secs) = run_sh("wormreply ...", 120);
use strict;
use warnings;
use Exporter qw(import);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(slurp spew shq run_sh);

# the bound of run_sh when a call names none, in seconds
our $LIMIT = 60;

my $dir;
my $seq = 0;

# slurp FILE - its bytes, '' if it cannot be read
sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or return '';
    local $/;
    my $d = <$fh>;
    return $d // '';
}

# spew FILE, DATA - write the bytes, or die
sub spew {
    my ($f, $d) = @_;
    open my $fh, '>:raw', $f or die "$f: $!";
    print $fh $d;
    close $fh or die "$f: $!";
}

# shq STRING - quoted for /bin/sh
sub shq { my ($s) = @_; $s =~ s/'/'\\''/g; return "'$s'" }

# run_sh CMD [, LIMIT] - /bin/sh -c CMD in a process group of its own,
# killed (the whole group) after LIMIT seconds; returns (exit code,
# stdout, stderr, seconds taken)
sub run_sh {
    my ($cmd, $limit) = @_;
    $dir //= tempdir('wr-cli-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $n = ++$seq;
    my ($out, $err) = ("$dir/out.$n", "$dir/err.$n");
    my $t0 = time;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        setpgrp(0, 0);
        open STDOUT, '>', $out or exit 127;
        open STDERR, '>', $err or exit 127;
        exec '/bin/sh', '-c', $cmd or exit 127;
    }
    my $deadline = time + ($limit // $LIMIT);
    my $done = 0;
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            $done = 1;
            last;
        }
        sleep 0.02;
    }
    unless ($done) {
        kill 'KILL', -$pid;
        waitpid($pid, 0);
        Test::More::diag("killed after " . ($limit // $LIMIT) . " s: $cmd");
    }
    return ($? >> 8, slurp($out), slurp($err), time - $t0);
}

1;
