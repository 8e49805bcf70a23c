/* wr_transport.c - what the transports share (see wr_transport.h) */
#include <apr_strings.h>

#include "wr_transport.h"

const char *wr_transport_outcome_name(wr_transport_outcome_e o)
{
    switch (o) {
    case WR_TRANSPORT_SENT:
        return "sent";
    case WR_TRANSPORT_DEFER:
        return "deferred";
    case WR_TRANSPORT_FAIL:
        return "failed";
    }
    return "unknown";
}
