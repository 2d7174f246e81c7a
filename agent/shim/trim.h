/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Dropping the page-table entries of the shim's own read-only file
 * mappings (code and constants) once setup is done.
 *
 * A static glibc binary maps about 650 KiB of code and constants, and the
 * kernel's fault-around maps most of it while the program starts (option
 * parsing, fork/exec, error paths). The event loop needs a small part.
 * Those pages are page cache shared by every shim on the host, so dropping
 * our mappings loses nothing and costs a few minor faults; it is what takes
 * the shim's RSS from ~750 KiB to well under 0.5 MiB per container.
 *
 * Only mappings of our executable that are not writable and hold no
 * private (Anonymous) pages are touched: RELRO, written by the loader's
 * relocations before it became read-only, has private pages and is left
 * alone, as is everything writable.
 */

/* Returns the number of bytes whose mappings were dropped (0 when /proc is
 * not readable). */
unsigned long shim_trim_mappings(void);
