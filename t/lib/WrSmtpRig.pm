package WrSmtpRig;
# The notices tests' side of the SMTP rig (t/rig/smtp.sh): what arrived in
# its Maildir from one envelope sender, and the httpd configuration of a
# server delivering to it. Each test uses senders of its own, so the shared
# Maildir and the rig's per-sender switches (defer-LOCAL, slow-LOCAL) keep
# the tests apart.
use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use FindBin;

our @EXPORT_OK = qw(rig_dir received notices copies write_secret
                    delivery_conf);

my $TOP = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
# taken once: a test may point WR_RIG_DIR at a rig of its own later
my $RIG = ($ENV{WR_RIG_DIR} || "$TOP/t/rig/run") . '/smtp';

# rig_dir - the SMTP rig's state directory
sub rig_dir {
    return $RIG;
}

# received - [Message-ID, text] of every file in the Maildir from $sender
# (exim stores one copy per recipient)
sub received {
    my $sender = shift;
    my @r;
    for my $f (sort glob rig_dir() . '/Maildir/new/*') {
        open my $fh, '<', $f or next;
        local $/;
        my $t = <$fh>;
        next unless $t =~ /^Return-path: <\Q$sender\E>/mi;
        my ($id) = $t =~ /^Message-ID: (\S+)/mi;
        push @r, [$id // $f, $t];
    }
    return @r;
}

# notices - the texts from $sender, one per Message-ID
sub notices {
    my %seen;
    return map { $_->[1] } grep { !$seen{ $_->[0] }++ } received(shift);
}

# copies - Message-ID -> how many copies arrived
sub copies {
    my %n;
    $n{ $_->[0] }++ for received(shift);
    return \%n;
}

# write_secret - the rig's AUTH secret in a root-only file in $dir
sub write_secret {
    my $dir = shift;
    open my $fh, '>', "$dir/secret" or die "$dir/secret: $!";
    print $fh "s3cret\n";
    close $fh;
    chmod 0600, "$dir/secret";
    return "$dir/secret";
}

# delivery_conf - notices on, delivered to the rig's smarthost as wormtest;
# with transport => "sendmail PATH", handed to that program instead
sub delivery_conf {
    my (%a) = @_;
    my ($d, $run) = ($a{dir}, rig_dir());
    my @how = $a{transport}
        ? ("WormReplyTransport $a{transport}")
        : ("WormReplySmarthost $a{smarthost}",
           "WormReplySMTPCACertificate $run/cert.pem",
           'WormReplySMTPAuth wormtest ' . write_secret($d));
    return join '', map { "$_\n" }
        'WormReply On',
        'WormReplyNotify On',
        # the rig's bulk.test hosts share one /64: each address its own source
        'WormReplySourcePrefix 32 128',
        "WormReplySpool $d/spool",
        "WormReplyOutbox $d/outbox",
        "WormReplyResolver 127.0.0.1:$a{dns}",
        'WormReplyNotifyAllow 192.0.2.0/24 2001:db8::/32',
        'WormReplyDigestDelay 1s',
        "WormReplyFrom $a{from}",
        @how,
        "WormReplyRetryInterval $a{retry}";
}

1;
