# WrHogs - as many nice-0 CPU hogs as there are CPUs, for the tests that
# must hold when every CPU is busy (a preempted process must not cost
# another its first sightings, a graceful restart must lose nothing)
#
#   use WrHogs;
#   WrHogs::start();   # one busy loop per CPU, each ended by timeout(1)
#   ...                # after 600 s at the latest
#   WrHogs::stop();    # or at the end of the test, whatever happens
package WrHogs;
use strict;
use warnings;

my @hogs;

# cpus - the CPUs of this machine (1 if /proc/cpuinfo says nothing)
sub cpus {
    open my $ci, '<', '/proc/cpuinfo' or return 1;
    my $n = grep { /^processor\s*:/ } <$ci>;
    return $n || 1;
}

sub start {
    for (1 .. cpus()) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            exec 'timeout', '600', 'perl', '-e', '1 while 1';
            exit 127;
        }
        push @hogs, $pid;
    }
    return scalar @hogs;
}

sub stop {
    kill 'TERM', @hogs if @hogs;
    waitpid $_, 0 for @hogs;
    @hogs = ();
}

END { stop() }

1;
