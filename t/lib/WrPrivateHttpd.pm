package WrPrivateHttpd;
# A private httpd of its own for tests that restart, reload or kill things
# (the notices tests): own ServerRoot under /tmp, own port on 127.0.0.1,
# never the system's service and never the Apache::Test server.
#
#   my $h = WrPrivateHttpd->new(port => 18100, conf => "WormReply On\n...");
#   $h->start; $h->probe('192.0.2.10', '/scripts/root.exe?/c+dir');
#   $h->wait_for(sub { ... }, 20); $h->stop;
#
# Every wait is bounded in time; stop() kills only the pids it started.
use strict;
use warnings FATAL => 'all';

use File::Path qw(make_path remove_tree);
use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(time sleep);
use FindBin;

my $TOP = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $MODDIR = '/usr/lib/apache2/modules';
my $HTTPD = '/usr/sbin/apache2';

sub new {
    my ($class, %a) = @_;
    my $dir = File::Temp::tempdir('wr-httpd-XXXXXX', TMPDIR => 1,
                                  CLEANUP => !$ENV{WR_KEEP});
    chmod 0755, $dir;
    my $self = bless {
        port => $a{port} || 18100,
        dir => $dir,
        conf => $a{conf} // '',
        so => $ENV{WORMREPLY_SO}
              || "$TOP/mod_wormreply/.libs/mod_wormreply.so",
        servers => $a{servers} || 1,
        mpm => $a{mpm} || 'event',
        # LoadModule lines to use instead of the usual few (the module
        # itself is loaded after them)
        load => $a{load},
        # the main server's ServerName line ('' for none)
        servername => exists $a{servername} ? $a{servername}
                                             : 'www.wr-notices.test',
    }, $class;
    make_path("$dir/logs", "$dir/run", "$dir/htdocs");
    open my $fh, '>', "$dir/htdocs/index.html" or die $!;
    print $fh "<html>ok</html>\n";
    close $fh;
    $self->write_conf;
    return $self;
}

sub dir { $_[0]{dir} }
sub port { $_[0]{port} }
sub conf_file { "$_[0]{dir}/httpd.conf" }

sub write_conf {
    my ($self, $extra) = @_;
    $self->{conf} = $extra if defined $extra;
    my ($d, $p) = ($self->{dir}, $self->{port});
    my @mods = ("mpm_$self->{mpm}", qw(authz_core remoteip socache_shmcb
                                         status));
    my $load = $self->{load}
               // join '', map { "LoadModule ${_}_module $MODDIR/mod_$_.so\n" }
                               @mods;
    my $sn = $self->{servername} ne '' ? "ServerName $self->{servername}"
                                        : '';
    open my $fh, '>', $self->conf_file or die $!;
    print $fh <<"EOF";
ServerRoot "$d"
$sn
Listen 127.0.0.1:$p
PidFile "$d/run/httpd.pid"
DefaultRuntimeDir "$d/run"
Mutex file:$d/run default
User www-data
Group www-data
${load}LoadModule wormreply_module $self->{so}
StartServers $self->{servers}
ServerLimit 4
<IfModule !mpm_prefork_module>
    MinSpareThreads 4
    MaxSpareThreads 16
    ThreadsPerChild 8
    MaxRequestWorkers 32
</IfModule>
<IfModule mpm_prefork_module>
    MinSpareServers $self->{servers}
    MaxSpareServers 4
    MaxRequestWorkers 4
</IfModule>
ErrorLog "$d/logs/error.log"
LogLevel info wormreply:debug
LogFormat "%a %>s \\"%r\\" wp=%{WORM_PROBE}e" wr
CustomLog "$d/logs/access.log" wr
DocumentRoot "$d/htdocs"
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
<Location /server-status>
    SetHandler server-status
</Location>
<Location /wormreply-status>
    SetHandler wormreply-status
</Location>
$self->{conf}
EOF
    close $fh;
}

# configtest - (exit status, output) of apache2 -t
sub configtest {
    my $self = shift;
    my $out = qx{$HTTPD -d $self->{dir} -f @{[$self->conf_file]} -t 2>&1};
    return ($? >> 8, $out);
}

