/* wr_version.h - the one version string of mod_wormreply and its CLI
 *
 * The module logs it at start-up (WR00007), `wormreply --version` prints
 * it, and debian/changelog's upstream version must equal it (checked by
 * t/deb.t).
 */
#ifndef WR_VERSION_H
#define WR_VERSION_H

#define WR_VERSION "1.0.0"

#endif
