# WrXarf.pm - the XARF checkers of t/lib/xarf_check.py, for .t files
#
# The official XARF v4 schemas (the xarf-spec project, MIT) are looked for
# in $WR_XARF_SPEC, t/data/xarf-spec and the shared data beside the clone
# (../shared/data/xarf-spec), each holding schemas/v4/xarf-v4-master.json.
package WrXarf;
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Exporter 'import';
our @EXPORT_OK = qw(xarf_spec_dir xarf_check);

my $top = abs_path(dirname(__FILE__) . '/../..');

# xarf_spec_dir - the directory of the v4 schemas, or undef
sub xarf_spec_dir {
    for my $d ($ENV{WR_XARF_SPEC}, "$top/t/data/xarf-spec",
               "$top/../shared/data/xarf-spec") {
        next unless defined $d && length $d;
        return "$d/schemas/v4" if -f "$d/schemas/v4/xarf-v4-master.json";
    }
    return undef;
}

# xarf_check - run the checker: (exit status, output)
sub xarf_check {
    my @args = map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @_;
    my $out = `/usr/bin/python3 $top/t/lib/xarf_check.py @args 2>&1`;
    return ($? >> 8, $out);
}

1;