sub pid {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/run/httpd.pid" or return;
    my $pid = <$fh>;
    return unless defined $pid;
    chomp $pid;
    return $pid =~ /^\d+$/ ? $pid : undef;
}

sub answers {
    my $self = shift;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$self->{port}",
                                  Timeout => 1);
    return defined $s;
}

sub start {
    my $self = shift;
    system($HTTPD, '-d', $self->{dir}, '-f', $self->conf_file, '-k', 'start')
        == 0 or return 0;
    return $self->wait_for(sub { $self->answers }, 10);
}

sub signal_server {
    my ($self, $how) = @_;
    return system($HTTPD, '-d', $self->{dir}, '-f', $self->conf_file,
                  '-k', $how) == 0;
}

sub stop {
    my $self = shift;
    my $pid = $self->pid or return 1;
    $self->signal_server('stop');
    $self->wait_for(sub { !kill(0, $pid) }, 15);
    if (kill 0, $pid) {
        kill 'KILL', $pid;
    }
    # the notifier and the children die with the parent; wait for the port
    return $self->wait_for(sub { !$self->answers }, 10);
}

# wait_for - poll a condition every 50 ms for at most $secs seconds
sub wait_for {
    my ($self, $cond, $secs) = @_;
    my $end = time + $secs;
    while (time < $end) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return $cond->() ? 1 : 0;
}

# raw - send bytes, return the whole answer (bounded)
sub raw {
    my ($self, $bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$self->{port}",
                                  Timeout => 10) or return '';
    binmode $s;
    print $s $bytes;
    my ($ans, $buf) = ('', '');
    my $end = time + 10;
    while (time < $end) {
        my $n = sysread($s, $buf, 65536);
        last unless $n;
        $ans .= $buf;
    }
    close $s;
    return $ans;
}

# probe - a GET from `source` (through X-Forwarded-For), HTTP/1.0
sub probe {
    my ($self, $source, $target, %h) = @_;
    my $hdr = join '', map { "$_: $h{$_}\r\n" } sort keys %h;
    return $self->raw("GET $target HTTP/1.0\r\nHost: www\r\n"
                      . "X-Forwarded-For: $source\r\n$hdr\r\n");
}

# status_json - the counters from the wormreply-status handler
sub status {
    my $self = shift;
    my $ans = $self->raw("GET /wormreply-status HTTP/1.0\r\n\r\n");
    my ($body) = $ans =~ /\r\n\r\n(.*)\z/s;
    return $body // '';
}

sub outbox { "$_[0]{dir}/outbox" }
sub spool { "$_[0]{dir}/spool" }

# messages - [name, text] of the .eml files in the outbox, oldest first
sub messages {
    my $self = shift;
    opendir my $dh, $self->outbox or return ();
    my @f = sort grep { /\.eml$/ } readdir $dh;
    closedir $dh;
    my @m;
    for my $f (@f) {
        open my $fh, '<:raw', $self->outbox . "/$f" or next;
        local $/;
        push @m, [$f, scalar <$fh>];
    }
    return @m;
}

# spool_count - records in a spool subdirectory
sub spool_count {
    my ($self, $sub) = @_;
    opendir my $dh, $self->spool . "/$sub" or return 0;
    my $n = grep { !/^\./ } readdir $dh;
    closedir $dh;
    return $n;
}

sub error_log {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/logs/error.log" or return '';
    local $/;
    return scalar <$fh>;
}

# children_of PID - the pids whose parent is PID (from /proc); a function
sub children_of {
    my $pid = shift;
    my @c;
    for my $st (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $st or next;
        my ($rest) = (<$fh> // '') =~ /\)\s+(.*)/ or next;
        my (undef, $ppid) = split ' ', $rest;
        push @c, $st =~ m{/proc/(\d+)/} if $ppid == $pid;
    }
    return @c;
}

# notifier_pid - the notifier's pid, from its start-up line (WR00018)
sub notifier_pid {
    my $self = shift;
    my @p = $self->error_log =~ /WR00018: notifier started \(pid (\d+)\)/g;
    return $p[-1];
}

sub DESTROY {
    my $self = shift;
    local $?;
    $self->stop if $self->pid && kill 0, $self->pid;
}

1;
